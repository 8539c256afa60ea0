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
