//! Files: upload (sniffed, limited, deduplicated by content), rename, move, delete (refused
//! while used, unless forced), read and list.

use super::{check_name, fail_if, folder::destination, usage};
use crate::Library;
use crate::entity::{file, usage as use_row};
use crate::sniff;
use bytes::Bytes;
use chrono::Utc;
use kernel::auth::Actor;
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// A file as it arrives.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Its name (the client's file name, or one given).
    pub name: String,
    /// The media type the client declared, if any (checked against the bytes).
    pub declared_type: Option<String>,
    /// Its bytes.
    pub bytes: Bytes,
}

/// What an upload did.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The file.
    pub file: file::Model,
    /// Whether the sub-account had these bytes already (the existing file is returned, and
    /// nothing new is stored).
    pub deduplicated: bool,
}

/// Which files to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    /// Those at the top of the library.
    TopLevel,
    /// Those in one folder.
    In(Uuid),
    /// All of them, in any folder.
    Anywhere,
}

/// A file the actor may read.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<file::Model, Error> {
    guard::load::<file::Entity>(db, actor, id, Access::Read).await
}

/// A page of a sub-account's files, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    place: Where,
    page: Page,
    with_total: bool,
) -> Result<(Vec<file::Model>, PageInfo, u64), Error> {
    let at = guard::enter::<file::Entity>(db, actor, sub_account_id, Access::Read).await?;
    let q = file::Entity::find()
        .filter(file::Column::AgencyId.eq(at.agency_id))
        .filter(file::Column::SubAccountId.eq(at.sub_account_id));
    let q = match place {
        Where::TopLevel => q.filter(file::Column::FolderId.is_null()),
        Where::In(f) => q.filter(file::Column::FolderId.eq(f)),
        Where::Anywhere => q,
    };
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply_newest_first(q, file::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |f| f.id);
    Ok((rows, info, total))
}

/// The bytes a sub-account's library holds, for someone who may read it.
pub async fn library_bytes(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
) -> Result<i64, Error> {
    let at = guard::enter::<file::Entity>(db, actor, sub_account_id, Access::Read).await?;
    used_bytes(db, at.agency_id, at.sub_account_id).await
}

/// The bytes a sub-account's library holds.
pub async fn used_bytes(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
) -> Result<i64, Error> {
    let sum: Option<i64> = file::Entity::find()
        .select_only()
        .column_as(
            Expr::from(Func::cast_as(
                Func::coalesce([
                    Func::sum(Expr::col(file::Column::ByteSize)).into(),
                    Expr::val(0i64),
                ]),
                "BIGINT",
            )),
            "total",
        )
        .filter(file::Column::AgencyId.eq(agency_id))
        .filter(file::Column::SubAccountId.eq(sub_account_id))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(sum.unwrap_or(0))
}

/// Checks a new file's bytes: its size and its type, sniffed from the bytes and compared with
/// what the client declared. Returns the media type.
fn check_bytes(errors: &mut Vec<UserError>, lib: &Library, f: &NewFile) -> Option<&'static str> {
    let size = f.bytes.len() as u64;
    if size == 0 {
        errors.push(UserError::new(
            "input.file",
            UserErrorCode::Invalid,
            "the file is empty",
        ));
        return None;
    }
    if size > lib.max_bytes {
        errors.push(UserError::new(
            "input.file",
            UserErrorCode::TooLarge,
            format!(
                "the file has {size} bytes; the library takes files of at most {} bytes",
                lib.max_bytes
            ),
        ));
        return None;
    }
    let Some((mime, what)) = sniff::sniff(&f.bytes) else {
        errors.push(UserError::new(
            "input.file",
            UserErrorCode::UnsupportedType,
            format!(
                "the file's bytes are {}; the library takes PNG, JPEG, GIF, WebP, AVIF and ICO \
                 images, PDF documents, MP4 and WebM videos, and MP3 audio",
                sniff::describe(&f.bytes)
            ),
        ));
        return None;
    };
    if let Some(declared) = f
        .declared_type
        .as_deref()
        .and_then(sniff::normalize_declared)
        && declared != mime
    {
        errors.push(UserError::new(
            "input.file",
            UserErrorCode::UnsupportedType,
            format!("the file's bytes are {what} ({mime}), not {declared} as declared"),
        ));
        return None;
    }
    Some(mime)
}

