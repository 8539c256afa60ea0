//! A funnel's pages (its steps, in order): create, change, reorder, delete, and save a draft.

use super::{check_name, check_path, check_text, fail_if};
use crate::document::{self, Document};
use crate::entity::{funnel, page, version};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Most pages of one funnel.
pub const MAX_PAGES: usize = 100;
/// Longest SEO title.
pub const MAX_SEO_TITLE: usize = 200;
/// Longest SEO description.
pub const MAX_SEO_DESCRIPTION: usize = 500;

/// What a page is made of or changed to (`None`: unchanged; blank SEO text clears it).
#[derive(Debug, Clone, Default)]
pub struct PageFields {
    /// The name (in the editor and a website's navigation).
    pub name: Option<String>,
    /// The path, unique within the funnel.
    pub path: Option<String>,
    /// The title search engines and browser tabs show.
    pub seo_title: Option<String>,
    /// The description search engines show.
    pub seo_description: Option<String>,
}

/// A page the actor may read.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<page::Model, Error> {
    guard::load::<page::Entity>(db, actor, id, Access::Read).await
}

/// The pages of a funnel the caller has loaded through the guard, in order.
pub async fn of_funnel(
    db: &impl ConnectionTrait,
    f: &funnel::Model,
) -> Result<Vec<page::Model>, Error> {
    Ok(page::Entity::find()
        .filter(page::Column::AgencyId.eq(f.agency_id))
        .filter(page::Column::FunnelId.eq(f.id))
        .order_by_asc(page::Column::Rank)
        .order_by_asc(page::Column::Id)
        .all(db)
        .await?)
}

fn path_taken(err: sea_orm::DbErr) -> Error {
    if kernel::db::is_unique_violation(&err) {
        Error::user(
            "input.path",
            UserErrorCode::Taken,
            "another page of this funnel has this path",
        )
    } else {
        err.into()
    }
}

