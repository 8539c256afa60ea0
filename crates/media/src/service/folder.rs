//! Folders: create, rename, move (never into themselves), delete (only when empty), list.

use super::{check_name, fail_if};
use crate::entity::{file, folder};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Most folders in one sub-account's library.
pub const MAX_FOLDERS: u64 = 1_000;
/// Most levels of folders.
pub const MAX_DEPTH: usize = 10;

/// A folder the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<folder::Model, Error> {
    guard::load::<folder::Entity>(db, actor, id, Access::Read).await
}

/// The folders directly inside `parent_id` (the top level when `None`), by name.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    parent_id: Option<Uuid>,
) -> Result<Vec<folder::Model>, Error> {
    let at = guard::enter::<folder::Entity>(db, actor, sub_account_id, Access::Read).await?;
    let q = folder::Entity::find()
        .filter(folder::Column::AgencyId.eq(at.agency_id))
        .filter(folder::Column::SubAccountId.eq(at.sub_account_id));
    let q = match parent_id {
        Some(p) => q.filter(folder::Column::ParentId.eq(p)),
        None => q.filter(folder::Column::ParentId.is_null()),
    };
    Ok(q.order_by_asc(folder::Column::Name)
        .order_by_asc(folder::Column::Id)
        .all(db)
        .await?)
}

fn folder_lock(id: Uuid) -> String {
    format!("media-folder:{id}")
}

/// The folder `id` as a destination in the sub-account (`NOT_FOUND` when it is not one of the
/// sub-account's folders), held until the transaction ends: a concurrent delete of the folder
/// waits, then finds it in use.
pub(crate) async fn destination(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    id: Uuid,
) -> Result<folder::Model, Error> {
    kernel::db::lock(db, &folder_lock(id)).await?;
    folder::Entity::find_by_id((agency_id, id))
        .one(db)
        .await?
        .filter(|f| f.sub_account_id == sub_account_id)
        .ok_or(Error::NotFound)
}

/// The folder's ancestors' ids, nearest first (at most [`MAX_DEPTH`] + 1 read).
async fn ancestors(db: &impl ConnectionTrait, f: &folder::Model) -> Result<Vec<Uuid>, Error> {
    let mut out = Vec::new();
    let mut next = f.parent_id;
    while let Some(id) = next {
        if out.len() > MAX_DEPTH {
            break;
        }
        out.push(id);
        next = folder::Entity::find_by_id((f.agency_id, id))
            .one(db)
            .await?
            .and_then(|p| p.parent_id);
    }
    Ok(out)
}

/// How deep the folders under `f` go (0: none), up to [`MAX_DEPTH`] + 1.
async fn height(db: &impl ConnectionTrait, f: &folder::Model) -> Result<usize, Error> {
    let mut level = vec![f.id];
    let mut h = 0;
    while !level.is_empty() && h <= MAX_DEPTH {
        level = folder::Entity::find()
            .filter(folder::Column::AgencyId.eq(f.agency_id))
            .filter(folder::Column::ParentId.is_in(level))
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        if !level.is_empty() {
            h += 1;
        }
    }
    Ok(h)
}

