//! A file in use: a published page that shows it, or a task attachment that references it,
//! keeps it from being deleted unless the delete is forced; a forced delete takes it offline
//! and its bytes go in the background.

use super::{blobs, fetch, first_error, png, upload};
use crate::funnels::{funnel, publish};
use serde_json::{Value, json};
use tests::{TestApp, spawn_app};

const DELETE: &str = "mutation($id: ID!, $force: Boolean) { mediaFileDelete(id: $id, force: $force) { deletedId userErrors { field code message } } }";

fn image_page(url: &str) -> Value {
    json!({ "schemaVersion": 1, "blocks": [{ "type": "section", "children": [
        { "type": "heading", "level": 1, "text": "Our smile" },
        { "type": "image", "src": url, "alt": "A smile" }
    ]}]})
}

async fn delete(app: &TestApp, who: &tests::Session, id: &Value, force: bool) -> tests::Gql {
    app.gql(
        Some(&who.access),
        DELETE,
        json!({ "id": id, "force": force }),
    )
    .await
    .ok()
}

async fn used_by(app: &TestApp, who: &tests::Session, id: &Value) -> Value {
    app.gql(
        Some(&who.access),
        "query($id: ID!) { node(id: $id) { ... on MediaFile { usedBy { kind ownerId } } } }",
        json!({ "id": id }),
    )
    .await
    .ok()
    .data("node.usedBy")
    .clone()
}

#[tokio::test]
async fn a_file_a_published_page_shows_is_deleted_only_when_forced() {
    let app = spawn_app().await;
    let w = app.world().await;
    let f = upload(&app, &w.owner, &w.dental, &png(4, 4, 4)).await;
    let url = f["url"].as_str().expect("url");
    let (_, home) = funnel(&app, &w.owner, &w.dental, "smiles").await;
    publish(&app, &w.owner, &home, image_page(url)).await;
    assert_eq!(
        used_by(&app, &w.owner, &f["id"]).await,
        json!([{ "kind": "FUNNEL_PAGE", "ownerId": home }])
    );
    let r = delete(&app, &w.owner, &f["id"], false).await;
    let e = first_error(&r, "mediaFileDelete");
    assert_eq!(e["code"], "IN_USE", "{}", r.body);
    assert!(
        e["message"]
            .as_str()
            .expect("message")
            .contains("1 published page"),
        "{e}"
    );
    // The page on its own host shows the image from the same host.
    let page = crate::funnels::visit(&app, &crate::funnels::site("smiles"), "/", None).await;
    assert!(page.text().await.expect("html").contains(url));
    assert_eq!(
        fetch(&app, url, Some(&crate::funnels::site("smiles")))
            .await
            .status(),
        200
    );
    // Forced, it goes: the URL is 404 at once and the bytes soon after.
    let r = delete(&app, &w.owner, &f["id"], true).await;
    assert_eq!(r.data("mediaFileDelete.deletedId"), &f["id"], "{}", r.body);
    assert_eq!(fetch(&app, url, None).await.status(), 404);
    let mut left = blobs(&app, &w.agency);
    for _ in 0..100 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        left = blobs(&app, &w.agency);
    }
    assert_eq!(left, 0, "the blob sweep removed the bytes");
}

#[tokio::test]
async fn unpublishing_the_page_frees_the_file() {
    let app = spawn_app().await;
    let w = app.world().await;
    let f = upload(&app, &w.owner, &w.dental, &png(5, 5, 5)).await;
    let (_, home) = funnel(&app, &w.owner, &w.dental, "smiles").await;
    publish(
        &app,
        &w.owner,
        &home,
        image_page(f["url"].as_str().expect("url")),
    )
    .await;
    // A new version without the image frees it; rolling back to the first uses it again.
    let v2 = publish(&app, &w.owner, &home, crate::funnels::doc("No image")).await;
    assert_eq!(used_by(&app, &w.owner, &f["id"]).await, json!([]));
    let r = app
        .gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on FunnelPage { versions(first: 5) { nodes { id number } } } } }", json!({ "id": home }))
        .await
        .ok();
    let v1 = r
        .data("node.versions.nodes")
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["id"] != json!(v2))
        .expect("v1")["id"]
        .clone();
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { funnelPageRollback(versionId: $id) { userErrors { code } } }",
        json!({ "id": v1 }),
    )
    .await
    .ok();
    assert_eq!(
        used_by(&app, &w.owner, &f["id"]).await,
        json!([{ "kind": "FUNNEL_PAGE", "ownerId": home }])
    );
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { funnelPageUnpublish(id: $id) { userErrors { code } } }",
        json!({ "id": home }),
    )
    .await
    .ok();
    let r = delete(&app, &w.owner, &f["id"], false).await;
    assert_eq!(r.user_errors("mediaFileDelete"), vec![], "{}", r.body);
}

