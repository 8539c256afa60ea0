//! The media library's background work: thumbnails, and removing bytes no file names any more.
//!
//! - `media.thumbnail`: after an image is uploaded, its thumbnail is made (once per content:
//!   files with the same bytes share it) and the files are marked as having one.
//! - `media.blob_sweep`: after a file is deleted, its bytes go if no other file of the agency
//!   has the same content.
//! - `media.store_sweep` (daily): every blob of the store that no file row names and that is
//!   older than an hour goes: those of purged tenants (agencies and sub-accounts removed with
//!   their rows) and of uploads whose transaction rolled back.
//!
//! Both take the blob's lock (the one an upload of the same bytes takes) and look at the rows
//! in the agency's tenant before deleting, so a blob an upload is about to name is never lost.
//! A thumbnail is written without that lock: one finished after its content was swept is an
//! orphan the daily sweep removes.

use crate::Library;
use crate::entity::file;
use chrono::Utc;
use futures_util::TryStreamExt;
use jobs::{Backoff, JobError, JobResult, JobRun, NewJob, Owner, Recurring, Registry};
use kernel::db::TenantGuard;
use kernel::error::Error;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// The kind of an image's thumbnail.
pub const THUMBNAIL: &str = "media.thumbnail";
/// The kind of the sweep after a delete.
pub const BLOB_SWEEP: &str = "media.blob_sweep";
/// The kind of the daily sweep of the whole store.
pub const STORE_SWEEP: &str = "media.store_sweep";

/// The lock an upload and a sweep of the same bytes both take.
pub fn blob_lock(agency_id: Uuid, sha256: &str) -> String {
    format!("media-blob:{agency_id}:{sha256}")
}

/// Registers the media library's handlers and its daily sweep.
pub fn register(registry: &mut Registry, lib: Arc<Library>) {
    let l = lib.clone();
    registry.on(THUMBNAIL, Backoff::default(), move |run| {
        let lib = l.clone();
        async move { thumbnail(run, &lib).await }
    });
    let l = lib.clone();
    registry.on(BLOB_SWEEP, Backoff::default(), move |run| {
        let lib = l.clone();
        async move { blob_sweep(run, &lib).await }
    });
    registry.on(STORE_SWEEP, Backoff::default(), move |run| {
        let lib = lib.clone();
        async move { store_sweep(run, &lib).await }
    });
    registry.every(Recurring {
        name: STORE_SWEEP,
        cron: "41 3 * * *",
        timezone: "UTC",
        kind: STORE_SWEEP,
        payload: json!({}),
    });
}

/// Enqueues the sweep of a deleted file's bytes (in the delete's transaction).
pub(crate) async fn sweep_later(db: &impl ConnectionTrait, f: &file::Model) -> Result<(), Error> {
    jobs::enqueue(
        db,
        NewJob::new(
            BLOB_SWEEP,
            Owner::Agency(f.agency_id),
            json!({ "sha256": f.sha256 }),
        )
        .key(format!("blob:{}", f.id)),
    )
    .await?;
    Ok(())
}

/// Enqueues the thumbnail of an uploaded image (in the upload's transaction).
pub(crate) async fn thumbnail_later(
    db: &impl ConnectionTrait,
    f: &file::Model,
) -> Result<(), Error> {
    jobs::enqueue(
        db,
        NewJob::new(
            THUMBNAIL,
            Owner::SubAccount {
                agency_id: f.agency_id,
                id: f.sub_account_id,
            },
            json!({ "file_id": f.id }),
        )
        .key(format!("thumbnail:{}", f.id)),
    )
    .await?;
    Ok(())
}