async fn name_taken(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    parent_id: Option<Uuid>,
    name: &str,
    except: Option<Uuid>,
) -> Result<bool, Error> {
    let mut q = folder::Entity::find()
        .filter(folder::Column::AgencyId.eq(agency_id))
        .filter(folder::Column::SubAccountId.eq(sub_account_id))
        .filter(folder::Column::Name.eq(name));
    q = match parent_id {
        Some(p) => q.filter(folder::Column::ParentId.eq(p)),
        None => q.filter(folder::Column::ParentId.is_null()),
    };
    if let Some(id) = except {
        q = q.filter(folder::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

fn taken() -> UserError {
    UserError::new(
        "input.name",
        UserErrorCode::Taken,
        "a folder with this name is already there",
    )
}

/// Creates a folder in a sub-account's library, at the top or inside `parent_id`.
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    parent_id: Option<Uuid>,
    name: &str,
) -> Result<folder::Model, Error> {
    let at = guard::enter::<folder::Entity>(db, actor, sub_account_id, Access::Write).await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    super::lock_library(db, at.sub_account_id).await?;
    if let Some(p) = parent_id {
        let parent = destination(db, at.agency_id, at.sub_account_id, p).await?;
        if ancestors(db, &parent).await?.len() + 1 >= MAX_DEPTH {
            errors.push(UserError::new(
                "input.parentId",
                UserErrorCode::LimitReached,
                format!("folders nest at most {MAX_DEPTH} deep"),
            ));
        }
    }
    let count = folder::Entity::find()
        .filter(folder::Column::AgencyId.eq(at.agency_id))
        .filter(folder::Column::SubAccountId.eq(at.sub_account_id))
        .count(db)
        .await?;
    if count >= MAX_FOLDERS {
        errors.push(UserError::new(
            "input",
            UserErrorCode::LimitReached,
            format!("a media library has at most {MAX_FOLDERS} folders"),
        ));
    }
    if errors.is_empty()
        && name_taken(db, at.agency_id, at.sub_account_id, parent_id, &name, None).await?
    {
        errors.push(taken());
    }
    fail_if(errors)?;
    let now = Utc::now();
    let f = folder::ActiveModel {
        agency_id: Set(at.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(at.sub_account_id),
        parent_id: Set(parent_id),
        name: Set(name),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    guard::record(db, actor, &f, EventType::MediaFolderCreated, json!({})).await?;
    Ok(f)
}

/// Renames a folder.
pub async fn rename(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    name: &str,
) -> Result<folder::Model, Error> {
    let f = guard::load::<folder::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    fail_if(errors)?;
    super::lock_library(db, f.sub_account_id).await?;
    if name_taken(
        db,
        f.agency_id,
        f.sub_account_id,
        f.parent_id,
        &name,
        Some(f.id),
    )
    .await?
    {
        return Err(Error::User(vec![taken()]));
    }
    let mut m: folder::ActiveModel = f.into();
    m.name = Set(name);
    m.updated_at = Set(Utc::now());
    let f = m.update(db).await?;
    guard::record(db, actor, &f, EventType::MediaFolderUpdated, json!({})).await?;
    Ok(f)
}

/// Moves a folder (with what it holds) into `parent_id`, or to the top when `None`. A folder
/// cannot go into itself or one of its own folders.
pub async fn relocate(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    parent_id: Option<Uuid>,
) -> Result<folder::Model, Error> {
    let f = guard::load::<folder::Entity>(db, actor, id, Access::Write).await?;
    super::lock_library(db, f.sub_account_id).await?;
    if let Some(p) = parent_id {
        let parent = destination(db, f.agency_id, f.sub_account_id, p).await?;
        let above = ancestors(db, &parent).await?;
        if parent.id == f.id || above.contains(&f.id) {
            return Err(Error::user(
                "input.parentId",
                UserErrorCode::NotAllowed,
                "a folder cannot go into itself or one of its own folders",
            ));
        }
        if above.len() + 2 + height(db, &f).await? > MAX_DEPTH {
            return Err(Error::user(
                "input.parentId",
                UserErrorCode::LimitReached,
                format!("folders nest at most {MAX_DEPTH} deep"),
            ));
        }
    }
    if name_taken(
        db,
        f.agency_id,
        f.sub_account_id,
        parent_id,
        &f.name,
        Some(f.id),
    )
    .await?
    {
        return Err(Error::User(vec![taken()]));
    }
    let mut m: folder::ActiveModel = f.into();
    m.parent_id = Set(parent_id);
    m.updated_at = Set(Utc::now());
    let f = m.update(db).await?;
    guard::record(db, actor, &f, EventType::MediaFolderUpdated, json!({})).await?;
    Ok(f)
}

/// Deletes an empty folder (`IN_USE` while it holds files or folders).
pub async fn delete(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<folder::Model, Error> {
    let f = guard::load::<folder::Entity>(db, actor, id, Access::Write).await?;
    super::lock_library(db, f.sub_account_id).await?;
    kernel::db::lock(db, &folder_lock(f.id)).await?;
    let files = file::Entity::find()
        .filter(file::Column::AgencyId.eq(f.agency_id))
        .filter(file::Column::FolderId.eq(f.id))
        .count(db)
        .await?;
    let folders = folder::Entity::find()
        .filter(folder::Column::AgencyId.eq(f.agency_id))
        .filter(folder::Column::ParentId.eq(f.id))
        .count(db)
        .await?;
    if files + folders > 0 {
        return Err(Error::user(
            "id",
            UserErrorCode::InUse,
            format!(
                "the folder holds {files} file(s) and {folders} folder(s): move or delete them first"
            ),
        ));
    }
    folder::Entity::delete_by_id((f.agency_id, f.id))
        .exec(db)
        .await?;
    guard::record(db, actor, &f, EventType::MediaFolderDeleted, json!({})).await?;
    Ok(f)
}
