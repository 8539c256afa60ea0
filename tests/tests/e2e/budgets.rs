//! Rate budgets: a burst from one API key meets its budget (429, `Retry-After`, the
//! `RateLimit-*` headers), a heavy query spends more than a light one, and on PostgreSQL two
//! replicas spend from one budget.

use reqwest::Response;
use serde_json::{Value, json};
use std::time::Duration;
use tests::{TestApp, spawn_app_with};

const PING: &str = "{ __typename }";
/// A page of 100 contacts: a cost of several hundred (charged before it runs, whatever it
/// finds).
const HEAVY: &str = "query($s: ID!) { contacts(subAccountId: $s, first: 100) { nodes { id firstName lastName email } } }";

/// Budgets of 10 points per key or user an hour (the hour so a test never straddles a window:
/// see [`fresh_window`]), and the client network's off (0: it neither refuses nor heads).
fn ten_an_hour(c: &mut kernel::Config) {
    c.rate_window_secs = 3600;
    c.rate_per_credential = 10;
    c.rate_per_ip = 0;
}

/// Waits out the current hour's window if it ends within 30 s.
async fn fresh_window() {
    let into = chrono::Utc::now().timestamp().rem_euclid(3600);
    if into > 3600 - 30 {
        tokio::time::sleep(Duration::from_secs(
            u64::try_from(3600 - into).unwrap_or(30) + 1,
        ))
        .await;
    }
}

async fn post(app: &TestApp, token: &str, query: &str, variables: Value) -> Response {
    app.http
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(json!({ "query": query, "variables": variables }).to_string())
        .send()
        .await
        .expect("send")
}

fn header(r: &Response, name: &str) -> u64 {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// An API key of the world's agency that reads contacts: its secret.
async fn key(app: &TestApp, w: &tests::World) -> String {
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($i: ApiKeyCreateInput!) { apiKeyCreate(input: $i) { secret } }",
            json!({ "i": { "scopeId": w.agency, "name": "Zapier", "permissions": ["CONTACTS_READ"] } }),
        )
        .await
        .ok();
    r.data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned()
}

#[tokio::test]
async fn a_burst_from_one_key_meets_its_budget() {
    let app = spawn_app_with(ten_an_hour).await;
    let w = app.world().await;
    let secret = key(&app, &w).await;
    fresh_window().await;
    for left in (0..10).rev() {
        let r = post(&app, &secret, PING, json!({})).await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(header(&r, "ratelimit-limit"), 10);
        assert_eq!(header(&r, "ratelimit-remaining"), left);
    }
    let r = post(&app, &secret, PING, json!({})).await;
    assert_eq!(r.status().as_u16(), 429);
    let retry = header(&r, "retry-after");
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(header(&r, "ratelimit-remaining"), 0);
    assert_eq!(header(&r, "ratelimit-reset"), retry);
    assert_eq!(
        r.headers()
            .get("ratelimit-policy")
            .and_then(|v| v.to_str().ok()),
        Some("10;w=3600")
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry);
    // The key's owner has a budget of their own.
    let r = post(&app, &w.owner.access, PING, json!({})).await;
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn a_heavy_query_spends_more_than_a_light_one() {
    let app = spawn_app_with(|c| {
        c.rate_window_secs = 3600;
        c.rate_per_credential = 1_000;
    })
    .await;
    let w = app.world().await;
    let secret = key(&app, &w).await;
    fresh_window().await;
    let first = header(
        &post(&app, &secret, PING, json!({})).await,
        "ratelimit-remaining",
    );
    let light = header(
        &post(&app, &secret, PING, json!({})).await,
        "ratelimit-remaining",
    );
    let r = post(&app, &secret, HEAVY, json!({ "s": w.dental })).await;
    let heavy = header(&r, "ratelimit-remaining");
    assert_eq!(first - light, 1, "a light query spends one point");
    assert!(light - heavy >= 4, "the heavy one spent {}", light - heavy);
}

#[tokio::test]
async fn two_replicas_spend_from_one_budget_on_postgres() {
    let app = spawn_app_with(ten_an_hour).await;
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        // One SQLite process holds every budget: there is nothing to share.
        return;
    }
    let replica = app.replica().await;
    let w = app.world().await;
    let secret = key(&app, &w).await;
    fresh_window().await;
    for _ in 0..8 {
        assert_eq!(
            post(&app, &secret, PING, json!({})).await.status().as_u16(),
            200
        );
    }
    // Both replicas share what they spent every 200 ms.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut accepted = 0;
    for _ in 0..10 {
        match post(&replica, &secret, PING, json!({}))
            .await
            .status()
            .as_u16()
        {
            200 => accepted += 1,
            429 => break,
            other => panic!("status {other}"),
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(
        accepted, 2,
        "the other replica admitted what the first left, and no more"
    );
}
