//! The README's first GraphQL session, run as written (only its URL pointed at a test server),
//! with each answer checked: the README cannot drift from the product.

use tests::spawn_app;

/// The first `sh` block after the heading `## A first GraphQL session` in README.md.
fn session_block() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let section = readme
        .split_once("## A first GraphQL session")
        .expect("the section")
        .1;
    let block = section.split_once("```sh\n").expect("an sh block").1;
    block
        .split_once("```")
        .expect("the block's end")
        .0
        .to_owned()
}

#[tokio::test]
async fn the_readme_session_runs_as_written() {
    let app = spawn_app().await;
    let block = session_block();
    let default = "URL=http://127.0.0.1:8080/graphql";
    assert!(block.contains(default), "the block sets {default}");
    let script = block.replace(default, &format!("URL={}/graphql", app.url));
    let out = tokio::process::Command::new("bash")
        .args(["-e", "-u", "-o", "pipefail", "-c", &script])
        .output()
        .await
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(answers.len(), 3, "register, viewer, refresh: {stdout}");
    let registered = &answers[0]["data"]["userRegister"];
    assert!(
        registered["user"]["id"].as_str().is_some(),
        "{}",
        answers[0]
    );
    assert_eq!(registered["userErrors"], serde_json::json!([]));
    assert_eq!(
        answers[1]["data"]["viewer"]["email"], "ada@example.com",
        "{}",
        answers[1]
    );
    let refreshed = &answers[2]["data"]["sessionRefresh"];
    assert_eq!(
        refreshed["userErrors"],
        serde_json::json!([]),
        "{}",
        answers[2]
    );
    assert!(
        refreshed["session"]["accessToken"]
            .as_str()
            .is_some_and(|t| t.len() > 20)
    );
}
