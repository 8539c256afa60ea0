//! Funnel stats: views, visitors once per page and day by a salted hash (no address kept),
//! submissions and conversion, per page and in all.

use super::{funnel, publish, site};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tests::{TestApp, spawn_app_with};

fn quick(c: &mut kernel::Config) {
    c.form_min_fill_ms = 0;
    c.visits_flush_ms = 50;
}

const STATS: &str = "query($id: ID!, $from: String!, $to: String!) { node(id: $id) { ... on Funnel { stats(from: $from, to: $to) { total { views visitors submissions conversionRate } pages { page { path } counts { views visitors } } } } } }";

async fn view(app: &TestApp, host: &str, path: &str, user_agent: &str) -> String {
    let r = app
        .http
        .get(format!("{}{path}", app.url))
        .header("host", host)
        .header("user-agent", user_agent)
        .send()
        .await
        .expect("view");
    assert_eq!(r.status(), 200);
    r.text().await.expect("html")
}

async fn stats(app: &TestApp, token: &str, funnel: &str, from: &str, to: &str) -> tests::Gql {
    app.gql(
        Some(token),
        STATS,
        json!({ "id": funnel, "from": from, "to": to }),
    )
    .await
}

#[tokio::test]
async fn views_visitors_submissions_and_conversion_are_counted() {
    let app = spawn_app_with(quick).await;
    let w = app.world().await;
    let (f, home) = funnel(&app, &w.owner, &w.dental, "smile").await;
    let form = json!({ "schemaVersion": 1, "blocks": [{ "type": "form", "key": "f", "submitLabel": "Go",
        "fields": [{ "name": "email", "label": "Email", "kind": "email", "contact": "email" }] }] });
    publish(&app, &w.owner, &home, form).await;
    let host = site("smile");
    let html = view(&app, &host, "/?utm_source=news", "Mozilla/5.0 (A)").await;
    view(&app, &host, "/", "Mozilla/5.0 (A)").await;
    view(&app, &host, "/", "Mozilla/5.0 (B)").await;
    view(&app, &host, "/", "Googlebot/2.1").await;
    let token = tests::form_token(&html).expect("form");
    let sent = json!({ "_form": "f", "_t": token, "email": "ada@example.com" });
    let r = app
        .http
        .post(format!("{}/", app.url))
        .header("host", &host)
        .json(&sent)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);

    let today = chrono::Utc::now().date_naive().to_string();
    let mut total = Value::Null;
    for _ in 0..100 {
        let r = stats(&app, &w.owner.access, &f, &today, &today).await.ok();
        total = r.data("node.stats.total").clone();
        if total["views"] == 3 {
            assert_eq!(
                r.data("node.stats.pages")[0]["counts"],
                json!({ "views": 3, "visitors": 2 })
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        total,
        json!({ "views": 3, "visitors": 2, "submissions": 1, "conversionRate": 0.5 })
    );
}

#[tokio::test]
async fn a_visit_keeps_its_campaign_and_no_address() {
    let app = spawn_app_with(quick).await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "smile").await;
    publish(
        &app,
        &w.owner,
        &home,
        json!({ "schemaVersion": 1, "blocks": [] }),
    )
    .await;
    view(
        &app,
        &site("smile"),
        "/?utm_source=news&utm_campaign=spring",
        "Mozilla/5.0",
    )
    .await;
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = funnels::entity::visit::Entity::find()
            .all(&app.db)
            .await
            .expect("visits");
        if !rows.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(rows.len(), 1);
    let visitor = &rows[0].visitor;
    assert!(
        visitor.len() == 32 && visitor.bytes().all(|b| b.is_ascii_hexdigit()),
        "{visitor}"
    );
    assert!(
        !serde_json::to_string(&rows[0].utm)
            .unwrap_or_default()
            .contains("127.0.0.1")
    );
    let utm = rows[0].utm.clone();
    assert_eq!(
        utm,
        json!({ "utm_source": "news", "utm_campaign": "spring" })
    );
}

#[tokio::test]
async fn a_backwards_or_overlong_period_is_bad_input() {
    let app = spawn_app_with(quick).await;
    let w = app.world().await;
    let (f, _) = funnel(&app, &w.owner, &w.dental, "smile").await;
    let r = stats(&app, &w.owner.access, &f, "2026-05-02", "2026-05-01").await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let r = stats(&app, &w.owner.access, &f, "2025-01-01", "2026-05-01").await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let r = stats(&app, &w.owner.access, &f, "May 1", "2026-05-01").await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
}
