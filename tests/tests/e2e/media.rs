//! The media library: uploads over the GraphQL multipart spec (typed by their bytes, limited,
//! deduplicated), files served to the public by token, folders, and deletes refused while a
//! published page or a task attachment uses the file.

mod folders;
mod s3;
mod uses;

use serde_json::{Value, json};
use tests::{Part, Session, TestApp, spawn_app, spawn_app_with};

pub(crate) const UPLOAD: &str = "mutation($i: MediaFileUploadInput!) { mediaFileUpload(input: $i) { file { id name contentType byteSize sha256 width height url folderId } deduplicated userErrors { field code message } } }";

/// A PNG's first bytes (signature and header) for a `w`×`h` image, then `pad` bytes of data:
/// enough for a sniffer and a size reader; different `pad`s make different contents.
pub(crate) fn png(w: u32, h: u32, pad: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde]);
    b.extend(std::iter::repeat_n(7u8, pad));
    b
}

/// Uploads `bytes` as `name` (declared `content_type`) into `sub`; the whole answer.
pub(crate) async fn upload_as(
    app: &TestApp,
    who: &Session,
    sub: &str,
    name: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> tests::Gql {
    let part = Part {
        filename: name,
        content_type,
        bytes,
    };
    app.upload_part(
        Some(&who.access),
        UPLOAD,
        json!({ "i": { "subAccountId": sub, "file": null } }),
        "i.file",
        part,
        true,
    )
    .await
}

/// Uploads a PNG that must be accepted; the file.
pub(crate) async fn upload(app: &TestApp, who: &Session, sub: &str, bytes: &[u8]) -> Value {
    let r = upload_as(app, who, sub, "logo.png", Some("image/png"), bytes)
        .await
        .ok();
    assert_eq!(r.user_errors("mediaFileUpload"), vec![], "{}", r.body);
    r.data("mediaFileUpload.file").clone()
}

/// A folder in `sub` with a PNG in it: the file's and the folder's ids (for the isolation
/// probe's victims).
pub(crate) async fn folder_with_file(app: &TestApp, who: &Session, sub: &str) -> (String, String) {
    let r = app
        .gql(
            Some(&who.access),
            "mutation($s: ID!) { mediaFolderCreate(input: { subAccountId: $s, name: \"Brand\" }) { folder { id } } }",
            json!({ "s": sub }),
        )
        .await
        .ok();
    let folder = r
        .data("mediaFolderCreate.folder.id")
        .as_str()
        .expect("folder")
        .to_owned();
    let part = Part {
        filename: "logo.png",
        content_type: None,
        bytes: &png(8, 8, 8),
    };
    let r = app
        .upload_part(
            Some(&who.access),
            UPLOAD,
            json!({ "i": { "subAccountId": sub, "folderId": folder, "file": null } }),
            "i.file",
            part,
            true,
        )
        .await
        .ok();
    let file = r
        .data("mediaFileUpload.file.id")
        .as_str()
        .expect("file")
        .to_owned();
    (file, folder)
}

/// The first of a payload's `userErrors` (field, code and message).
pub(crate) fn first_error<'a>(r: &'a tests::Gql, payload: &str) -> &'a Value {
    &r.data(&format!("{payload}.userErrors"))[0]
}

/// A public GET of a file's URL (a path on the API's origin), at `host` if given.
pub(crate) async fn fetch(app: &TestApp, url: &str, host: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(format!("{}{url}", app.url));
    if let Some(h) = host {
        req = req.header("host", h);
    }
    req.send().await.expect("request")
}