/// Uploads a file into a sub-account's library (`MEDIA_WRITE`), at the top or into a folder.
/// Its type is sniffed from the bytes; a declared type that disagrees, a type the library
/// does not take, an empty or oversized file, or one past the sub-account's quota is refused.
/// Bytes the sub-account holds already give back the existing file.
pub async fn upload(
    db: &impl ConnectionTrait,
    actor: &Actor,
    lib: &Library,
    sub_account_id: Uuid,
    folder_id: Option<Uuid>,
    new: NewFile,
) -> Result<Uploaded, Error> {
    let at = guard::enter::<file::Entity>(db, actor, sub_account_id, Access::Write).await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", &new.name);
    let mime = check_bytes(&mut errors, lib, &new);
    super::lock_library(db, at.sub_account_id).await?;
    if let Some(f) = folder_id {
        destination(db, at.agency_id, at.sub_account_id, f).await?;
    }
    fail_if(errors)?;
    let mime = mime.ok_or_else(|| Error::internal("a checked file has no type"))?;
    let sha = kernel::secret::sha256_hex(&new.bytes);
    // The same lock as the blob sweep's: the bytes cannot be swept between the check below
    // and this transaction's commit.
    kernel::db::lock(db, &crate::work::blob_lock(at.agency_id, &sha)).await?;
    if let Some(existing) = file::Entity::find()
        .filter(file::Column::AgencyId.eq(at.agency_id))
        .filter(file::Column::SubAccountId.eq(at.sub_account_id))
        .filter(file::Column::Sha256.eq(&sha))
        .one(db)
        .await?
    {
        return Ok(Uploaded {
            file: existing,
            deduplicated: true,
        });
    }
    let size = new.bytes.len() as i64;
    // Uploads into one library take turns at the quota (the library's lock, above).
    let used = used_bytes(db, at.agency_id, at.sub_account_id).await?;
    if used.saturating_add(size) as u64 > lib.quota_bytes {
        return Err(Error::user(
            "input.file",
            UserErrorCode::TooLarge,
            format!(
                "the library holds {used} of its {} bytes; this file needs {size} more",
                lib.quota_bytes
            ),
        ));
    }
    let (width, height) = sniff::dimensions(&new.bytes).unzip();
    lib.put(at.agency_id, &sha, new.bytes).await?;
    let now = Utc::now();
    let f = file::ActiveModel {
        agency_id: Set(at.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(at.sub_account_id),
        folder_id: Set(folder_id),
        name: Set(name),
        content_type: Set(mime.to_owned()),
        byte_size: Set(size),
        sha256: Set(sha),
        token: Set(kernel::secret::random_token(32)),
        width: Set(width),
        height: Set(height),
        has_thumbnail: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    guard::record(
        db,
        actor,
        &f,
        EventType::MediaFileUploaded,
        json!({ "contentType": f.content_type, "byteSize": f.byte_size }),
    )
    .await?;
    if crate::thumbnail::makes(&f.content_type) {
        crate::work::thumbnail_later(db, &f).await?;
    }
    Ok(Uploaded {
        file: f,
        deduplicated: false,
    })
}

/// Renames a file (its URL keeps working: the name in it is only for people).
pub async fn rename(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    name: &str,
) -> Result<file::Model, Error> {
    let f = guard::load::<file::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    fail_if(errors)?;
    let mut m: file::ActiveModel = f.into();
    m.name = Set(name);
    m.updated_at = Set(Utc::now());
    let f = m.update(db).await?;
    guard::record(db, actor, &f, EventType::MediaFileUpdated, json!({})).await?;
    Ok(f)
}

/// Moves a file into a folder of its sub-account, or to the top when `None`.
pub async fn relocate(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    folder_id: Option<Uuid>,
) -> Result<file::Model, Error> {
    let f = guard::load::<file::Entity>(db, actor, id, Access::Write).await?;
    super::lock_library(db, f.sub_account_id).await?;
    if let Some(to) = folder_id {
        destination(db, f.agency_id, f.sub_account_id, to).await?;
    }
    let mut m: file::ActiveModel = f.into();
    m.folder_id = Set(folder_id);
    m.updated_at = Set(Utc::now());
    let f = m.update(db).await?;
    guard::record(db, actor, &f, EventType::MediaFileUpdated, json!({})).await?;
    Ok(f)
}

fn in_use_message(uses: &[use_row::Model]) -> String {
    let count = |k: usage::OwnerKind| uses.iter().filter(|u| u.owner_kind == k.as_str()).count();
    let mut parts = Vec::new();
    for (kind, what) in [
        (usage::OwnerKind::FunnelPage, "published page(s)"),
        (usage::OwnerKind::Funnel, "funnel favicon(s)"),
        (usage::OwnerKind::TaskAttachment, "task attachment(s)"),
    ] {
        let n = count(kind);
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    format!(
        "the file is used by {}; delete it with `force: true` to delete it anyway (they \
         will show a missing file)",
        parts.join(" and ")
    )
}

/// Deletes a file (`MEDIA_WRITE`). While a published page, a funnel's favicon or a task
/// attachment uses it, the
/// delete is refused (`IN_USE`) unless `force`, which forgets those uses. The bytes are
/// removed afterwards by the blob sweep, once no file of the agency has them.
pub async fn delete(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    force: bool,
) -> Result<file::Model, Error> {
    let f = guard::load::<file::Entity>(db, actor, id, Access::Write).await?;
    kernel::db::lock(db, &usage::file_lock(f.id)).await?;
    let uses = usage::of_file(db, &f).await?;
    if !uses.is_empty() && !force {
        return Err(Error::user(
            "input.force",
            UserErrorCode::InUse,
            in_use_message(&uses),
        ));
    }
    use_row::Entity::delete_many()
        .filter(use_row::Column::AgencyId.eq(f.agency_id))
        .filter(use_row::Column::FileId.eq(f.id))
        .exec(db)
        .await?;
    file::Entity::delete_by_id((f.agency_id, f.id))
        .exec(db)
        .await?;
    guard::record(
        db,
        actor,
        &f,
        EventType::MediaFileDeleted,
        json!({ "forced": force && !uses.is_empty() }),
    )
    .await?;
    crate::work::sweep_later(db, &f).await?;
    Ok(f)
}
