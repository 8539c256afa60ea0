//! Cloning a funnel: into its own sub-account or another of the same agency, with a new name
//! and subdomain. The clone's pages keep their names, paths, order, SEO fields and drafts; it
//! starts unpublished (no versions) and without custom domains, which stay the original's.

use super::funnel::{FunnelFields, MAX_FUNNELS};
use super::{check_name, check_subdomain, fail_if};
use crate::entity::{funnel, page};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Clones funnel `id` into `sub_account_id` (`None`: its own) as `fields.name` at
/// `fields.subdomain`. Needs reading the funnel and `FUNNELS_WRITE` in the target.
pub async fn clone<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    sub_account_id: Option<Uuid>,
    fields: FunnelFields,
) -> Result<funnel::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let source = guard::load::<funnel::Entity>(db, actor, id, Access::Read).await?;
    let target = sub_account_id.unwrap_or(source.sub_account_id);
    let agency_id = guard::enter::<funnel::Entity>(db, actor, target, Access::Write)
        .await?
        .agency_id;
    let mut errors = Vec::new();
    let name = check_name(
        &mut errors,
        "input.name",
        fields.name.as_deref().unwrap_or(""),
    );
    let subdomain = check_subdomain(
        &mut errors,
        "input.subdomain",
        fields.subdomain.as_deref().unwrap_or(""),
    );
    let count = funnel::Entity::find()
        .filter(funnel::Column::AgencyId.eq(agency_id))
        .filter(funnel::Column::SubAccountId.eq(target))
        .count(db)
        .await?;
    if count >= MAX_FUNNELS {
        errors.push(UserError::new(
            "input",
            UserErrorCode::LimitReached,
            format!("a sub-account has at most {MAX_FUNNELS} funnels and websites"),
        ));
    }
    fail_if(errors)?;
    let pages = super::page::of_funnel(db, &source).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let f = funnel::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(target),
        name: Set(name),
        kind: Set(source.kind),
        subdomain: Set(subdomain),
        favicon_url: Set(source.favicon_url.clone()),
        // Tracking is the sub-account's choice: the copy starts without it.
        tracking: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(super::funnel::subdomain_taken)?;
    super::funnel::track_favicon(&txn, &f).await?;
    let copies: Vec<page::ActiveModel> = pages
        .into_iter()
        .map(|p| page::ActiveModel {
            agency_id: Set(agency_id),
            id: Set(new_uuid()),
            sub_account_id: Set(target),
            funnel_id: Set(f.id),
            name: Set(p.name),
            path: Set(p.path),
            rank: Set(p.rank),
            seo_title: Set(p.seo_title),
            seo_description: Set(p.seo_description),
            draft: Set(p.draft),
            live_version_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    if !copies.is_empty() {
        page::Entity::insert_many(copies).exec(&txn).await?;
    }
    guard::record(
        &txn,
        actor,
        &f,
        EventType::FunnelCreated,
        json!({ "name": f.name, "subdomain": f.subdomain, "clonedFrom": kernel::id::gid(kernel::id::NodeKind::Funnel, source.id).to_string() }),
    )
    .await?;
    txn.commit().await?;
    Ok(f)
}
