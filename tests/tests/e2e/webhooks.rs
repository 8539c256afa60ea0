//! Partner webhooks: an endpoint subscribed through the API receives the scope's events, signed
//! the Standard Webhooks way (the receiver verifies), retried until it answers 2xx with every
//! attempt logged, only what its owner may read, never to a private address (unless allowed),
//! with secret rotation, redelivery, and disabling after 5 days of failures.

use chrono::Utc;
use kernel::Role;
use serde_json::{Value, json};
use tests::receiver::Receiver;
use tests::{Session, TestApp, spawn_app, spawn_app_with};

const CREATE: &str = "mutation($i: WebhookEndpointCreateInput!) { webhookEndpointCreate(input: $i) { endpoint { id status eventTypes } secret userErrors { field code message } } }";
const MESSAGES: &str = "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { status disabledReason messages(first: 50) { nodes { id eventType status attempts log { attempt statusCode error } } } } } }";

/// Subscribes `url` to `scope`'s events; returns the endpoint's id and secret.
async fn subscribe(
    app: &TestApp,
    who: &Session,
    scope: &str,
    url: &str,
    types: Value,
) -> (String, String) {
    let r = app
        .gql(
            Some(&who.access),
            CREATE,
            json!({ "i": { "scopeId": scope, "url": url, "eventTypes": types } }),
        )
        .await
        .ok();
    assert_eq!(r.user_errors("webhookEndpointCreate"), vec![], "{}", r.body);
    let id = r
        .data("webhookEndpointCreate.endpoint.id")
        .as_str()
        .expect("id")
        .to_owned();
    let secret = r
        .data("webhookEndpointCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    (id, secret)
}

async fn messages(app: &TestApp, who: &Session, endpoint: &str) -> Value {
    let r = app
        .gql(Some(&who.access), MESSAGES, json!({ "id": endpoint }))
        .await
        .ok();
    r.data("node").clone()
}

/// The endpoint's messages once its newest is delivered (the receiver answers before the
/// worker records the attempt).
async fn once_delivered(app: &TestApp, who: &Session, endpoint: &str) -> Value {
    for _ in 0..800 {
        let m = messages(app, who, endpoint).await;
        if m["messages"]["nodes"][0]["status"] == "DELIVERED" {
            return m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the message was not marked delivered");
}

#[tokio::test]
async fn a_webhook_reaches_a_receiver_that_verifies_its_signature() {
    let app = spawn_app().await;
    let w = app.world().await;
    let rx = Receiver::start().await;
    let (endpoint, secret) = subscribe(
        &app,
        &w.owner,
        &w.dental,
        &rx.url,
        json!(["contact.created"]),
    )
    .await;
    rx.trust(&[&secret]);
    let contact = app
        .create_contact(
            &w.owner,
            &w.dental,
            json!({ "firstName": "Ada", "lastName": "Lovelace" }),
        )
        .await;
    app.create_contact(
        &w.owner,
        &w.gardens,
        json!({ "firstName": "Not", "lastName": "Dental" }),
    )
    .await;
    let got = rx.wait_for(1).await;
    assert!(got[0].verified, "the receiver verifies the signature");
    assert_eq!(got[0].body["type"], "contact.created");
    assert_eq!(got[0].body["data"]["subject"]["id"], contact.as_str());
    assert_eq!(got[0].body["data"]["scopeId"], w.dental.as_str());
    let m = once_delivered(&app, &w.owner, &endpoint).await;
    let msg = &m["messages"]["nodes"][0];
    assert_eq!(
        msg["id"],
        got[0].id.as_str(),
        "webhook-id is the message's id"
    );
    assert_eq!(msg["status"], "DELIVERED");
    assert_eq!(
        msg["log"],
        json!([{ "attempt": 1, "statusCode": 200, "error": null }])
    );
    // Only Dental's contact.created: nothing else arrives.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(rx.received().len(), 1);
}

#[tokio::test]
async fn a_receiver_failing_four_times_gets_one_success_after_five_logged_attempts() {
    let app = spawn_app().await;
    let w = app.world().await;
    let rx = Receiver::start().await;
    rx.answer(&[500, 500, 500, 500]);
    let (endpoint, secret) = subscribe(&app, &w.owner, &w.dental, &rx.url, json!([])).await;
    rx.trust(&[&secret]);
    app.create_contact(
        &w.owner,
        &w.dental,
        json!({ "firstName": "Grace", "lastName": "Hopper" }),
    )
    .await;
    let got = rx.wait_for(5).await;
    assert_eq!(got.iter().filter(|g| g.status == 200).count(), 1);
    assert!(
        got.iter().all(|g| g.verified && g.id == got[0].id),
        "the same message, signed each time"
    );
    let m = once_delivered(&app, &w.owner, &endpoint).await;
    let msg = &m["messages"]["nodes"][0];
    assert_eq!(msg["status"], "DELIVERED");
    assert_eq!(msg["attempts"], 5);
    let codes: Vec<i64> = msg["log"]
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|a| a["statusCode"].as_i64())
        .collect();
    assert_eq!(codes, [500, 500, 500, 500, 200]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(rx.received().len(), 5, "nothing after the success");
}

#[tokio::test]
async fn an_endpoint_receives_only_what_its_creator_may_read() {
    let app = spawn_app().await;
    let w = app.world().await;
    // A key that manages webhooks and reads pipelines, but not contacts.
    let key = app
        .gql(Some(&w.owner.access), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"hooks\", permissions: [WEBHOOKS_MANAGE, PIPELINES_READ] }) { secret } }", json!({ "s": w.dental }))
        .await
        .ok();
    let key = Session {
        access: key
            .data("apiKeyCreate.secret")
            .as_str()
            .expect("secret")
            .to_owned(),
        ..w.owner.clone()
    };
    let rx = Receiver::start().await;
    let (_, secret) = subscribe(&app, &key, &w.dental, &rx.url, json!([])).await;
    rx.trust(&[&secret]);
    app.create_contact(
        &w.owner,
        &w.dental,
        json!({ "firstName": "Hidden", "lastName": "Contact" }),
    )
    .await;
    app.gql(Some(&w.owner.access), "mutation($s: ID!) { pipelineCreate(input: { subAccountId: $s, name: \"Sales\" }) { pipeline { id } } }", json!({ "s": w.dental }))
        .await
        .ok();
    let got = rx.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let types: Vec<String> = rx
        .received()
        .iter()
        .filter_map(|g| g.body["type"].as_str().map(str::to_owned))
        .collect();
    assert!(
        types.iter().all(|t| !t.starts_with("contact.")),
        "{types:?}"
    );
    assert!(types.iter().any(|t| t == "pipeline.created"), "{types:?}");
    assert!(got.iter().all(|g| g.verified));
}

#[tokio::test]
async fn private_and_plain_http_urls_are_refused() {
    let app = spawn_app_with(|c| c.webhook_allow_private = false).await;
    let w = app.world().await;
    for url in [
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest",
        "https://localhost/x",
        "http://example.com/x",
        "ftp://example.com",
        "https://user:pw@example.com/x",
    ] {
        let r = app
            .gql(
                Some(&w.owner.access),
                CREATE,
                json!({ "i": { "scopeId": w.dental, "url": url } }),
            )
            .await
            .ok();
        assert_eq!(
            r.user_error_codes("webhookEndpointCreate"),
            ["INVALID"],
            "{url}"
        );
    }
    let r = app
        .gql(Some(&w.owner.access), CREATE, json!({ "i": { "scopeId": w.dental, "url": "https://hooks.example.com/x", "eventTypes": ["contact.exploded"] } }))
        .await
        .ok();
    assert_eq!(
        r.user_errors("webhookEndpointCreate"),
        vec![("input.eventTypes".to_owned(), "INVALID".to_owned())]
    );
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_and_failed_messages_are_redelivered() {
    let app = spawn_app_with(|c| c.webhook_retry_scale = 0.0).await;
    let w = app.world().await;
    let rx = Receiver::start().await;
    rx.answer(&[500; 8]);
    let (endpoint, old) = subscribe(
        &app,
        &w.owner,
        &w.dental,
        &rx.url,
        json!(["contact.created"]),
    )
    .await;
    rx.trust(&[&old]);
    app.create_contact(
        &w.owner,
        &w.dental,
        json!({ "firstName": "Failing", "lastName": "Once" }),
    )
    .await;
    rx.wait_for(8).await;
    let since = (Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let mut failed = messages(&app, &w.owner, &endpoint).await;
    for _ in 0..200 {
        if failed["messages"]["nodes"][0]["status"] == "FAILED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        failed = messages(&app, &w.owner, &endpoint).await;
    }
    assert_eq!(failed["messages"]["nodes"][0]["status"], "FAILED");
    assert_eq!(failed["messages"]["nodes"][0]["attempts"], 8);

    let r = app
        .gql(Some(&w.owner.access), "mutation($id: ID!) { webhookEndpointRotateSecret(id: $id) { secret endpoint { previousSecretExpiresAt } } }", json!({ "id": endpoint }))
        .await
        .ok();
    let new = r
        .data("webhookEndpointRotateSecret.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    assert_ne!(new, old);
    rx.trust(&[&old, &new]);
    let r = app
        .gql(Some(&w.owner.access), "mutation($id: ID!, $t: DateTime!) { webhookEndpointRedeliverFailed(id: $id, since: $t) { requeued } }", json!({ "id": endpoint, "t": since }))
        .await
        .ok();
    assert_eq!(r.data("webhookEndpointRedeliverFailed.requeued"), 1);
    let got = rx.wait_for(9).await;
    let last = got.last().expect("a delivery");
    assert_eq!(last.status, 200);
    assert!(
        last.verified,
        "verifies with the old secret and with the new one"
    );
    assert_eq!(last.signature.matches("v1,").count(), 2);
}

#[tokio::test]
async fn an_endpoint_failing_for_five_days_is_disabled_and_its_owner_told() {
    let app = spawn_app().await;
    let w = app.world().await;
    let admin = app
        .member("admin@acme.test", &w.agency, Role::AgencyAdmin)
        .await;
    let rx = Receiver::start().await;
    rx.answer(&[500; 20]);
    let (endpoint, _) =
        subscribe(&app, &admin, &w.agency, &rx.url, json!(["contact.created"])).await;
    let id = kernel::GlobalId::parse(&endpoint).expect("gid").uuid;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    webhooks::entity::endpoint::Entity::update_many()
        .col_expr(
            webhooks::entity::endpoint::Column::FailingSince,
            sea_orm::sea_query::Expr::value(Utc::now() - chrono::Duration::days(6)),
        )
        .filter(webhooks::entity::endpoint::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .expect("fail for 6 days");
    app.create_contact(
        &w.owner,
        &w.dental,
        json!({ "firstName": "Last", "lastName": "Straw" }),
    )
    .await;
    rx.wait_for(1).await;
    let mut m = messages(&app, &admin, &endpoint).await;
    for _ in 0..400 {
        if m["status"] == "DISABLED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        m = messages(&app, &admin, &endpoint).await;
    }
    assert_eq!(m["status"], "DISABLED");
    assert!(
        m["disabledReason"]
            .as_str()
            .is_some_and(|r| r.contains("5 days"))
    );
    let inbox = app
        .gql(
            Some(&admin.access),
            "{ notifications { nodes { kind } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        inbox.data("notifications.nodes")[0]["kind"],
        "webhook.disabled"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        rx.received().len(),
        1,
        "a disabled endpoint gets nothing more"
    );
}
