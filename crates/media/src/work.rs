//! The media library's background work: removing bytes no file names any more.
//!
//! - `media.blob_sweep`: after a file is deleted, its bytes go if no other file of the agency
//!   has the same content.
//! - `media.store_sweep` (daily): every blob of the store that no file row names and that is
//!   older than an hour goes: those of purged tenants (agencies and sub-accounts removed with
//!   their rows) and of uploads whose transaction rolled back.
//!
//! Both take the blob's lock (the one an upload of the same bytes takes) and look at the rows
//! in the agency's tenant before deleting, so a blob an upload is about to name is never lost.

use crate::Library;
use crate::entity::file;
use chrono::Utc;
use jobs::{Backoff, JobError, JobResult, JobRun, NewJob, Owner, Recurring, Registry};
use kernel::db::TenantGuard;
use kernel::error::Error;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

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
        for (sha, written) in lib.blobs(agency_id).await? {
            if !is_sha256(&sha) || written > cutoff {
                continue;
            }
            seen += 1;
            if sweep_one(&run.db, lib, agency_id, &sha).await? {
                deleted += 1;
            }
        }
    }
    Ok(json!({ "blobs": seen, "deleted": deleted }))
}
