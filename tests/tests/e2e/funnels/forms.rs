//! Forms on published pages: a visitor's post becomes a contact (found by email address, else
//! created), a consent record, a submission and a `form.submitted` event, all at once; spam
//! (honeypot, fill time, rate limits) and other sites' pages (CORS) are kept out.

use super::{funnel, publish, site, visit};
use serde_json::{Value, json};
use tests::{TestApp, spawn_app_with};

fn form_page() -> Value {
    json!({ "schemaVersion": 1, "blocks": [{ "type": "section", "children": [
        { "type": "heading", "level": 1, "text": "Book a check-up" },
        { "type": "form", "key": "book", "submitLabel": "Send", "successMessage": "See you soon!",
          "consent": { "statement": "Email me offers", "channels": ["email"] },
          "fields": [
            { "name": "first", "label": "First name", "kind": "text", "contact": "firstName" },
            { "name": "last", "label": "Last name", "kind": "text", "contact": "lastName" },
            { "name": "email", "label": "Email", "kind": "email", "required": true, "contact": "email" },
            { "name": "note", "label": "Anything else?", "kind": "textarea" }
          ] }
    ]}]})
}

fn quick(c: &mut kernel::Config) {
    c.form_min_fill_ms = 200;
}

/// A published form page at `subdomain` in Dental; the fill-time token of a fresh visit.
async fn form_site(app: &TestApp, subdomain: &str) -> (tests::World, String) {
    let w = app.world().await;
    let (_, home) = funnel(app, &w.owner, &w.dental, subdomain).await;
    publish(app, &w.owner, &home, form_page()).await;
    let token = token_of(app, subdomain).await;
    (w, token)
}

async fn token_of(app: &TestApp, subdomain: &str) -> String {
    let html = visit(app, &site(subdomain), "/", None)
        .await
        .text()
        .await
        .expect("html");
    tests::form_token(&html)
        .expect("a token in the form")
        .to_owned()
}

/// Posts `fields` (urlencoded) to `/` at the subdomain's host.
async fn post(
    app: &TestApp,
    subdomain: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/", app.url))
        .header("host", site(subdomain))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish(),
        );
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("post")
}

