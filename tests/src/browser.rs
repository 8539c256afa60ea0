//! Headless Chromium for the tests that need a real browser (GraphiQL, published pages).

use std::path::PathBuf;

/// A Chromium binary: on the PATH, or installed with apt when missing (CI installs it first).
pub fn chromium() -> PathBuf {
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
    find().expect("the browser tests need Chromium: apt-get install chromium")
}

/// Runs headless Chromium on `url` with the network cut off from everything but 127.0.0.1
/// (names under `.localhost`, such as a funnel's `<subdomain>.sites.canopy.localhost`, resolve
/// to it).
pub async fn headless(url: &str, extra: &[&str]) -> std::process::Output {
    let profile =
        std::env::temp_dir().join(format!("canopy-chromium-{}", uuid::Uuid::now_v7().simple()));
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--no-first-run".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        "--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
            .to_owned(),
        "--proxy-server=http://127.0.0.1:9".to_owned(),
        "--proxy-bypass-list=127.0.0.1;*.localhost".to_owned(),
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
