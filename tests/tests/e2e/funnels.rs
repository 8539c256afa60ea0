//! Funnels: pages built as block documents through the API, published as immutable versions,
//! rolled back, and served to the public by host (subdomain or custom domain) with ETags;
//! bad documents, collisions and permissions refused with user errors.

mod cache;
mod forms;
mod stats;
mod tracking;

use kernel::Role;
use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const CREATE: &str = "mutation($i: FunnelCreateInput!) { funnelCreate(input: $i) { funnel { id subdomain url pages { id path } } userErrors { field code message } } }";
pub(crate) const SAVE: &str = "mutation($id: ID!, $d: JSON!) { funnelPageSaveDraft(id: $id, document: $d) { page { id draft } userErrors { field code message } } }";
const PUBLISH: &str = "mutation($id: ID!) { funnelPagePublish(id: $id) { page { published } version { id number live } userErrors { field code message } } }";

/// A funnel at `subdomain` in `sub`: its id and its home page's id.
pub(crate) async fn funnel(
    app: &TestApp,
    who: &Session,
    sub: &str,
    subdomain: &str,
) -> (String, String) {
    let r = app
        .gql(
            Some(&who.access),
            CREATE,
            json!({ "i": { "subAccountId": sub, "kind": "FUNNEL", "name": "Spring offer", "subdomain": subdomain } }),
        )
        .await
        .ok();
    assert_eq!(r.user_errors("funnelCreate"), vec![], "{}", r.body);
    let f = r.data("funnelCreate.funnel");
    assert_eq!(f["pages"][0]["path"], "/");
    (
        f["id"].as_str().expect("id").to_owned(),
        f["pages"][0]["id"].as_str().expect("page").to_owned(),
    )
}

pub(crate) fn doc(heading: &str) -> Value {
    json!({ "schemaVersion": 1, "blocks": [{ "type": "section", "children": [
        { "type": "heading", "level": 1, "text": heading },
        { "type": "text", "text": "Book before Friday." },
        { "type": "button", "label": "Book now", "href": "/book" }
    ]}]})
}

/// Saves `document` as the page's draft and publishes it; returns the version's id.
pub(crate) async fn publish(app: &TestApp, who: &Session, page: &str, document: Value) -> String {
    let r = app
        .gql(
            Some(&who.access),
            SAVE,
            json!({ "id": page, "d": document }),
        )
        .await
        .ok();
    assert_eq!(r.user_errors("funnelPageSaveDraft"), vec![], "{}", r.body);
    let r = app
        .gql(Some(&who.access), PUBLISH, json!({ "id": page }))
        .await
        .ok();
    assert_eq!(r.user_errors("funnelPagePublish"), vec![], "{}", r.body);
    r.data("funnelPagePublish.version.id")
        .as_str()
        .expect("version")
        .to_owned()
}

/// A public GET of `path` at `host`.
pub(crate) async fn visit(
    app: &TestApp,
    host: &str,
    path: &str,
    etag: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .http
        .get(format!("{}{path}", app.url))
        .header("host", host);
    if let Some(t) = etag {
        req = req.header("if-none-match", t);
    }
    req.send().await.expect("request")
}

pub(crate) fn site(subdomain: &str) -> String {
    format!("{subdomain}.sites.canopy.localhost")
}

#[tokio::test]
async fn a_published_page_is_served_at_its_subdomain_and_revalidates_with_304() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    publish(&app, &w.owner, &home, doc("Spring whitening")).await;

    let r = visit(&app, &site("spring-offer"), "/", None).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html")
    );
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap_or("")
            .contains("default-src 'none'")
    );
    let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
    let html = r.text().await.expect("html");
    assert!(html.contains("<h1>Spring whitening</h1>"), "{html}");
    assert!(html.contains("Book before Friday."));

    let again = visit(&app, &site("spring-offer"), "/", Some(&etag)).await;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().ok(), Some(etag.as_str()));
    assert_eq!(again.text().await.expect("body"), "");
}

