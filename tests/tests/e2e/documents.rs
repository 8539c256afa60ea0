//! Documents: automatic persisted queries as Apollo Client sends them, a manifest of persisted
//! queries (and running only those), and parsed documents reused.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tests::{LOGIN, REGISTER, TestApp, spawn_app, spawn_app_with};

const QUERY: &str = "query Me { viewer { email } }";

fn sha(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Posts `body` (with the token) and answers the status and the JSON.
async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let resp = app
        .http
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .bearer_auth(token)
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

#[tokio::test]
async fn a_hash_runs_once_its_text_was_sent_with_it() {
    let app = spawn_app().await;
    let ada = app.user("ada@apq.test").await;
    let hash = sha(QUERY);
    // Apollo Client's first try: the hash alone.
    let (status, body) = post(&app, &ada.access, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(
        (status, code(&body)),
        (200, Some("PERSISTED_QUERY_NOT_FOUND"))
    );
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    // Then the text with its hash, which registers it.
    let (status, body) = post(
        &app,
        &ada.access,
        json!({ "query": QUERY, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(
        (status, &body["data"]["viewer"]["email"]),
        (200, &json!("ada@apq.test"))
    );
    // From then on the hash alone, by POST and by GET.
    let (_, body) = post(&app, &ada.access, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(body["data"]["viewer"]["email"], "ada@apq.test", "{body}");
    let resp = app
        .http
        .get(format!("{}/graphql", app.url))
        .query(&[("extensions", persisted(&hash).to_string())])
        .bearer_auth(&ada.access)
        .send()
        .await
        .expect("get");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"]["viewer"]["email"], "ada@apq.test", "{body}");
}

#[tokio::test]
async fn a_text_whose_hash_is_not_the_one_sent_or_a_bad_version_is_refused() {
    let app = spawn_app().await;
    let ada = app.user("ada@apq.test").await;
    let other = sha("{ __typename }");
    let (status, body) = post(
        &app,
        &ada.access,
        json!({ "query": QUERY, "extensions": persisted(&other) }),
    )
    .await;
    assert_eq!((status, code(&body)), (400, Some("BAD_USER_INPUT")));
    // Nothing was registered under the wrong hash.
    let (_, body) = post(
        &app,
        &ada.access,
        json!({ "extensions": persisted(&other) }),
    )
    .await;
    assert_eq!(code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));
    let v2 = json!({ "persistedQuery": { "version": 2, "sha256Hash": sha(QUERY) } });
    let (status, body) = post(
        &app,
        &ada.access,
        json!({ "query": QUERY, "extensions": v2 }),
    )
    .await;
    assert_eq!((status, code(&body)), (400, Some("BAD_USER_INPUT")));
    let short = json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } });
    let (status, _) = post(&app, &ada.access, json!({ "extensions": short })).await;
    assert_eq!(status, 400);
}

/// A manifest holding [`QUERY`] (and the harness's registration and sign-in), and only those
/// allowed.
fn manifest_only(c: &mut kernel::Config) {
    let path = std::env::temp_dir().join(format!("canopy-pq-{}.json", uuid::Uuid::now_v7()));
    let operations: Vec<Value> = [QUERY, REGISTER, LOGIN]
        .iter()
        .map(|body| json!({ "id": sha(body), "body": body }))
        .collect();
    let manifest = json!({ "format": "apollo-persisted-query-manifest", "version": 1, "operations": operations });
    std::fs::write(&path, manifest.to_string()).expect("write the manifest");
    c.persisted_queries = Some(path);
    c.persisted_queries_only = true;
}

#[tokio::test]
async fn with_only_persisted_queries_the_manifest_runs_and_nothing_else() {
    let app = spawn_app_with(manifest_only).await;
    let ada = app.user("ada@apq.test").await;
    // Known from the start, on the hash alone.
    let (_, body) = post(
        &app,
        &ada.access,
        json!({ "extensions": persisted(&sha(QUERY)) }),
    )
    .await;
    assert_eq!(body["data"]["viewer"]["email"], "ada@apq.test", "{body}");
    // Its text runs too; any other text does not, nor does registering one.
    let (_, body) = post(&app, &ada.access, json!({ "query": QUERY })).await;
    assert_eq!(body["data"]["viewer"]["email"], "ada@apq.test", "{body}");
    let other = "{ viewer { id } }";
    let (status, body) = post(&app, &ada.access, json!({ "query": other })).await;
    assert_eq!(
        (status, code(&body)),
        (400, Some("PERSISTED_QUERY_NOT_ALLOWED"))
    );
    let (status, _) = post(
        &app,
        &ada.access,
        json!({ "query": other, "extensions": persisted(&sha(other)) }),
    )
    .await;
    assert_eq!(status, 400);
    let (_, body) = post(
        &app,
        &ada.access,
        json!({ "extensions": persisted(&sha(other)) }),
    )
    .await;
    assert_eq!(code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));
}

#[tokio::test]
async fn a_document_seen_before_is_not_parsed_again() {
    let app = spawn_app().await;
    let ada = app.user("ada@apq.test").await;
    let reused = || app.metrics.documents_reused.get();
    let start = reused();
    app.gql(Some(&ada.access), QUERY, json!({})).await.ok();
    assert_eq!(reused(), start, "the first time it is parsed");
    for _ in 0..3 {
        let r = app.gql(Some(&ada.access), QUERY, json!({})).await.ok();
        assert_eq!(r.data("viewer.email"), "ada@apq.test");
    }
    assert_eq!(reused(), start + 3);
    // A different text is another document; a syntax error is never kept.
    app.gql(Some(&ada.access), "{ viewer { id } }", json!({}))
        .await
        .ok();
    assert_eq!(reused(), start + 3);
    for _ in 0..2 {
        let r = app.gql(Some(&ada.access), "{ viewer {", json!({})).await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    }
    assert_eq!(reused(), start + 3);
    // Nor is a text over 64 KiB (it runs, parsed each time).
    let long = format!("# {}\n{QUERY}", "x".repeat(70_000));
    for _ in 0..2 {
        let r = app.gql(Some(&ada.access), &long, json!({})).await.ok();
        assert_eq!(r.data("viewer.email"), "ada@apq.test");
    }
    assert_eq!(reused(), start + 3);
}

#[tokio::test]
async fn with_the_caches_off_a_hash_is_not_supported_and_anonymous_documents_are_not_kept() {
    let off = spawn_app_with(|c| c.document_cache = 0).await;
    let ada = off.user("ada@apq.test").await;
    let (status, body) = post(
        &off,
        &ada.access,
        json!({ "extensions": persisted(&sha(QUERY)) }),
    )
    .await;
    // Apollo Client stops sending hashes on this answer.
    assert_eq!(
        (status, code(&body)),
        (200, Some("PERSISTED_QUERY_NOT_SUPPORTED"))
    );
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotSupported");
    let app = spawn_app().await;
    let start = app.metrics.documents_reused.get();
    for _ in 0..3 {
        let r = app.gql(None, "{ __typename }", json!({})).await.ok();
        assert_eq!(r.data("__typename"), "QueryRoot");
    }
    assert_eq!(
        app.metrics.documents_reused.get(),
        start,
        "an anonymous caller fills no cache"
    );
}

/// Sends `doc` with `vars` three times: the first (a document not seen before, validated in
/// full) is refused with an error that says `says`, and the two repeats (reused) get the very
/// same answer.
async fn refused_alike(app: &TestApp, token: &str, doc: &str, vars: Value, says: &str) {
    let fresh = app.gql(Some(token), doc, vars.clone()).await;
    assert!(
        fresh.error_message().is_some_and(|m| m.contains(says)),
        "{}",
        fresh.body
    );
    for _ in 0..2 {
        let again = app.gql(Some(token), doc, vars.clone()).await;
        assert_eq!(again.body, fresh.body, "{doc}");
    }
}

/// A reused document is validated once for what depends on it alone (`Schema::check_document`);
/// what a request brings, its variables' values, is checked every time. So a reused document's
/// bad variables get the answer a fresh one's get, and a document that fails validation is never
/// marked valid: it is refused alike each time.
#[tokio::test]
async fn a_reused_document_is_refused_as_a_fresh_one_is() {
    let app = spawn_app().await;
    let ada = app.user("ada@apq.test").await;
    let reused = || app.metrics.documents_reused.get();
    let start = reused();
    let invalid = "Invalid value for argument";
    let doc = "query($n: Int) { notifications(first: $n) { nodes { id } } }";
    refused_alike(&app, &ada.access, doc, json!({ "n": "five" }), invalid).await;
    for _ in 0..2 {
        let good = app
            .gql(Some(&ada.access), doc, json!({ "n": 5 }))
            .await
            .ok();
        assert!(good.data("notifications.nodes").is_array(), "{}", good.body);
    }
    // A named fragment on another type than where it is spread: its arguments are checked
    // where the fragment is defined.
    let spread = "query($id: ID!, $n: Int) { node(id: $id) { ...P } } fragment P on Pipeline { lanes { tickets(first: $n) { nodes { id } } } }";
    let pipeline = kernel::GlobalId::new(kernel::NodeKind::Pipeline, uuid::Uuid::now_v7());
    let vars = json!({ "id": pipeline.to_string(), "n": "five" });
    refused_alike(&app, &ada.access, spread, vars, invalid).await;
    let wrong = "{ viewer { email nope } }";
    refused_alike(&app, &ada.access, wrong, json!({}), "nope").await;
    assert_eq!(reused(), start + 8, "every repeat came from the cache");
}
