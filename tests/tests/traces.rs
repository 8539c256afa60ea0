//! OpenTelemetry traces: one request's span, with its request id, and a span per SQL statement
//! under it, exported over OTLP/HTTP to a local receiver. Its own test binary: the tracing
//! subscriber is global to a process.

use axum::routing::post;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// An OTLP/HTTP receiver on a free port: its base URL and what it has received.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    store.lock().expect("lock").push(v);
                }
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// Every span received, flattened.
fn spans(got: &[Value]) -> Vec<Value> {
    got.iter()
        .flat_map(|b| b["resourceSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|r| r["scopeSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|s| s["spans"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_traced_with_its_sql_statements() {
    let (endpoint, got) = receiver().await;
    let provider = gateway::telemetry::provider(&endpoint).expect("provider");
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new(
            "info,sqlx=warn,sea_orm=warn",
        ))
        .with(gateway::telemetry::layer(&provider))
        .init();
    gateway::telemetry::exporting();
    let app = tests::spawn_app().await;
    let user = app.user("traced@example.com").await;
    let r = app
        .gql_with_headers(
            Some(&user.access),
            "{ viewer { id } }",
            json!({}),
            &[("x-request-id", "trace-me-7")],
        )
        .await
        .ok();
    assert_eq!(r.data("viewer.id"), user.user_id.as_str());
    provider.force_flush().expect("flush");

    let all = spans(&got.lock().expect("lock"));
    let request = all
        .iter()
        .find(|s| {
            s["name"] == "request"
                && attribute(s, "request_id").and_then(|v| v["stringValue"].as_str())
                    == Some("trace-me-7")
        })
        .unwrap_or_else(|| panic!("no request span among {} spans", all.len()));
    let sql: Vec<&Value> = all
        .iter()
        .filter(|s| s["name"] == "sql" && s["parentSpanId"] == request["spanId"])
        .collect();
    assert!(!sql.is_empty(), "no SQL span under the request");
    assert!(sql.iter().all(|s| s["traceId"] == request["traceId"]));
    assert!(
        sql.iter().any(|s| attribute(s, "db.statement")
            .and_then(|v| v["stringValue"].as_str())
            .is_some_and(|q| q.contains("SELECT"))),
        "{sql:?}"
    );
}