#[tokio::test]
async fn a_draft_stays_private_until_published_and_rollback_is_instant() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    let v1 = publish(&app, &w.owner, &home, doc("First")).await;
    let r = app
        .gql(
            Some(&w.owner.access),
            SAVE,
            json!({ "id": home, "d": doc("Draft only") }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("funnelPageSaveDraft.page.draft.blocks")[0]["children"][0]["text"],
        "Draft only"
    );
    let html = visit(&app, &site("spring-offer"), "/", None)
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("First") && !html.contains("Draft only"),
        "{html}"
    );

    publish(&app, &w.owner, &home, doc("Second")).await;
    let html = visit(&app, &site("spring-offer"), "/", None)
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Second"), "{html}");

    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($v: ID!) { funnelPageRollback(versionId: $v) { page { versions(first: 10) { totalCount nodes { number live } } } version { number } userErrors { code } } }",
            json!({ "v": v1 }),
        )
        .await
        .ok();
    assert_eq!(r.data("funnelPageRollback.version.number"), 1);
    let versions = r.data("funnelPageRollback.page.versions");
    assert_eq!(versions["totalCount"], 2);
    assert_eq!(
        versions["nodes"],
        json!([{ "number": 2, "live": false }, { "number": 1, "live": true }])
    );
    let html = visit(&app, &site("spring-offer"), "/", None)
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("First") && !html.contains("Second"), "{html}");
}

#[tokio::test]
async fn unknown_paths_unpublished_pages_and_unknown_sites_get_the_404_page() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (funnel_id, home) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    publish(&app, &w.owner, &home, doc("Home")).await;
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($i: FunnelPageCreateInput!) { funnelPageCreate(input: $i) { page { id path } userErrors { code } } }",
            json!({ "i": { "funnelId": funnel_id, "name": "Thanks", "path": "/Thank-You/" } }),
        )
        .await
        .ok();
    assert_eq!(r.data("funnelPageCreate.page.path"), "/thank-you");

    for (host, path) in [
        (site("spring-offer"), "/thank-you"),
        (site("spring-offer"), "/nope"),
        (site("spring-offer"), "//x"),
        (site("nobody-here"), "/"),
        (site("nobody-here"), "//"),
    ] {
        let r = visit(&app, &host, path, None).await;
        assert_eq!(r.status(), 404, "{host}{path}");
        assert!(r.text().await.expect("html").contains("Page not found"));
    }
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { funnelPageUnpublish(id: $id) { page { published } userErrors { code } } }",
        json!({ "id": home }),
    )
    .await
    .ok();
    assert_eq!(
        visit(&app, &site("spring-offer"), "/", None).await.status(),
        404
    );
}

/// Publishes a home page at `spring-offer` in Dental and views it until the replica serves it
/// from its cache.
async fn cached_home(app: &TestApp, w: &tests::World) {
    let (_, home) = funnel(app, &w.owner, &w.dental, "spring-offer").await;
    publish(app, &w.owner, &home, doc("Home")).await;
    for _ in 0..3 {
        assert_eq!(
            visit(app, &site("spring-offer"), "/", None).await.status(),
            200
        );
    }
}

#[tokio::test]
async fn a_suspended_sub_account_takes_its_pages_offline() {
    let app = spawn_app().await;
    let w = app.world().await;
    cached_home(&app, &w).await;
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { subAccountSuspend(id: $id) { userErrors { code } } }",
        json!({ "id": w.dental }),
    )
    .await
    .ok();
    assert_eq!(
        visit(&app, &site("spring-offer"), "/", None).await.status(),
        404
    );
}

#[tokio::test]
async fn an_agency_suspended_by_the_platform_takes_its_cached_pages_offline_at_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    cached_home(&app, &w).await;
    let r = app
        .gql(
            Some(&w.admin.access),
            "mutation($id: ID!) { agencySuspend(id: $id) { agency { status } } }",
            json!({ "id": w.agency }),
        )
        .await
        .ok();
    assert_eq!(r.data("agencySuspend.agency.status"), "SUSPENDED");
    assert_eq!(
        visit(&app, &site("spring-offer"), "/", None).await.status(),
        404
    );
}

