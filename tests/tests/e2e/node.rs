//! `node` and `nodes`: what an interface returns is what the object's own query would.

use serde_json::json;
use tests::spawn_app;

const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on User { email } } }";

#[tokio::test]
async fn node_resolves_only_what_the_actor_may_see() {
    let app = spawn_app().await;
    let me = app.user("me@example.com").await;
    let other = app.user("other@example.com").await;

    let r = app
        .gql(Some(&me.access), NODE, json!({ "id": me.user_id }))
        .await
        .ok();
    assert_eq!(r.data("node.email"), "me@example.com");

    let foreign = app
        .gql(Some(&me.access), NODE, json!({ "id": other.user_id }))
        .await;
    let random = kernel::GlobalId::new(kernel::NodeKind::User, uuid::Uuid::now_v7()).to_string();
    let missing = app
        .gql(Some(&me.access), NODE, json!({ "id": random }))
        .await;
    assert_eq!(foreign.error_code(), Some("NOT_FOUND"));
    assert_eq!(
        foreign.body["errors"][0]["message"],
        missing.body["errors"][0]["message"]
    );
    assert!(!foreign.body.to_string().contains("other@example.com"));

    let anon = app.gql(None, NODE, json!({ "id": me.user_id })).await;
    assert_eq!(anon.error_code(), Some("NOT_FOUND"));

    let bad = app
        .gql(Some(&me.access), NODE, json!({ "id": "usr_xyz" }))
        .await;
    assert_eq!(bad.error_code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn nodes_keeps_order_and_nulls_what_is_hidden() {
    let app = spawn_app().await;
    let me = app.user("me@example.com").await;
    let other = app.user("other@example.com").await;
    let r = app
        .gql(
            Some(&me.access),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [me.user_id, other.user_id, me.user_id] }),
        )
        .await;
    assert_eq!(
        r.body["data"]["nodes"],
        json!([{ "id": me.user_id }, null, { "id": me.user_id }])
    );
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    assert_eq!(r.body["errors"][0]["path"], json!(["nodes", 1]));

    let aliased = app
        .gql(
            Some(&me.access),
            "query($ids: [ID!]!) { found: nodes(ids: $ids) { id } }",
            json!({ "ids": [other.user_id] }),
        )
        .await;
    assert_eq!(aliased.body["errors"][0]["path"], json!(["found", 0]));

    let many: Vec<String> = (0..101).map(|_| me.user_id.clone()).collect();
    let r = app
        .gql(
            Some(&me.access),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": many }),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
}