#[tokio::test]
async fn a_task_attachment_references_a_library_file() {
    let app = spawn_app().await;
    let w = app.world().await;
    let f = upload(&app, &w.owner, &w.dental, &png(6, 6, 6)).await;
    let t = app
        .gql(Some(&w.owner.access), "mutation($s: ID!) { taskCreate(input: { subAccountId: $s, title: \"Print flyers\" }) { task { id } } }", json!({ "s": w.dental }))
        .await
        .ok()
        .data("taskCreate.task.id")
        .clone();
    let add = "mutation($i: TaskAttachmentAddInput!) { taskAttachmentAdd(input: $i) { attachment { id name url mediaType sizeBytes mediaFile { id } } userErrors { field code } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            add,
            json!({ "i": { "taskId": t, "mediaFileId": f["id"] } }),
        )
        .await
        .ok();
    let a = r.data("taskAttachmentAdd.attachment").clone();
    assert_eq!(
        (
            &a["name"],
            &a["url"],
            &a["mediaType"],
            &a["sizeBytes"],
            &a["mediaFile"]["id"]
        ),
        (
            &f["name"],
            &f["url"],
            &f["contentType"],
            &f["byteSize"],
            &f["id"]
        ),
        "{}",
        r.body
    );
    // Another sub-account's file is not the task's to reference.
    let other = upload(&app, &w.owner, &w.gardens, &png(7, 7, 7)).await;
    let r = app
        .gql(
            Some(&w.owner.access),
            add,
            json!({ "i": { "taskId": t, "mediaFileId": other["id"] } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("taskAttachmentAdd"),
        vec![("input.mediaFileId".into(), "NOT_ALLOWED".into())]
    );
    assert_eq!(
        first_error(
            &delete(&app, &w.owner, &f["id"], false).await,
            "mediaFileDelete"
        )["code"],
        "IN_USE"
    );
    // Deleting the task frees the file.
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { taskDelete(id: $id) { userErrors { code } } }",
        json!({ "id": t }),
    )
    .await
    .ok();
    let r = delete(&app, &w.owner, &f["id"], false).await;
    assert_eq!(r.user_errors("mediaFileDelete"), vec![], "{}", r.body);
}

#[tokio::test]
async fn only_a_sub_accounts_own_pages_keep_its_files() {
    let app = spawn_app().await;
    let w = app.world().await;
    let f = upload(&app, &w.owner, &w.dental, &png(8, 8, 80)).await;
    let url = f["url"].as_str().expect("url");
    // A Gardens page may show Dental's URL, but it does not keep Dental from deleting it, and
    // Gardens' host does not serve Dental's files.
    let (_, home) = funnel(&app, &w.owner, &w.gardens, "gardens").await;
    publish(&app, &w.owner, &home, image_page(url)).await;
    assert_eq!(used_by(&app, &w.owner, &f["id"]).await, json!([]));
    let host = crate::funnels::site("gardens");
    assert_eq!(fetch(&app, url, Some(&host)).await.status(), 404);
    let nobody = crate::funnels::site("nobody");
    assert_eq!(fetch(&app, url, Some(&nobody)).await.status(), 404);
    assert_eq!(fetch(&app, url, None).await.status(), 200);
    let r = delete(&app, &w.owner, &f["id"], false).await;
    assert_eq!(r.user_errors("mediaFileDelete"), vec![], "{}", r.body);
}

/// Waits until `n` blob sweeps have succeeded in the app.
async fn swept(app: &TestApp, n: i64) {
    for _ in 0..100 {
        let done = app
            .count_where(
                "jobs",
                "kind = 'media.blob_sweep' AND status = $1",
                "succeeded",
            )
            .await;
        if done >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{n} blob sweeps did not finish");
}

#[tokio::test]
async fn shared_bytes_go_when_their_last_file_does() {
    let app = spawn_app().await;
    let w = app.world().await;
    let bytes = png(9, 9, 90);
    let dental = upload(&app, &w.owner, &w.dental, &bytes).await;
    let gardens = upload(&app, &w.owner, &w.gardens, &bytes).await;
    delete(&app, &w.owner, &dental["id"], false).await;
    swept(&app, 1).await;
    assert_eq!(blobs(&app, &w.agency), 1, "Gardens' file still has them");
    assert_eq!(
        fetch(&app, gardens["url"].as_str().expect("url"), None)
            .await
            .status(),
        200
    );
    delete(&app, &w.owner, &gardens["id"], false).await;
    swept(&app, 2).await;
    assert_eq!(blobs(&app, &w.agency), 0);
}

#[tokio::test]
async fn a_funnels_favicon_uses_its_file() {
    let app = spawn_app().await;
    let w = app.world().await;
    let f = upload(&app, &w.owner, &w.dental, &png(16, 16, 16)).await;
    let (funnel_id, _) = funnel(&app, &w.owner, &w.dental, "icons").await;
    let favicon = |url: &str| {
        let url = url.to_owned();
        let app = &app;
        let w = &w;
        let funnel_id = funnel_id.clone();
        async move {
            app.gql(
                Some(&w.owner.access),
                "mutation($id: ID!, $u: String!) { funnelUpdate(id: $id, input: { faviconUrl: $u }) { userErrors { code } } }",
                json!({ "id": funnel_id, "u": url }),
            )
            .await
            .ok();
        }
    };
    favicon(f["url"].as_str().expect("url")).await;
    assert_eq!(
        used_by(&app, &w.owner, &f["id"]).await,
        json!([{ "kind": "FUNNEL", "ownerId": funnel_id }])
    );
    let r = delete(&app, &w.owner, &f["id"], false).await;
    assert!(
        first_error(&r, "mediaFileDelete")["message"]
            .as_str()
            .expect("message")
            .contains("1 funnel favicon"),
        "{}",
        r.body
    );
    favicon("").await;
    let r = delete(&app, &w.owner, &f["id"], false).await;
    assert_eq!(r.user_errors("mediaFileDelete"), vec![], "{}", r.body);
}