#[tokio::test]
async fn a_custom_domain_serves_the_funnel_and_is_unique_on_the_platform() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (funnel_id, home) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    publish(&app, &w.owner, &home, doc("On my own domain")).await;
    const ADD: &str = "mutation($f: ID!, $h: String!) { funnelDomainAdd(funnelId: $f, host: $h) { funnel { customDomains } userErrors { field code } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            ADD,
            json!({ "f": funnel_id, "h": "Offers.Dental-Example.com." }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("funnelDomainAdd.funnel.customDomains"),
        &json!(["offers.dental-example.com"])
    );
    let html = visit(&app, "offers.dental-example.com:443", "/", None)
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("On my own domain"), "{html}");

    let (other, _) = funnel(&app, &w.owner, &w.gardens, "garden-days").await;
    let r = app
        .gql(
            Some(&w.owner.access),
            ADD,
            json!({ "f": other, "h": "offers.dental-example.com" }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("funnelDomainAdd"),
        vec![("input.host".to_owned(), "TAKEN".to_owned())]
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            ADD,
            json!({ "f": other, "h": "x.sites.canopy.localhost" }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("funnelDomainAdd"), vec!["NOT_ALLOWED"]);

    // Another agency's dashboard domain is never a funnel's.
    let rival_owner = app.user("owner@rival.test").await;
    let rival = app.agency(&w.admin, "Rival", "owner@rival.test").await;
    let r = app
        .gql(
            Some(&rival_owner.access),
            "mutation($id: ID!) { agencyUpdate(id: $id, input: { customDomain: \"app.rival-example.com\" }) { userErrors { code } } }",
            json!({ "id": rival }),
        )
        .await
        .ok();
    assert_eq!(r.user_errors("agencyUpdate"), vec![], "{}", r.body);
    let r = app
        .gql(
            Some(&w.owner.access),
            ADD,
            json!({ "f": other, "h": "app.rival-example.com" }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("funnelDomainAdd"),
        vec![("input.host".to_owned(), "TAKEN".to_owned())]
    );
    // The other way round, the first claim wins: an agency naming Dental's funnel domain as its
    // own does not take Dental's site offline.
    app.gql(
        Some(&rival_owner.access),
        "mutation($id: ID!) { agencyUpdate(id: $id, input: { customDomain: \"offers.dental-example.com\" }) { userErrors { code } } }",
        json!({ "id": rival }),
    )
    .await
    .ok();
    let html = visit(&app, "offers.dental-example.com", "/", None)
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("On my own domain"), "{html}");
}

#[tokio::test]
async fn a_subdomain_taken_by_another_tenant_and_a_path_collision_are_taken() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (funnel_id, _) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    let rival_owner = app.user("owner@rival.test").await;
    let rival = app.agency(&w.admin, "Rival", "owner@rival.test").await;
    let rival_sub = app.sub_account(&rival_owner, &rival, "Rival clinic").await;
    let r = app
        .gql(
            Some(&rival_owner.access),
            CREATE,
            json!({ "i": { "subAccountId": rival_sub, "kind": "WEBSITE", "name": "Copy", "subdomain": "Spring-Offer" } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("funnelCreate"),
        vec![("input.subdomain".to_owned(), "TAKEN".to_owned())]
    );

    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($i: FunnelPageCreateInput!) { funnelPageCreate(input: $i) { page { id } userErrors { field code } } }",
            json!({ "i": { "funnelId": funnel_id, "name": "Again", "path": "/" } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("funnelPageCreate"),
        vec![("input.path".to_owned(), "TAKEN".to_owned())]
    );
}

#[tokio::test]
async fn bad_documents_are_refused_with_the_block_path() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    let cases = [
        (
            json!({ "type": "marquee", "text": "hi" }),
            "input.document.blocks[0].children[0]",
        ),
        (
            json!({ "type": "button", "label": "x", "href": "javascript:alert(1)" }),
            "input.document.blocks[0].children[0].href",
        ),
        (
            json!({ "type": "image", "src": "JaVaScRiPt:alert(1)", "alt": "" }),
            "input.document.blocks[0].children[0].src",
        ),
        (
            json!({ "type": "heading", "level": 9, "text": "x" }),
            "input.document.blocks[0].children[0].level",
        ),
    ];
    for (block, field) in cases {
        let d =
            json!({ "schemaVersion": 1, "blocks": [{ "type": "section", "children": [block] }] });
        let r = app
            .gql(Some(&w.owner.access), SAVE, json!({ "id": home, "d": d }))
            .await
            .ok();
        assert_eq!(
            r.user_errors("funnelPageSaveDraft"),
            vec![(field.to_owned(), "INVALID".to_owned())],
            "{}",
            r.body
        );
    }
}

#[tokio::test]
async fn scripts_in_custom_html_and_attributes_never_reach_the_page() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    let d = json!({ "schemaVersion": 1, "blocks": [
        { "type": "customHtml", "html": "<p>Kept</p><script>alert(1)</script><img src=x onerror=\"alert(2)\"><a href=\"javascript:alert(3)\">x</a>" },
        { "type": "image", "src": "/a.png", "alt": "\"><script>alert(4)</script>" }
    ]});
    publish(&app, &w.owner, &home, d).await;
    let html = visit(&app, &site("spring-offer"), "/", None)
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("<p>Kept</p>"), "{html}");
    for bad in ["<script", "onerror", "javascript:"] {
        assert!(!html.contains(bad), "{bad} reached the page: {html}");
    }
}