async fn submissions(app: &TestApp, w: &tests::World) -> Vec<Value> {
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { formSubmissions(subAccountId: $s) { totalCount nodes { formKey values utm contactId } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    r.data("formSubmissions.nodes")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn contact(app: &TestApp, w: &tests::World, id: &str) -> Value {
    app.gql(
        Some(&w.owner.access),
        "query($id: ID!) { node(id: $id) { ... on Contact { firstName lastName email source consents { channel statement sourceId } } } }",
        json!({ "id": id }),
    )
    .await
    .ok()
    .data("node")
    .clone()
}

#[tokio::test]
async fn a_form_post_creates_the_contact_with_consent_submission_and_event() {
    let app = spawn_app_with(quick).await;
    let (w, token) = form_site(&app, "smile").await;
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let fields = [
        ("_form", "book"),
        ("_t", token.as_str()),
        ("_hp", ""),
        ("first", "Ada"),
        ("email", "Ada@Example.com"),
        ("note", "Mornings"),
        ("_consent", "yes"),
    ];
    let r = post(
        &app,
        "smile",
        &fields,
        &[(
            "referer",
            "http://smile.sites.canopy.localhost/?utm_source=news&utm_campaign=spring",
        )],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains("See you soon!"));

    let subs = submissions(&app, &w).await;
    assert_eq!(subs.len(), 1);
    assert_eq!(
        subs[0]["values"],
        json!({ "first": "Ada", "email": "Ada@Example.com", "note": "Mornings" })
    );
    assert_eq!(
        subs[0]["utm"],
        json!({ "utm_source": "news", "utm_campaign": "spring" })
    );
    let c = contact(&app, &w, subs[0]["contactId"].as_str().expect("contact")).await;
    assert_eq!(
        (
            c["firstName"].as_str(),
            c["email"].as_str(),
            c["source"].as_str()
        ),
        (Some("Ada"), Some("ada@example.com"), Some("FORM"))
    );
    assert_eq!(c["consents"][0]["channel"], "EMAIL");
    assert_eq!(c["consents"][0]["statement"], "Email me offers");
    let events = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { activity(scopeId: $s, first: 20) { nodes { type } } }",
            json!({ "s": w.dental }),
        )
        .await;
    let types = events.body.to_string();
    assert!(
        types.contains("form.submitted") && types.contains("contact.consent_given"),
        "{types}"
    );
}

#[tokio::test]
async fn a_second_submission_fills_in_the_same_contact_and_clears_nothing() {
    let app = spawn_app_with(quick).await;
    let (w, token) = form_site(&app, "smile").await;
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let first = [
        ("_form", "book"),
        ("_t", token.as_str()),
        ("first", "Ada"),
        ("email", "ada@example.com"),
    ];
    assert_eq!(post(&app, "smile", &first, &[]).await.status(), 200);
    let again =
        json!({ "_form": "book", "_t": token, "last": "Lovelace", "email": "ADA@example.com" });
    let r = app
        .http
        .post(format!("{}/", app.url))
        .header("host", site("smile"))
        .json(&again)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json")["accepted"], true);

    let subs = submissions(&app, &w).await;
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[0]["contactId"], subs[1]["contactId"]);
    let c = contact(&app, &w, subs[0]["contactId"].as_str().expect("contact")).await;
    assert_eq!(
        (c["firstName"].as_str(), c["lastName"].as_str()),
        (Some("Ada"), Some("Lovelace"))
    );
    assert_eq!(c["consents"], json!([]));
}

#[tokio::test]
async fn a_submission_never_changes_what_a_contact_has() {
    let app = spawn_app_with(quick).await;
    let (w, token) = form_site(&app, "smile").await;
    let made = app
        .gql(
            Some(&w.owner.access),
            "mutation($s: ID!) { contactCreate(input: { subAccountId: $s, firstName: \"Grace\", email: \"grace@example.com\" }) { contact { id } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    let id = made
        .data("contactCreate.contact.id")
        .as_str()
        .expect("id")
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let sent = [
        ("_form", "book"),
        ("_t", token.as_str()),
        ("first", "Mallory"),
        ("last", "Hopper"),
        ("email", "GRACE@example.com"),
    ];
    assert_eq!(post(&app, "smile", &sent, &[]).await.status(), 200);
    let c = contact(&app, &w, &id).await;
    assert_eq!(
        (c["firstName"].as_str(), c["lastName"].as_str()),
        (Some("Grace"), Some("Hopper"))
    );
    let subs = submissions(&app, &w).await;
    assert_eq!(subs[0]["contactId"], id.as_str());
    assert_eq!(
        subs[0]["values"]["first"], "Mallory",
        "the submission keeps what was sent"
    );
}

#[tokio::test]
async fn bad_input_gets_user_errors_named_by_the_forms_fields() {
    let app = spawn_app_with(quick).await;
    let (w, token) = form_site(&app, "smile").await;
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let bad = json!({ "_form": "book", "_t": token, "email": "not-an-address" });
    let r = app
        .http
        .post(format!("{}/", app.url))
        .header("host", site("smile"))
        .json(&bad)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["accepted"], false);
    assert_eq!(body["userErrors"][0]["field"], json!(["email"]));
    assert_eq!(body["userErrors"][0]["code"], "INVALID");

    let missing = [("_form", "book"), ("_t", token.as_str()), ("first", "Ada")];
    let r = post(&app, "smile", &missing, &[]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("html").contains("fill in “Email”"));
    let gone = [
        ("_form", "nope"),
        ("_t", token.as_str()),
        ("email", "a@example.com"),
    ];
    assert_eq!(
        post(&app, "smile", &gone, &[("accept", "application/json")])
            .await
            .status(),
        422
    );
    assert!(submissions(&app, &w).await.is_empty());
}

#[tokio::test]
async fn spam_is_kept_out_by_the_honeypot_and_the_fill_time() {
    let app = spawn_app_with(|c| c.form_min_fill_ms = 3_000).await;
    let (w, token) = form_site(&app, "smile").await;
    let honeypot = [
        ("_form", "book"),
        ("_t", token.as_str()),
        ("_hp", "http://spam.example"),
        ("email", "bot@example.com"),
    ];
    let r = post(&app, "smile", &honeypot, &[]).await;
    assert_eq!(r.status(), 200, "a robot is thanked as anyone");
    let quick = [
        ("_form", "book"),
        ("_t", token.as_str()),
        ("email", "bot@example.com"),
    ];
    let r = post(&app, "smile", &quick, &[("accept", "application/json")]).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["userErrors"][0]["field"], json!(["_t"]));
    let forged = [
        ("_form", "book"),
        ("_t", "1000.00"),
        ("email", "bot@example.com"),
    ];
    let r = post(&app, "smile", &forged, &[("accept", "application/json")]).await;
    assert_eq!(
        r.json::<Value>().await.expect("json")["userErrors"][0]["code"],
        "INVALID_TOKEN"
    );
    assert!(submissions(&app, &w).await.is_empty());
}

