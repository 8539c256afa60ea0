//! The public booking page (`/book/<token>`): a visitor books from a widget on one of the
//! sub-account's embed domains; another site, a taken slot and an unknown or offline page are
//! refused, and nothing about the tenant leaks.

use super::{every_day, resource, service};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

/// A bookable service of Dental with one staff member; its booking path, and the staff's id.
async fn bookable(app: &TestApp, owner: &Session, sub: &str) -> (String, String, String) {
    let ana = resource(
        app,
        owner,
        sub,
        "STAFF",
        "Ana Secret-Name",
        "UTC",
        every_day("00:00", "24:00"),
    )
    .await;
    let s = service(
        app,
        owner,
        sub,
        json!({ "name": "First visit", "durationMinutes": 30, "resourceIds": [ana] }),
    )
    .await;
    let r = app
        .gql(Some(&owner.access), "mutation($id: ID!) { calendarServiceSetBookable(id: $id, bookable: true) { service { bookingPath } userErrors { code } } }", json!({ "id": s }))
        .await
        .ok();
    let path = r
        .data("calendarServiceSetBookable.service.bookingPath")
        .as_str()
        .expect("a path")
        .to_owned();
    (path, s, ana)
}

async fn post(app: &TestApp, path: &str, origin: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app.http.post(format!("{}{path}", app.url)).json(&body);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let resp = req.send().await.expect("post");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

/// The status and body of a `GET` (without the request's own id, which every answer has).
async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let resp = app
        .http
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .expect("get");
    let status = resp.status().as_u16();
    let mut body: Value = resp.json().await.expect("json");
    if let Some(e) = body
        .pointer_mut("/errors/0/extensions")
        .and_then(Value::as_object_mut)
    {
        e.remove("requestId");
    }
    (status, body.to_string())
}

