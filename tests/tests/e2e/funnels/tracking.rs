//! Tracking tags on a funnel's pages: typed ids, only after the sub-account opts in, rendered
//! with a policy that lets through exactly Canopy's tag scripts and still no script from the
//! page's content.

use super::{doc, funnel, publish, site, visit};
use kernel::auth::Role;
use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const SET: &str = "mutation($id: ID!, $t: FunnelTrackingInput!) { funnelTrackingSet(id: $id, tracking: $t) { funnel { tracking { googleAnalyticsId metaPixelId } } userErrors { field code } } }";
const ALLOW: &str = "mutation($s: ID!, $a: Boolean!) { funnelTrackingAllow(subAccountId: $s, allowed: $a) { allowed userErrors { code } } }";

async fn allow(app: &TestApp, who: &Session, sub: &str, allowed: bool) -> tests::Gql {
    app.gql(Some(&who.access), ALLOW, json!({ "s": sub, "a": allowed }))
        .await
}

async fn set(app: &TestApp, who: &Session, funnel: &str, t: Value) -> tests::Gql {
    app.gql(Some(&who.access), SET, json!({ "id": funnel, "t": t }))
        .await
        .ok()
}

#[tokio::test]
async fn tracking_tags_wait_for_the_sub_accounts_opt_in() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (f, home) = funnel(&app, &w.owner, &w.dental, "tracked").await;
    publish(&app, &w.owner, &home, doc("Tracked")).await;
    let ga = json!({ "googleAnalyticsId": "G-TEST1234" });
    let r = set(&app, &w.owner, &f, ga.clone()).await;
    assert_eq!(
        r.user_errors("funnelTrackingSet"),
        vec![("tracking".into(), "NOT_ALLOWED".into())]
    );
    // Someone who does not manage the sub-account's settings cannot opt it in.
    let staff = app
        .member("staff@tracked.test", &w.dental, Role::SubaccountUser)
        .await;
    assert_eq!(
        allow(&app, &staff, &w.dental, true).await.error_code(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        allow(&app, &w.owner, &w.dental, true)
            .await
            .ok()
            .data("funnelTrackingAllow.allowed"),
        true
    );
    let r = set(
        &app,
        &w.owner,
        &f,
        json!({ "googleAnalyticsId": "G-x'</script>" }),
    )
    .await;
    assert_eq!(
        r.user_errors("funnelTrackingSet"),
        vec![("tracking.googleAnalyticsId".into(), "INVALID".into())]
    );
    let r = set(&app, &w.owner, &f, ga).await;
    assert_eq!(
        r.data("funnelTrackingSet.funnel.tracking.googleAnalyticsId"),
        "G-TEST1234"
    );
    let page = visit(&app, &site("tracked"), "/", None).await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("policy")
        .to_owned();
    assert!(
        policy.contains("script-src 'sha256-") && policy.contains("'strict-dynamic'"),
        "{policy}"
    );
    let etag = page.headers()["etag"].to_str().expect("etag").to_owned();
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("gtag/js?id=G-TEST1234")
    );
    // A revalidated page keeps its policy (a 304's headers replace the cached copy's).
    let again = visit(&app, &site("tracked"), "/", Some(&etag)).await;
    assert_eq!(again.status(), 304);
    assert_eq!(
        again.headers()["content-security-policy"]
            .to_str()
            .expect("policy"),
        policy
    );
    // Turned off, the tags leave the pages at once.
    allow(&app, &w.owner, &w.dental, false).await.ok();
    let page = visit(&app, &site("tracked"), "/", None).await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("policy")
        .to_owned();
    assert!(!policy.contains("script-src"), "{policy}");
    assert!(
        !page
            .text()
            .await
            .expect("html")
            .contains("googletagmanager")
    );
}

#[tokio::test]
async fn chromium_runs_the_tag_scripts_and_still_no_script_from_content() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (f, home) = funnel(&app, &w.owner, &w.dental, "pixel").await;
    allow(&app, &w.owner, &w.dental, true).await.ok();
    set(&app, &w.owner, &f, json!({ "metaPixelId": "1234567890" })).await;
    let d = json!({ "schemaVersion": 1, "blocks": [{ "type": "section", "children": [
        { "type": "heading", "level": 1, "text": "Pixel page" },
        { "type": "customHtml", "html": "<script>document.title='pwned'</script><img src=\"/x.png\" onerror=\"document.title='pwned-onerror'\">" }
    ]}]});
    publish(&app, &w.owner, &home, d).await;
    let url = format!("http://pixel.sites.canopy.localhost:{}/", app.addr.port());
    let out = tests::browser::headless(&url, &["--dump-dom"]).await;
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("Pixel page"), "the page did not render: {dom}");
    // The pixel's snippet ran: it adds the pixel's script element to the page.
    assert!(
        dom.contains("<script async=\"\" src=\"https://connect.facebook.net/en_US/fbevents.js\">"),
        "the tag script did not run: {dom}"
    );
    assert!(!dom.contains("<title>pwned"), "a content script ran: {dom}");
}