#[tokio::test]
async fn one_ip_meets_its_rate_limit() {
    let app = spawn_app_with(|c| c.form_submissions_per_ip = 3).await;
    let (_w, _) = form_site(&app, "smile").await;
    let fields = [("_form", "book"), ("email", "a@example.com")];
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(post(&app, "smile", &fields, &[]).await);
    }
    let last = statuses.pop().expect("four");
    assert!(
        statuses.iter().all(|r| r.status() == 422),
        "the first three are checked"
    );
    assert_eq!(last.status(), 429);
    assert!(last.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn only_the_funnels_hosts_and_embed_domains_may_post_from_a_browser() {
    let app = spawn_app_with(quick).await;
    let (w, token) = form_site(&app, "smile").await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, format!("{}/", app.url))
            .header("host", site("smile"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let r = preflight("https://www.partner.com")
        .await
        .expect("preflight");
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    let add = app
        .gql(Some(&w.owner.access), "mutation($s: ID!) { embedDomainAdd(subAccountId: $s, host: \"www.partner.com\") { embedDomain { host } userErrors { code } } }", json!({ "s": w.dental }))
        .await
        .ok();
    assert_eq!(
        add.data("embedDomainAdd.embedDomain.host"),
        "www.partner.com"
    );
    let r = preflight("https://www.partner.com")
        .await
        .expect("preflight");
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://www.partner.com"
    );

    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let fields = [
        ("_form", "book"),
        ("_t", token.as_str()),
        ("email", "a@example.com"),
    ];
    let evil = post(
        &app,
        "smile",
        &fields,
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(evil.status(), 403);
    assert!(!evil.headers().contains_key("access-control-allow-origin"));
    let ok = post(
        &app,
        "smile",
        &fields,
        &[("origin", "https://www.partner.com")],
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://www.partner.com"
    );
    assert_eq!(submissions(&app, &w).await.len(), 1);
}

#[tokio::test]
async fn a_form_without_an_email_or_phone_field_is_refused_on_save() {
    let app = spawn_app_with(quick).await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "smile").await;
    let doc = json!({ "schemaVersion": 1, "blocks": [{ "type": "form", "key": "x", "submitLabel": "Go",
        "fields": [{ "name": "first", "label": "Name", "kind": "text", "contact": "firstName" }] }] });
    let r = app
        .gql(
            Some(&w.owner.access),
            super::SAVE,
            json!({ "id": home, "d": doc }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("funnelPageSaveDraft"),
        vec![(
            "input.document.blocks[0].fields".to_owned(),
            "INVALID".to_owned()
        )]
    );
}
