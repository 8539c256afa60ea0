//! Folders of the media library: made, renamed, moved (never into themselves), deleted only
//! when empty; files moved between them.

use super::{first_error, png, upload};
use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const CREATE: &str = "mutation($i: MediaFolderCreateInput!) { mediaFolderCreate(input: $i) { folder { id name parentId } userErrors { field code message } } }";
const MOVE: &str = "mutation($id: ID!, $p: ID) { mediaFolderMove(id: $id, parentId: $p) { folder { id parentId } userErrors { field code message } } }";

async fn folder(
    app: &TestApp,
    who: &Session,
    sub: &str,
    parent: Option<&str>,
    name: &str,
) -> tests::Gql {
    app.gql(
        Some(&who.access),
        CREATE,
        json!({ "i": { "subAccountId": sub, "parentId": parent, "name": name } }),
    )
    .await
    .ok()
}

async fn made(app: &TestApp, who: &Session, sub: &str, parent: Option<&str>, name: &str) -> String {
    let r = folder(app, who, sub, parent, name).await;
    assert_eq!(r.user_errors("mediaFolderCreate"), vec![], "{}", r.body);
    r.data("mediaFolderCreate.folder.id")
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn a_folder_never_goes_into_itself() {
    let app = spawn_app().await;
    let w = app.world().await;
    let brand = made(&app, &w.owner, &w.dental, None, "Brand").await;
    let logos = made(&app, &w.owner, &w.dental, Some(&brand), "Logos").await;
    for (target, into) in [(&brand, &logos), (&brand, &brand)] {
        let r = app
            .gql(
                Some(&w.owner.access),
                MOVE,
                json!({ "id": target, "p": into }),
            )
            .await
            .ok();
        assert_eq!(
            first_error(&r, "mediaFolderMove")["code"],
            "NOT_ALLOWED",
            "{}",
            r.body
        );
    }
    // Out to the top it may go; then a sibling of the same name is refused.
    let r = app
        .gql(
            Some(&w.owner.access),
            MOVE,
            json!({ "id": logos, "p": null }),
        )
        .await
        .ok();
    assert_eq!(r.data("mediaFolderMove.folder.parentId"), &Value::Null);
    let r = folder(&app, &w.owner, &w.dental, None, "Logos").await;
    assert_eq!(
        r.user_errors("mediaFolderCreate"),
        vec![("input.name".into(), "TAKEN".into())]
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { mediaFolders(subAccountId: $s) { name } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("mediaFolders"),
        &json!([{ "name": "Brand" }, { "name": "Logos" }])
    );
}

#[tokio::test]
async fn files_move_between_folders_and_a_folder_holding_one_stays() {
    let app = spawn_app().await;
    let w = app.world().await;
    let brand = made(&app, &w.owner, &w.dental, None, "Brand").await;
    let f = upload(&app, &w.owner, &w.dental, &png(9, 9, 9)).await;
    let moved = app
        .gql(Some(&w.owner.access), "mutation($id: ID!, $f: ID) { mediaFileMove(id: $id, folderId: $f) { file { folderId } userErrors { code } } }", json!({ "id": f["id"], "f": brand }))
        .await
        .ok();
    assert_eq!(moved.data("mediaFileMove.file.folderId"), &json!(brand));
    let list = |folder: Option<String>| {
        let app = &app;
        let w = &w;
        async move {
            app.gql(Some(&w.owner.access), "query($s: ID!, $f: ID) { mediaFiles(subAccountId: $s, folderId: $f) { nodes { id } } }", json!({ "s": w.dental, "f": folder }))
                .await
                .ok()
                .data("mediaFiles.nodes")
                .clone()
        }
    };
    assert_eq!(list(Some(brand.clone())).await, json!([{ "id": f["id"] }]));
    assert_eq!(list(None).await, json!([]));
    let del = "mutation($id: ID!) { mediaFolderDelete(id: $id) { deletedId userErrors { code message } } }";
    let r = app
        .gql(Some(&w.owner.access), del, json!({ "id": brand }))
        .await
        .ok();
    assert_eq!(
        first_error(&r, "mediaFolderDelete")["code"],
        "IN_USE",
        "{}",
        r.body
    );
    // Renamed, the file keeps its URL.
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!, $n: String!) { mediaFileRename(id: $id, name: $n) { file { name url } } }",
            json!({ "id": f["id"], "n": "Logo (final).png" }),
        )
        .await
        .ok();
    assert_eq!(r.data("mediaFileRename.file.name"), "Logo (final).png");
    let url = r
        .data("mediaFileRename.file.url")
        .as_str()
        .expect("url")
        .to_owned();
    assert_eq!(super::fetch(&app, &url, None).await.status(), 200);
    assert_eq!(
        super::fetch(&app, f["url"].as_str().expect("url"), None)
            .await
            .status(),
        200
    );
}