#[tokio::test]
async fn a_member_who_may_only_read_cannot_edit_or_publish() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    let reader = app
        .member("reader@acme.test", &w.dental, Role::SubaccountUser)
        .await;
    let r = app
        .gql(
            Some(&reader.access),
            SAVE,
            json!({ "id": home, "d": doc("x") }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    let r = app
        .gql(Some(&reader.access), PUBLISH, json!({ "id": home }))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    let r = app
        .gql(
            Some(&reader.access),
            "query($s: ID!) { funnels(subAccountId: $s, first: 10) { totalCount nodes { subdomain pages { path published } } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(r.data("funnels.totalCount"), 1);
    assert_eq!(r.data("funnels.nodes")[0]["pages"][0]["published"], false);
}

#[tokio::test]
async fn the_page_document_schema_is_published() {
    let app = spawn_app().await;
    let r = app
        .gql(None, "{ funnelPageDocumentSchema }", json!({}))
        .await
        .ok();
    let schema = r.data("funnelPageDocumentSchema").to_string();
    for t in ["\"section\"", "\"customHtml\"", "schemaVersion"] {
        assert!(schema.contains(t), "{t} missing from {schema}");
    }
}

#[tokio::test]
async fn chromium_shows_the_published_page_and_runs_no_script_from_its_content() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    // Each would mark the page if it ran: a script, an event handler, a javascript: link.
    let d = json!({ "schemaVersion": 1, "blocks": [{ "type": "section", "children": [
        { "type": "heading", "level": 1, "text": "Visible headline" },
        { "type": "customHtml", "html": "<p>Kept paragraph</p><script>document.title='pwned-script'</script><img src=\"/x.png\" onerror=\"document.title='pwned-onerror'\"><svg onload=\"document.title='pwned-svg'\"></svg>" },
        { "type": "text", "text": "<script>document.title='pwned-text'</script>" }
    ]}]});
    publish(&app, &w.owner, &home, d).await;
    let url = format!(
        "http://spring-offer.sites.canopy.localhost:{}/",
        app.addr.port()
    );
    let out = tests::browser::headless(&url, &["--dump-dom"]).await;
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("Visible headline") && dom.contains("Kept paragraph"),
        "the page did not render: {dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dom.contains("<title>pwned"), "a script ran: {dom}");
    assert!(
        dom.contains("<title>Spring offer</title>")
            || dom.contains("<title>Home · Spring offer</title>"),
        "{dom}"
    );
}

#[tokio::test]
async fn a_funnel_is_cloned_into_a_sibling_sub_account_unpublished() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (funnel_id, home) = funnel(&app, &w.owner, &w.dental, "spring-offer").await;
    publish(&app, &w.owner, &home, doc("Original")).await;
    const CLONE: &str = "mutation($id: ID!, $i: FunnelCloneInput!) { funnelClone(id: $id, input: $i) { funnel { subAccountId subdomain pages { path published draft } } userErrors { field code } } }";
    let r = app
        .gql(Some(&w.owner.access), CLONE, json!({ "id": funnel_id, "i": { "subAccountId": w.gardens, "name": "Copy", "subdomain": "garden-offer" } }))
        .await
        .ok();
    let copy = r.data("funnelClone.funnel");
    assert_eq!(copy["subAccountId"], json!(w.gardens));
    assert_eq!(copy["pages"][0]["published"], false);
    assert_eq!(
        copy["pages"][0]["draft"]["blocks"][0]["children"][0]["text"],
        "Original"
    );
    assert_eq!(
        visit(&app, &site("garden-offer"), "/", None).await.status(),
        404
    );

    let r = app
        .gql(
            Some(&w.owner.access),
            CLONE,
            json!({ "id": funnel_id, "i": { "name": "Again", "subdomain": "spring-offer" } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("funnelClone"),
        vec![("input.subdomain".to_owned(), "TAKEN".to_owned())]
    );
    let dental_only = app
        .member("dental@acme.test", &w.dental, Role::SubaccountAdmin)
        .await;
    let r = app
        .gql(Some(&dental_only.access), CLONE, json!({ "id": funnel_id, "i": { "subAccountId": w.gardens, "name": "X", "subdomain": "sneaky-copy" } }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
}
