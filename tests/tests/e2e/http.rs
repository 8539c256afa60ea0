//! The HTTP edge: GraphQL over HTTP, CSRF refusals, limits, health, request ids.

use serde_json::{Value, json};
use tests::{spawn_app, spawn_app_with};

#[tokio::test]
async fn mutations_are_refused_on_get_and_queries_work() {
    let app = spawn_app().await;
    let mutation = "mutation { userRegister(input: { email: \"g@example.com\", name: \"G\", password: \"long enough pw\" }) { user { id } } }";
    let r = app
        .http
        .get(format!("{}/graphql", app.url))
        .query(&[("query", mutation)])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(
        r.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    assert_eq!(app.count("users").await, 0);

    let r = app
        .http
        .get(format!("{}/graphql", app.url))
        .query(&[("query", "{ viewer { id } }")])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body, json!({ "data": { "viewer": null } }));
}

#[tokio::test]
async fn simple_cross_site_requests_are_refused() {
    let app = spawn_app().await;
    let body = json!({ "query": "mutation { userRegister(input: { email: \"csrf@example.com\", name: \"C\", password: \"long enough pw\" }) { user { id } } }" }).to_string();
    // Multipart (file uploads) is accepted only with a header that forces a CORS preflight.
    for (ct, status) in [
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data; boundary=x", 400),
    ] {
        let r = app
            .http
            .post(format!("{}/graphql", app.url))
            .header("content-type", ct)
            .body(body.clone())
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), status, "{ct}");
    }
    let r = app
        .http
        .post(format!("{}/graphql", app.url))
        .body(body)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 415, "no content type");
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn malformed_requests_get_clear_errors() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let r = app.gql(None, "{ viewer { id ", json!({})).await;
    assert_eq!((r.status, r.error_code()), (200, Some("BAD_USER_INPUT")));
    assert!(
        r.body.get("data").is_none(),
        "a request error has no data entry: {}",
        r.body
    );
    let r = app.gql(None, "{ nosuchfield }", json!({})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));

    // With the GraphQL-over-HTTP media type, a request error is a 400.
    let r = app
        .http
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(json!({ "query": "{ nosuchfield }" }).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("application/graphql-response+json")
    );
    let r = app
        .http
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .header("accept", "text/html")
        .body(json!({ "query": "{ viewer { id } }" }).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 406);
}

#[tokio::test]
async fn depth_alias_and_body_limits() {
    let app = spawn_app_with(|c| {
        c.max_depth = 3;
        c.max_aliases = 2;
        c.max_body_bytes = 4096;
    })
    .await;
    let deep = "{ apiKeys(scopeId: \"plt_00000000000000000000000000000000\") { edges { node { scope { id } } } } }";
    let r = app.gql(None, deep, json!({})).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert!(
        r.error_message()
            .expect("msg")
            .to_lowercase()
            .contains("nesting depth is 5; at most 3"),
        "{}",
        r.body
    );

    let aliased = "{ a: viewer { id } b: viewer { id } c: viewer { id } }";
    let r = app.gql(None, aliased, json!({})).await;
    assert_eq!((r.status, r.error_code()), (400, Some("BAD_USER_INPUT")));
    let r = app
        .gql(
            None,
            "fragment F on Query { b: viewer { id } c: viewer { id } } { a: viewer { id } ...F }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.error_code(),
        Some("BAD_USER_INPUT"),
        "aliases inside fragments count too"
    );
    app.gql(None, "{ a: viewer { id } b: viewer { id } }", json!({}))
        .await
        .ok();

    let big = format!("{{ viewer {{ id }} }} # {}", "x".repeat(8192));
    let r = app.gql(None, &big, json!({})).await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn health_readiness_and_request_ids() {
    let app = spawn_app().await;
    let r = app
        .http
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .http
        .get(format!("{}/readyz", app.url))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .http
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .body(json!({ "query": "{ viewer { id } }" }).to_string())
        .send()
        .await
        .expect("send");
    let id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id");
    assert_eq!(id.len(), 36);
    let r = app
        .http
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .header("x-request-id", "trace-me-123")
        .body(json!({ "query": "{ viewer { id } }" }).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("trace-me-123")
    );
}

#[tokio::test]
async fn graphiql_is_served_and_can_be_turned_off() {
    let app = spawn_app().await;
    let r = app
        .http
        .get(format!("{}/", app.url))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.expect("text").contains("graphiql"));

    let prod = spawn_app_with(|c| {
        c.graphiql = false;
        c.introspection = false;
    })
    .await;
    let r = prod
        .http
        .get(format!("{}/", prod.url))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 404);
    let r = prod
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        r.body.get("errors").is_some() || r.body["data"]["__schema"].is_null(),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn internal_errors_carry_the_request_id_and_no_internals() {
    let app = spawn_app().await;
    let s = app.user("x@example.com").await;
    // Break the database under the server: the error must not show SQL.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("DROP TABLE api_keys")
        .await
        .expect("drop");
    let r = app
        .gql_with_headers(
            Some(&s.access),
            "{ apiKeys(scopeId: \"plt_00000000000000000000000000000000\") { totalCount } }",
            json!({}),
            &[],
        )
        .await;
    // The user holds nothing on the platform: NOT_FOUND comes before any query.
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    app.grant(
        &s.user_id,
        kernel::Scope::Platform,
        kernel::Role::PlatformAdmin,
    )
    .await;
    let r = app
        .gql_with_headers(
            Some(&s.access),
            "{ apiKeys(scopeId: \"plt_00000000000000000000000000000000\") { totalCount } }",
            json!({}),
            &[("x-request-id", "req-42")],
        )
        .await;
    assert_eq!(r.error_code(), Some("INTERNAL"));
    assert_eq!(r.body["errors"][0]["extensions"]["requestId"], "req-42");
    let text = r.body.to_string().to_lowercase();
    assert!(
        !text.contains("api_keys") && !text.contains("select") && !text.contains("table"),
        "{text}"
    );
}