async fn thumbnail(run: JobRun, lib: &Library) -> JobResult {
    let Owner::SubAccount { agency_id, .. } = run.owner else {
        return Err(JobError::Fail(
            "a thumbnail belongs to a sub-account".into(),
        ));
    };
    let id: Uuid = run
        .payload
        .get("file_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| JobError::Fail("the payload names no file_id".into()))?;
    let skipped = |why: &str| Ok(json!({ "thumbnail": false, "why": why }));
    // Read, make and store it outside any transaction (decoding takes a while); then mark the
    // files that have these bytes.
    let f = {
        let txn = run.db.begin().await?;
        kernel::db::set_tenant(&txn, TenantGuard::Agency(agency_id)).await?;
        let f = file::Entity::find_by_id((agency_id, id)).one(&txn).await?;
        txn.commit().await?;
        match f {
            Some(f) => f,
            None => return skipped("the file was deleted"),
        }
    };
    let pixels = i64::from(f.width.unwrap_or(0)) * i64::from(f.height.unwrap_or(0));
    if pixels > crate::thumbnail::MAX_PIXELS {
        return skipped("the image is too large for a thumbnail");
    }
    let object = crate::thumbnail_object(&f.sha256);
    if lib.size(agency_id, &object).await?.is_none() {
        let Some(blob) = lib.get(agency_id, &f.sha256).await? else {
            return skipped("the file's bytes are gone");
        };
        let bytes: Vec<u8> = blob
            .stream
            .try_fold(Vec::new(), |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            })
            .await
            .map_err(|e| JobError::Retry(format!("reading the file: {e}")))?;
        let made = {
            let _turn = crate::thumbnail::DECODES
                .acquire()
                .await
                .map_err(|e| JobError::Retry(format!("waiting to decode: {e}")))?;
            tokio::task::spawn_blocking(move || crate::thumbnail::make(&bytes))
                .await
                .map_err(|e| JobError::Retry(format!("making the thumbnail: {e}")))?
        };
        match made {
            Ok(jpeg) => lib.put(agency_id, &object, jpeg.into()).await?,
            // Bytes that looked like an image and are not: no thumbnail, no retry.
            Err(why) => return skipped(&why),
        }
    }
    let txn = kernel::db::begin_write(&run.db).await?;
    kernel::db::set_tenant(&txn, TenantGuard::Agency(agency_id)).await?;
    let marked = file::Entity::update_many()
        .col_expr(file::Column::HasThumbnail, Expr::value(true))
        .filter(file::Column::AgencyId.eq(agency_id))
        .filter(file::Column::Sha256.eq(&f.sha256))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(json!({ "thumbnail": true, "files": marked }))
}

/// Deletes an agency's blob if no file names it. Returns whether it did.
async fn sweep_one(
    db: &sea_orm::DatabaseConnection,
    lib: &Library,
    agency_id: Uuid,
    sha256: &str,
) -> Result<bool, Error> {
    let txn = kernel::db::begin_write(db).await?;
    kernel::db::set_tenant(&txn, TenantGuard::Agency(agency_id)).await?;
    kernel::db::lock(&txn, &blob_lock(agency_id, sha256)).await?;
    let named = file::Entity::find()
        .filter(file::Column::AgencyId.eq(agency_id))
        .filter(file::Column::Sha256.eq(sha256))
        .count(&txn)
        .await?;
    if named == 0 {
        lib.delete(agency_id, &crate::thumbnail_object(sha256))
            .await?;
        lib.delete(agency_id, sha256).await?;
    }
    txn.commit().await?;
    Ok(named == 0)
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn blob_sweep(run: JobRun, lib: &Library) -> JobResult {
    let Owner::Agency(agency_id) = run.owner else {
        return Err(JobError::Fail("a blob sweep belongs to an agency".into()));
    };
    let sha = run
        .payload
        .get("sha256")
        .and_then(|v| v.as_str())
        .filter(|s| is_sha256(s))
        .ok_or_else(|| JobError::Fail("the payload names no sha256".into()))?;
    let deleted = sweep_one(&run.db, lib, agency_id, sha).await?;
    Ok(json!({ "deleted": deleted }))
}

async fn store_sweep(run: JobRun, lib: &Library) -> JobResult {
    let cutoff = Utc::now() - chrono::Duration::hours(1);
    let (mut seen, mut deleted) = (0u64, 0u64);
    for agency_id in lib.agencies().await? {
        for (object, written) in lib.blobs(agency_id).await? {
            // A content's bytes and its thumbnail go together (`<sha256>`, `<sha256>.thumb`).
            let sha = object.split('.').next().unwrap_or_default();
            if !is_sha256(sha) || written > cutoff {
                continue;
            }
            seen += 1;
            if sweep_one(&run.db, lib, agency_id, sha).await? {
                deleted += 1;
            }
        }
    }
    Ok(json!({ "blobs": seen, "deleted": deleted }))
}