#[tokio::test]
async fn a_visitor_books_from_an_embed_domain_and_nowhere_else() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (path, s, ana) = bookable(&app, &w.owner, &w.dental).await;
    app.gql(Some(&w.owner.access), "mutation($s: ID!) { embedDomainAdd(subAccountId: $s, host: \"www.smile.test\") { userErrors { code } } }", json!({ "s": w.dental }))
        .await
        .ok();
    let from = (Utc::now() + Duration::days(2))
        .format("%Y-%m-%dT10:00:00Z")
        .to_string();
    let (status, page) = get(
        &app,
        &format!(
            "{path}?from={from}&to={}&timeZone=Europe/Berlin",
            from.replace("T10", "T12")
        ),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let page: Value = serde_json::from_str(&page).expect("json");
    assert_eq!(page["service"]["name"], "First visit");
    assert_eq!(page["slots"].as_array().expect("slots").len(), 4, "{page}");
    let start = page["slots"][0]["start"]
        .as_str()
        .expect("start")
        .to_owned();
    // Nothing in it names the staff or an id.
    let text = page.to_string();
    assert!(
        !text.contains("Secret-Name") && !text.contains(&ana) && !text.contains(&s),
        "{text}"
    );

    let visitor = json!({ "start": start, "timeZone": "Europe/Berlin", "firstName": "Vera", "email": "vera@visitor.test" });
    let (status, body) = post(&app, &path, Some("https://www.smile.test"), visitor.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["appointment"]["status"], "SCHEDULED");
    assert!(
        body["appointment"]["localStart"]
            .as_str()
            .expect("local")
            .ends_with("+01:00")
            || body["appointment"]["localStart"]
                .as_str()
                .expect("local")
                .ends_with("+02:00")
    );
    // The same slot again: taken. Another site: refused before anything is written.
    let (status, body) = post(
        &app,
        &path,
        Some("https://www.smile.test"),
        json!({ "start": start, "firstName": "Max", "email": "max@visitor.test" }),
    )
    .await;
    assert_eq!(
        (status, body["userErrors"][0]["code"].as_str()),
        (409, Some("SLOT_TAKEN")),
        "{body}"
    );
    let later = page["slots"][1]["start"].clone();
    let (status, _) = post(
        &app,
        &path,
        Some("https://evil.test"),
        json!({ "start": later, "firstName": "Eve", "email": "eve@visitor.test" }),
    )
    .await;
    assert_eq!(status, 403);
    // A body that is not a JSON object, and a range no calendar has.
    let resp = app
        .http
        .post(format!("{}{path}", app.url))
        .body("[1]")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 400);
    let (status, _) = get(&app, &format!("{path}?from=%2B262142-12-31T00:00:00Z")).await;
    assert_eq!(status, 400);
    // Bad input is named by the body's fields.
    let (status, body) = post(
        &app,
        &path,
        None,
        json!({ "start": later, "firstName": "Nob" }),
    )
    .await;
    assert_eq!(
        (status, body["userErrors"][0]["field"].as_str()),
        (422, Some("email")),
        "{body}"
    );
    assert_eq!(app.count("appointments").await, 1);
    assert_eq!(
        app.count("contacts WHERE email = 'vera@visitor.test' AND source = 'booking'")
            .await,
        1
    );
    // A refused booking writes nothing, not even its contact.
    assert_eq!(
        app.count("contacts WHERE email IN ('max@visitor.test', 'eve@visitor.test')")
            .await,
        0
    );

    // CORS: the embed domain may ask, another site may not.
    for (origin, allowed) in [
        ("https://www.smile.test", true),
        ("https://evil.test", false),
    ] {
        let resp = app
            .http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .expect("preflight");
        assert_eq!(
            resp.headers().get("access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
}

#[tokio::test]
async fn an_unknown_closed_or_offline_page_is_the_same_not_found() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (path, s, _) = bookable(&app, &w.owner, &w.dental).await;
    let random = format!("/book/{}", "A".repeat(43));
    let (status, unknown) = get(&app, &random).await;
    assert_eq!(status, 404);
    assert_eq!(get(&app, &path).await.0, 200);
    // Suspended: like an unknown page, for reading and for booking.
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { subAccountSuspend(id: $id) { userErrors { code } } }",
        json!({ "id": w.dental }),
    )
    .await
    .ok();
    assert_eq!(get(&app, &path).await, (404, unknown.clone()));
    let start = (Utc::now() + Duration::days(2)).to_rfc3339();
    let (status, _) = post(
        &app,
        &path,
        None,
        json!({ "start": start, "firstName": "A", "email": "a@visitor.test" }),
    )
    .await;
    assert_eq!(status, 404);
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { subAccountReactivate(id: $id) { userErrors { code } } }",
        json!({ "id": w.dental }),
    )
    .await
    .ok();
    assert_eq!(get(&app, &path).await.0, 200);
    // Turned off: the old address is gone; turned on again, a new one works.
    let r = app
        .gql(Some(&w.owner.access), "mutation($id: ID!) { a: calendarServiceSetBookable(id: $id, bookable: false) { service { bookingPath } } b: calendarServiceSetBookable(id: $id, bookable: true) { service { bookingPath } } }", json!({ "id": s }))
        .await
        .ok();
    assert_eq!(r.data("a.service.bookingPath"), &Value::Null);
    let fresh = r.data("b.service.bookingPath").as_str().expect("path");
    assert_ne!(fresh, path);
    assert_eq!(get(&app, &path).await, (404, unknown));
    assert_eq!(get(&app, fresh).await.0, 200);
    assert_eq!(app.count("contacts WHERE source = 'booking'").await, 0);
}

#[tokio::test]
async fn a_client_past_its_bookings_a_minute_waits() {
    let app = tests::spawn_app_with(|c| c.public_writes_per_ip = 2).await;
    let w = app.world().await;
    let (path, _, _) = bookable(&app, &w.owner, &w.dental).await;
    let start = (Utc::now() + Duration::days(2)).to_rfc3339();
    let mut statuses = Vec::new();
    for i in 0..3 {
        let resp = app
            .http
            .post(format!("{}{path}", app.url))
            .json(
                &json!({ "start": start, "firstName": "A", "email": format!("a{i}@visitor.test") }),
            )
            .send()
            .await
            .expect("post");
        statuses.push((
            resp.status().as_u16(),
            resp.headers().get("retry-after").is_some(),
        ));
    }
    // The second loses the slot to the first; the third is not looked at.
    assert_eq!(statuses, [(201, false), (409, false), (429, true)]);
}