/// The blobs the store holds for the agency of `sub`'s files.
pub(crate) fn blobs(app: &TestApp, agency: &str) -> usize {
    let dir = app
        .config
        .media_dir
        .join(tests::uuid_of(agency).to_string());
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[tokio::test]
async fn an_upload_is_typed_by_its_bytes_and_served_to_anyone() {
    let app = spawn_app().await;
    let w = app.world().await;
    let bytes = png(640, 480, 100);
    let f = upload(&app, &w.owner, &w.dental, &bytes).await;
    assert_eq!(
        (
            &f["name"],
            &f["contentType"],
            &f["byteSize"],
            &f["width"],
            &f["height"]
        ),
        (
            &json!("logo.png"),
            &json!("image/png"),
            &json!(bytes.len()),
            &json!(640),
            &json!(480)
        )
    );
    let url = f["url"].as_str().expect("url");
    assert!(
        url.starts_with("/media/") && url.ends_with("/logo.png"),
        "{url}"
    );
    let resp = fetch(&app, url, None).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(resp.bytes().await.expect("body").as_ref(), bytes.as_slice());
    // A 304 for a cache that has it; a HEAD tells the size.
    let again = app
        .http
        .get(format!("{}{url}", app.url))
        .header("if-none-match", h["etag"].to_str().expect("etag"))
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
    let head = app
        .http
        .head(format!("{}{url}", app.url))
        .send()
        .await
        .expect("request");
    assert_eq!(
        (head.status().as_u16(), &head.headers()["content-length"]),
        (
            200,
            &bytes
                .len()
                .to_string()
                .parse::<reqwest::header::HeaderValue>()
                .expect("value")
        )
    );
}

#[tokio::test]
async fn a_file_whose_bytes_are_not_its_declared_type_is_refused() {
    let app = spawn_app().await;
    let w = app.world().await;
    let jpeg_claim = upload_as(
        &app,
        &w.owner,
        &w.dental,
        "a.jpg",
        Some("image/jpeg"),
        &png(2, 2, 10),
    )
    .await
    .ok();
    let html = upload_as(
        &app,
        &w.owner,
        &w.dental,
        "a.png",
        Some("image/png"),
        b"<html><script>alert(1)</script></html>",
    )
    .await
    .ok();
    let zip = upload_as(
        &app,
        &w.owner,
        &w.dental,
        "a.zip",
        None,
        b"PK\x03\x04\x14\0\0\0\x08\0rest-of-zip",
    )
    .await
    .ok();
    for (r, what) in [
        (&jpeg_claim, "image/jpeg"),
        (&html, "HTML (text/html)"),
        (&zip, "ZIP"),
    ] {
        let e = first_error(r, "mediaFileUpload");
        assert_eq!(e["code"], "UNSUPPORTED_TYPE", "{}", r.body);
        assert!(
            e["message"].as_str().expect("message").contains(what),
            "{e}"
        );
    }
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { mediaFiles(subAccountId: $s, anyFolder: true) { totalCount } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("mediaFiles.totalCount"),
        &json!(0),
        "nothing was stored"
    );
    assert_eq!(blobs(&app, &w.agency), 0);
}

#[tokio::test]
async fn an_oversized_upload_is_refused_before_it_is_stored() {
    let app = spawn_app_with(|c| {
        c.media_max_bytes = 1_000;
        c.max_upload_bytes = 4_000;
    })
    .await;
    let w = app.world().await;
    let r = upload_as(
        &app,
        &w.owner,
        &w.dental,
        "big.png",
        None,
        &png(1, 1, 2_000),
    )
    .await
    .ok();
    let e = first_error(&r, "mediaFileUpload");
    assert_eq!(
        (&e["code"], &e["field"]),
        (&json!("TOO_LARGE"), &json!(["input", "file"])),
        "{}",
        r.body
    );
    // Past what a multipart request may carry at all: 413 with a code.
    let r = upload_as(
        &app,
        &w.owner,
        &w.dental,
        "huge.png",
        None,
        &png(1, 1, 8_000),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(blobs(&app, &w.agency), 0);
}

#[tokio::test]
async fn the_same_bytes_are_stored_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    let bytes = png(3, 3, 50);
    let first = upload(&app, &w.owner, &w.dental, &bytes).await;
    let again = upload_as(&app, &w.owner, &w.dental, "copy.png", None, &bytes)
        .await
        .ok();
    assert_eq!(again.data("mediaFileUpload.deduplicated"), &json!(true));
    assert_eq!(again.data("mediaFileUpload.file.id"), &first["id"]);
    // Another sub-account gets a file of its own, over the agency's one blob.
    let other = upload(&app, &w.owner, &w.gardens, &bytes).await;
    assert_ne!(other["id"], first["id"]);
    assert_ne!(other["url"], first["url"]);
    assert_eq!(other["sha256"], first["sha256"]);
    assert_eq!(blobs(&app, &w.agency), 1);
}

#[tokio::test]
async fn a_library_stops_at_its_quota() {
    let app = spawn_app_with(|c| c.media_quota_bytes = 1_000).await;
    let w = app.world().await;
    upload(&app, &w.owner, &w.dental, &png(1, 1, 500)).await;
    let r = upload_as(&app, &w.owner, &w.dental, "b.png", None, &png(1, 1, 501))
        .await
        .ok();
    assert_eq!(
        first_error(&r, "mediaFileUpload")["code"],
        "TOO_LARGE",
        "{}",
        r.body
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { mediaLibrary(subAccountId: $s) { usedBytes quotaBytes } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("mediaLibrary"),
        &json!({ "usedBytes": png(1, 1, 500).len(), "quotaBytes": 1000 })
    );
}

#[tokio::test]
async fn a_file_needs_a_sign_in_to_upload_and_its_token_to_be_read() {
    let app = spawn_app().await;
    let w = app.world().await;
    let r = app
        .upload_part(
            None,
            UPLOAD,
            json!({ "i": { "subAccountId": w.dental, "file": null } }),
            "i.file",
            Part {
                filename: "a.png",
                content_type: None,
                bytes: &png(1, 1, 1),
            },
            true,
        )
        .await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"), "{}", r.body);
    let f = upload(&app, &w.owner, &w.dental, &png(1, 1, 2)).await;
    let url = f["url"].as_str().expect("url");
    let token = url.split('/').nth(2).expect("token");
    let mut wrong = token.to_owned();
    wrong.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
    for bad in [
        format!("/media/{wrong}/logo.png"),
        "/media/short/logo.png".into(),
    ] {
        assert_eq!(fetch(&app, &bad, None).await.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn an_image_gets_a_thumbnail() {
    let app = spawn_app().await;
    let w = app.world().await;
    let img = image::RgbaImage::from_pixel(800, 600, image::Rgba([200, 30, 30, 255]));
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .expect("png");
    let f = upload(&app, &w.owner, &w.dental, &bytes).await;
    let mut thumb = Value::Null;
    for _ in 0..100 {
        let r = app
            .gql(
                Some(&w.owner.access),
                "query($id: ID!) { node(id: $id) { ... on MediaFile { thumbnailUrl } } }",
                json!({ "id": f["id"] }),
            )
            .await
            .ok();
        thumb = r.data("node.thumbnailUrl").clone();
        if !thumb.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let url = thumb.as_str().expect("a thumbnail within 10 s");
    let resp = fetch(&app, url, None).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let back = image::load_from_memory(&resp.bytes().await.expect("body")).expect("a JPEG");
    assert_eq!((back.width(), back.height()), (320, 240));
}

#[tokio::test]
async fn a_file_is_sent_in_parts_when_asked() {
    let app = spawn_app().await;
    let w = app.world().await;
    let bytes = png(2, 2, 200);
    let f = upload(&app, &w.owner, &w.dental, &bytes).await;
    let url = format!("{}{}", app.url, f["url"].as_str().expect("url"));
    let part = app
        .http
        .get(&url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .expect("request");
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 10-19/{}", bytes.len()).as_str()
    );
    assert_eq!(part.bytes().await.expect("body").as_ref(), &bytes[10..20]);
    let past = app
        .http
        .get(&url)
        .header("range", format!("bytes={}-", bytes.len()))
        .send()
        .await
        .expect("request");
    assert_eq!(past.status(), 416);
}
