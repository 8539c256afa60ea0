//! GraphiQL renders from the binary alone: headless Chromium, with every host but 127.0.0.1
//! unresolvable, loads the page, runs its scripts and shows the editor with Canopy's example.

use tests::browser::headless;
use tests::spawn_app;

#[tokio::test]
async fn graphiql_renders_offline_with_canopys_example() {
    let app = spawn_app().await;
    let url = format!("{}/", app.url);
    let out = headless(&url, &["--dump-dom"]).await;
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("graphiql-container"),
        "GraphiQL did not render: {}\n{}",
        dom.chars().take(2000).collect::<String>(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dom.contains("CodeMirror"), "the editor is there");
    assert!(
        dom.contains("sessionCreate"),
        "it opens on Canopy's example"
    );
    assert!(
        !dom.contains("Loading GraphiQL"),
        "it left the loading text"
    );

    // A screenshot of the editor, kept beside the build for a person to look at.
    let shot = std::env::temp_dir().join("canopy-graphiql.png");
    let _ = std::fs::remove_file(&shot);
    let arg = format!("--screenshot={}", shot.display());
    headless(&url, &[&arg]).await;
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
}

#[tokio::test]
async fn graphiql_assets_come_from_the_binary_and_are_cached() {
    let app = spawn_app().await;
    let page = app
        .http
        .get(format!("{}/", app.url))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    assert!(
        !page.contains("unpkg") && !page.contains("https://"),
        "no CDN: {page}"
    );
    let r = app
        .http
        .get(format!("{}/graphiql/graphiql-3.9.0.min.js", app.url))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .expect("cc")
            .contains("immutable")
    );
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/javascript")
    );
    let r = app
        .http
        .get(format!("{}/graphiql/nothing.js", app.url))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 404);
}
