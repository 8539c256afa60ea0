//! The rendered-page cache: a page read again costs no SQL statement, and a change made
//! through one replica reaches another replica's cached copy within the cache's time to live.

use super::{doc, funnel, publish, site, visit};
use tests::spawn_app;

#[tokio::test]
async fn a_cached_page_costs_no_statement_and_a_publish_elsewhere_replaces_it() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "smile").await;
    publish(&app, &w.owner, &home, doc("First")).await;
    let replica = app.replica().await;
    let host = site("smile");
    for _ in 0..2 {
        visit(&replica, &host, "/", None).await;
    }
    let before = replica.metrics.sql_statements.get();
    let html = visit(&replica, &host, "/", None)
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("First"));
    assert_eq!(
        replica.metrics.sql_statements.get(),
        before,
        "served from memory"
    );

    publish(&app, &w.owner, &home, doc("Second")).await;
    let mut seen = String::new();
    for _ in 0..100 {
        seen = visit(&replica, &host, "/", None)
            .await
            .text()
            .await
            .expect("html");
        if seen.contains("Second") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(seen.contains("Second"), "{seen}");
}

#[tokio::test]
async fn a_published_version_that_cannot_be_read_is_an_internal_error_not_a_blank_page() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "smile").await;
    let version = publish(&app, &w.owner, &home, doc("Readable")).await;
    // As if a schema change had shipped without its upgrade step.
    let id = kernel::id::GlobalId::parse(&version).expect("gid").uuid;
    let agency = kernel::id::GlobalId::parse(&w.agency).expect("gid").uuid;
    let row = funnels::entity::version::Entity::find_by_id((agency, id))
        .one(&app.db)
        .await
        .expect("read")
        .expect("the version");
    let mut m: funnels::entity::version::ActiveModel = row.into();
    m.document = Set(serde_json::json!({ "schemaVersion": 99, "blocks": [] }));
    m.update(&app.db).await.expect("update");

    let r = visit(&app, &site("smile"), "/", None).await;
    assert_eq!(r.status(), 500);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
}
