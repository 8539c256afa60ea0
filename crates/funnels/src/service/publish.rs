//! Publishing: freeze a page's draft as a new immutable version and make it live; roll back by
//! making an earlier version live (nothing is copied or rewritten); take a page offline; list
//! a page's versions. Publishing needs `FUNNELS_PUBLISH` (writing versions), beside reading.

use crate::document;
use crate::entity::{page, version};
use chrono::Utc;
use kernel::auth::{Actor, Principal};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// A page the actor may publish: it reads the page and may write versions in its sub-account.
async fn publishable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    page_id: Uuid,
) -> Result<page::Model, Error> {
    let p = guard::load::<page::Entity>(db, actor, page_id, Access::Read).await?;
    guard::enter::<version::Entity>(db, actor, p.sub_account_id, Access::Write).await?;
    Ok(p)
}

/// Keeps what the page's live version uses of the media library current (`None`: nothing is
/// live), so a file a published page shows is not deleted by mistake.
pub(crate) async fn track_media(
    db: &impl ConnectionTrait,
    p: &page::Model,
    live: Option<&serde_json::Value>,
) -> Result<(), Error> {
    let owner = media::service::usage::Owner {
        kind: media::service::usage::OwnerKind::FunnelPage,
        agency_id: p.agency_id,
        sub_account_id: p.sub_account_id,
        id: p.id,
    };
    match live {
        Some(doc) => {
            media::service::usage::set_tokens(db, owner, &media::service::usage::tokens_in(doc))
                .await
        }
        None => media::service::usage::clear(db, owner).await,
    }
}

/// Publishes a page's draft: a new version (numbered after the last) that goes live at once.
pub async fn publish<C>(
    db: &C,
    actor: &Actor,
    page_id: Uuid,
) -> Result<(page::Model, version::Model), Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = publishable(db, actor, page_id).await?;
    // The draft was checked when saved; a draft from an older schema version is upgraded now.
    let doc = document::parse(p.draft.clone())?;
    kernel::db::lock_list(db, "funnel_page_versions", p.id).await?;
    let last: Option<i32> = version::Entity::find()
        .select_only()
        .column(version::Column::Number)
        .filter(version::Column::AgencyId.eq(p.agency_id))
        .filter(version::Column::PageId.eq(p.id))
        .order_by_desc(version::Column::Number)
        .into_tuple()
        .one(db)
        .await?;
    let published_by = match &actor.principal {
        Principal::User { user_id, .. } => Some(*user_id),
        _ => None,
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    let v = version::ActiveModel {
        agency_id: Set(p.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(p.sub_account_id),
        funnel_id: Set(p.funnel_id),
        page_id: Set(p.id),
        number: Set(last.unwrap_or(0) + 1),
        document: Set(serde_json::to_value(doc).map_err(|e| Error::internal(e.to_string()))?),
        seo_title: Set(p.seo_title.clone()),
        seo_description: Set(p.seo_description.clone()),
        published_by: Set(published_by),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if kernel::db::is_unique_violation(&e) {
            Error::user(
                "id",
                UserErrorCode::Taken,
                "the page was published at the same moment: try again",
            )
        } else {
            e.into()
        }
    })?;
    let mut m: page::ActiveModel = p.into();
    m.live_version_id = Set(Some(v.id));
    m.updated_at = Set(now);
    let p = m.update(&txn).await?;
    track_media(&txn, &p, Some(&v.document)).await?;
    guard::record(
        &txn,
        actor,
        &p,
        EventType::FunnelPagePublished,
        json!({ "version": v.number, "path": p.path }),
    )
    .await?;
    txn.commit().await?;
    Ok((p, v))
}

/// Makes an earlier (or later) version of a page live again: one row changes.
pub async fn rollback<C>(
    db: &C,
    actor: &Actor,
    version_id: Uuid,
) -> Result<(page::Model, version::Model), Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let v = guard::load::<version::Entity>(db, actor, version_id, Access::Write).await?;
    let p = guard::load::<page::Entity>(db, actor, v.page_id, Access::Read).await?;
    if p.live_version_id == Some(v.id) {
        return Err(Error::user(
            "versionId",
            UserErrorCode::AlreadyDone,
            "this version is live already",
        ));
    }
    let mut m: page::ActiveModel = p.into();
    m.live_version_id = Set(Some(v.id));
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let p = m.update(&txn).await?;
    track_media(&txn, &p, Some(&v.document)).await?;
    guard::record(
        &txn,
        actor,
        &p,
        EventType::FunnelPageRolledBack,
        json!({ "version": v.number }),
    )
    .await?;
    txn.commit().await?;
    Ok((p, v))
}

/// Takes a page offline (its versions stay; publishing or a rollback brings it back).
pub async fn unpublish<C>(db: &C, actor: &Actor, page_id: Uuid) -> Result<page::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = publishable(db, actor, page_id).await?;
    if p.live_version_id.is_none() {
        return Err(Error::user(
            "pageId",
            UserErrorCode::AlreadyDone,
            "the page is not published",
        ));
    }
    let mut m: page::ActiveModel = p.into();
    m.live_version_id = Set(None);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let p = m.update(&txn).await?;
    track_media(&txn, &p, None).await?;
    guard::record(&txn, actor, &p, EventType::FunnelPageUnpublished, json!({})).await?;
    txn.commit().await?;
    Ok(p)
}

/// A version the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<version::Model, Error> {
    guard::load::<version::Entity>(db, actor, id, Access::Read).await
}

/// A page's versions, newest first.
pub async fn versions(
    db: &impl ConnectionTrait,
    p: &page::Model,
    page: Page,
    with_total: bool,
) -> Result<(Vec<version::Model>, PageInfo, u64), Error> {
    let q = version::Entity::find()
        .filter(version::Column::AgencyId.eq(p.agency_id))
        .filter(version::Column::PageId.eq(p.id));
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, version::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |v| v.id);
    Ok((rows, info, total))
}

/// The version of a page that is live, if any.
pub async fn live(
    db: &impl ConnectionTrait,
    p: &page::Model,
) -> Result<Option<version::Model>, Error> {
    match p.live_version_id {
        Some(id) => Ok(version::Entity::find_by_id((p.agency_id, id))
            .one(db)
            .await?),
        None => Ok(None),
    }
}

/// A version the actor may read, and the id of its page's live version.
pub async fn get_with_live(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<(version::Model, Option<Uuid>), Error> {
    let v = get(db, actor, id).await?;
    let p = guard::load::<page::Entity>(db, actor, v.page_id, Access::Read).await?;
    Ok((v, p.live_version_id))
}
