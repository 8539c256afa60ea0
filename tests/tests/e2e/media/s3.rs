//! The media library on an S3-compatible bucket (the stand-in speaks S3's wire format; the
//! client is `object_store`'s own): uploads land in the bucket, are served from it, and their
//! bytes leave it after a delete.

use super::{blobs, fetch, png, upload};
use serde_json::json;
use tests::spawn_app_with;

#[tokio::test]
async fn files_are_kept_in_the_configured_bucket() {
    let app = spawn_app_with(tests::s3::configure).await;
    let w = app.world().await;
    let bytes = png(12, 12, 30);
    let f = upload(&app, &w.owner, &w.dental, &bytes).await;
    let object = format!(
        "{}/{}/{}/{}",
        tests::s3::stand_in().endpoint,
        tests::s3::BUCKET,
        tests::uuid_of(&w.agency),
        f["sha256"].as_str().expect("sha256")
    );
    let stored = app.http.get(&object).send().await.expect("the bucket");
    assert_eq!(stored.status(), 200);
    assert_eq!(
        stored.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );
    assert_eq!(blobs(&app, &w.agency), 0, "nothing on the local disk");
    let served = fetch(&app, f["url"].as_str().expect("url"), None).await;
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { mediaFileDelete(id: $id) { deletedId } }",
            json!({ "id": f["id"] }),
        )
        .await
        .ok();
    assert_eq!(r.data("mediaFileDelete.deletedId"), &f["id"]);
    let mut status = 200;
    for _ in 0..100 {
        status = app
            .http
            .get(&object)
            .send()
            .await
            .expect("the bucket")
            .status()
            .as_u16();
        if status == 404 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 404, "the sweep deleted the object");
}
