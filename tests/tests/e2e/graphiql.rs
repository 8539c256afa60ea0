//! GraphiQL renders from the binary alone: headless Chromium, with every host but 127.0.0.1
//! unresolvable, loads the page, runs its scripts and shows the editor with Canopy's example.

use std::path::PathBuf;
use tests::spawn_app;

/// A Chromium binary: on the PATH, or installed with apt when missing (CI installs it first).
fn chromium() -> PathBuf {
    let find = || {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|d| d.join(name))
                        .find(|p| p.is_file())
                })
            })
    };
    if let Some(path) = find() {
        return path;
    }
    let _ = std::process::Command::new("apt-get")
        .args(["install", "-y", "-q", "chromium"])
        .status();
    find().expect("the GraphiQL test needs Chromium: apt-get install chromium")
}

/// Runs headless Chromium on `url` with the network cut off from everything but 127.0.0.1.
async fn headless(url: &str, extra: &[&str]) -> std::process::Output {
    let profile =
        std::env::temp_dir().join(format!("canopy-chromium-{}", uuid::Uuid::now_v7().simple()));
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--no-first-run".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".to_owned(),
        "--proxy-server=http://127.0.0.1:9".to_owned(),
        "--proxy-bypass-list=127.0.0.1".to_owned(),
        "--window-size=1280,900".to_owned(),
        "--virtual-time-budget=15000".to_owned(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.push(url.to_owned());
    let out = tokio::process::Command::new(chromium())
        .args(&args)
        .output()
        .await
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(profile);
    out
}

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