/// Whether another page of the funnel has `path`.
async fn path_in_use(
    db: &impl ConnectionTrait,
    f: &funnel::Model,
    path: &str,
    except: Option<Uuid>,
) -> Result<bool, Error> {
    let mut q = page::Entity::find()
        .filter(page::Column::AgencyId.eq(f.agency_id))
        .filter(page::Column::FunnelId.eq(f.id))
        .filter(page::Column::Path.eq(path));
    if let Some(id) = except {
        q = q.filter(page::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

fn taken_error() -> UserError {
    UserError::new(
        "input.path",
        UserErrorCode::Taken,
        "another page of this funnel has this path",
    )
}

/// Adds a page to a funnel, after `after` (`None`: at the end), with an empty draft.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    funnel_id: Uuid,
    fields: PageFields,
    after: Option<Uuid>,
) -> Result<page::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let f = guard::load::<funnel::Entity>(db, actor, funnel_id, Access::Write).await?;
    let mut errors = Vec::new();
    let name = check_name(
        &mut errors,
        "input.name",
        fields.name.as_deref().unwrap_or(""),
    );
    let path = check_path(
        &mut errors,
        "input.path",
        fields.path.as_deref().unwrap_or(""),
    );
    let seo_title = check_text(
        &mut errors,
        "input.seoTitle",
        fields.seo_title.as_deref(),
        MAX_SEO_TITLE,
    );
    let seo_description = check_text(
        &mut errors,
        "input.seoDescription",
        fields.seo_description.as_deref(),
        MAX_SEO_DESCRIPTION,
    );
    fail_if(errors)?;
    kernel::db::lock_list(db, "funnel_pages", f.id).await?;
    let pages = of_funnel(db, &f).await?;
    let mut errors = Vec::new();
    if pages.len() >= MAX_PAGES {
        errors.push(UserError::new(
            "input",
            UserErrorCode::LimitReached,
            format!("a funnel has at most {MAX_PAGES} pages"),
        ));
    }
    if pages.iter().any(|p| p.path == path) {
        errors.push(taken_error());
    }
    fail_if(errors)?;
    let ranks: Vec<(Uuid, &str)> = pages.iter().map(|p| (p.id, p.rank.as_str())).collect();
    let rank = match after {
        None => kernel::rank::between(pages.last().map(|p| p.rank.as_str()), None)?,
        Some(a) => kernel::rank::after_anchor(&ranks, Some(a)).ok_or_else(|| {
            Error::user(
                "input.afterPageId",
                UserErrorCode::Invalid,
                "no such page in this funnel",
            )
        })??,
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    let p = page::ActiveModel {
        agency_id: Set(f.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(f.sub_account_id),
        funnel_id: Set(f.id),
        name: Set(name),
        path: Set(path),
        rank: Set(rank),
        seo_title: Set(seo_title),
        seo_description: Set(seo_description),
        draft: Set(serde_json::to_value(Document::empty()).unwrap_or_default()),
        live_version_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(path_taken)?;
    guard::record(
        &txn,
        actor,
        &p,
        EventType::FunnelPageCreated,
        json!({ "name": p.name, "path": p.path }),
    )
    .await?;
    txn.commit().await?;
    Ok(p)
}

/// Changes a page's name, path or SEO fields. A published page shows the new path at once;
/// its SEO fields change on the public page at its next publish.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    fields: PageFields,
) -> Result<page::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = guard::load::<page::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let mut m: page::ActiveModel = p.clone().into();
    if let Some(n) = &fields.name {
        m.name = Set(check_name(&mut errors, "input.name", n));
    }
    if let Some(path) = &fields.path {
        let path = check_path(&mut errors, "input.path", path);
        if errors.is_empty() {
            let f = funnel_of(db, &p).await?;
            if path_in_use(db, &f, &path, Some(p.id)).await? {
                errors.push(taken_error());
            }
        }
        m.path = Set(path);
    }
    if let Some(t) = &fields.seo_title {
        m.seo_title = Set(check_text(
            &mut errors,
            "input.seoTitle",
            Some(t),
            MAX_SEO_TITLE,
        ));
    }
    if let Some(d) = &fields.seo_description {
        m.seo_description = Set(check_text(
            &mut errors,
            "input.seoDescription",
            Some(d),
            MAX_SEO_DESCRIPTION,
        ));
    }
    fail_if(errors)?;
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let p = m.update(&txn).await.map_err(path_taken)?;
    guard::record(
        &txn,
        actor,
        &p,
        EventType::FunnelPageUpdated,
        json!({ "name": p.name, "path": p.path }),
    )
    .await?;
    txn.commit().await?;
    Ok(p)
}

async fn funnel_of(db: &impl ConnectionTrait, p: &page::Model) -> Result<funnel::Model, Error> {
    funnel::Entity::find_by_id((p.agency_id, p.funnel_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// Moves a page after another of its funnel (`None`: first). One row changes.
pub async fn reorder<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
) -> Result<page::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = guard::load::<page::Entity>(db, actor, id, Access::Write).await?;
    kernel::db::lock_list(db, "funnel_pages", p.funnel_id).await?;
    let others: Vec<page::Model> = page::Entity::find()
        .filter(page::Column::AgencyId.eq(p.agency_id))
        .filter(page::Column::FunnelId.eq(p.funnel_id))
        .filter(page::Column::Id.ne(p.id))
        .order_by_asc(page::Column::Rank)
        .order_by_asc(page::Column::Id)
        .all(db)
        .await?;
    let ranks: Vec<(Uuid, &str)> = others.iter().map(|o| (o.id, o.rank.as_str())).collect();
    let rank = kernel::rank::after_anchor(&ranks, after).ok_or_else(|| {
        Error::user(
            "input.afterPageId",
            UserErrorCode::Invalid,
            "no such page in this funnel",
        )
    })??;
    let mut m: page::ActiveModel = p.into();
    m.rank = Set(rank);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let p = m.update(&txn).await.map_err(kernel::db::taken_rank)?;
    guard::record(&txn, actor, &p, EventType::FunnelPageMoved, json!({})).await?;
    txn.commit().await?;
    Ok(p)
}

/// Deletes a page and its versions. A funnel keeps at least one page.
pub async fn delete<C>(db: &C, actor: &Actor, id: Uuid) -> Result<Uuid, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = guard::load::<page::Entity>(db, actor, id, Access::Write).await?;
    let f = funnel_of(db, &p).await?;
    kernel::db::lock_list(db, "funnel_pages", f.id).await?;
    if of_funnel(db, &f).await?.len() <= 1 {
        return Err(Error::user(
            "id",
            UserErrorCode::NotAllowed,
            "a funnel keeps at least one page: delete the funnel instead",
        ));
    }
    let txn = db.begin().await?;
    super::publish::track_media(&txn, &p, None).await?;
    version::Entity::delete_many()
        .filter(version::Column::AgencyId.eq(p.agency_id))
        .filter(version::Column::PageId.eq(p.id))
        .exec(&txn)
        .await?;
    page::Entity::delete_by_id((p.agency_id, p.id))
        .exec(&txn)
        .await?;
    guard::record(
        &txn,
        actor,
        &p,
        EventType::FunnelPageDeleted,
        json!({ "path": p.path }),
    )
    .await?;
    txn.commit().await?;
    Ok(p.id)
}

/// Replaces a page's draft with `doc` (checked, upgraded and cleaned: see
/// [`document::parse`]). The public page does not change until it is published.
pub async fn save_draft<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    doc: serde_json::Value,
) -> Result<page::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = guard::load::<page::Entity>(db, actor, id, Access::Write).await?;
    let doc = document::parse(doc)?;
    let blocks = doc.blocks.len();
    let mut m: page::ActiveModel = p.into();
    m.draft = Set(serde_json::to_value(doc).map_err(|e| Error::internal(e.to_string()))?);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let p = m.update(&txn).await?;
    guard::record(
        &txn,
        actor,
        &p,
        EventType::FunnelPageDraftSaved,
        json!({ "blocks": blocks }),
    )
    .await?;
    txn.commit().await?;
    Ok(p)
}
