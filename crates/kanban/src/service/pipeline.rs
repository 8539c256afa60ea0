//! Pipelines: create (with default or given lanes), rename, reorder, archive, list.

use super::check_name;
use crate::entity::{lane, pipeline};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// The lanes of a pipeline created without its own.
pub const DEFAULT_LANES: [&str; 5] = ["New", "Qualified", "Proposal", "Negotiation", "Closing"];
/// Most pipelines (archived ones included) in a sub-account.
pub const MAX_PIPELINES: u64 = 50;
/// Most lanes in a pipeline.
pub const MAX_LANES: usize = 30;

/// A pipeline the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<pipeline::Model, Error> {
    guard::load::<pipeline::Entity>(db, actor, id, Access::Read).await
}

/// [`get`], with the pipeline's lanes in their order, read in the same statement (a left join
/// on the lanes' key to their pipeline: the rows `crate::loader::PipelineLanesLoader` reads).
pub async fn get_with_lanes(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<(pipeline::Model, Vec<lane::Model>), Error> {
    let lanes = pipeline::Entity::belongs_to(lane::Entity)
        .from((pipeline::Column::AgencyId, pipeline::Column::Id))
        .to((lane::Column::AgencyId, lane::Column::PipelineId))
        .into();
    guard::load_with::<pipeline::Entity, lane::Entity>(db, actor, id, Access::Read, |q| {
        q.join(JoinType::LeftJoin, lanes)
            .select_also(lane::Entity)
            .order_by_asc(lane::Column::Rank)
            .order_by_asc(lane::Column::Id)
    })
    .await
}

/// The pipelines of a sub-account, in their order.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    include_archived: bool,
) -> Result<Vec<pipeline::Model>, Error> {
    let agency_id = guard::enter::<pipeline::Entity>(db, actor, sub_account_id, Access::Read)
        .await?
        .agency_id;
    let mut q = pipeline::Entity::find()
        .filter(pipeline::Column::AgencyId.eq(agency_id))
        .filter(pipeline::Column::SubAccountId.eq(sub_account_id));
    if !include_archived {
        q = q.filter(pipeline::Column::ArchivedAt.is_null());
    }
    Ok(q.order_by_asc(pipeline::Column::Rank)
        .order_by_asc(pipeline::Column::Id)
        .all(db)
        .await?)
}

fn check_currency(errors: &mut Vec<UserError>, c: &str) -> String {
    let c = c.trim().to_uppercase();
    if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push(UserError::new(
            "input.currency",
            UserErrorCode::Invalid,
            "enter a three-letter ISO 4217 currency code, such as USD or EUR",
        ));
    }
    c
}

/// Creates a pipeline at the end of the sub-account's list, with the given lanes (1 to 30) or
/// [`DEFAULT_LANES`].
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    name: &str,
    currency: Option<&str>,
    lanes: Option<&[String]>,
) -> Result<(pipeline::Model, Vec<lane::Model>), Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<pipeline::Entity>(db, actor, sub_account_id, Access::Write)
        .await?
        .agency_id;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    let currency = check_currency(&mut errors, currency.unwrap_or("USD"));
    let lane_names: Vec<String> = match lanes {
        Some(l) if l.is_empty() || l.len() > MAX_LANES => {
            errors.push(UserError::new(
                "input.lanes",
                UserErrorCode::Invalid,
                format!("a pipeline has 1 to {MAX_LANES} lanes"),
            ));
            Vec::new()
        }
        Some(l) => l
            .iter()
            .enumerate()
            .map(|(i, n)| check_name(&mut errors, &format!("input.lanes.{i}"), n))
            .collect(),
        None => DEFAULT_LANES.iter().map(|s| (*s).to_owned()).collect(),
    };
    kernel::db::lock_list(db, "pipelines", sub_account_id).await?;
    let existing = pipeline::Entity::find()
        .filter(pipeline::Column::AgencyId.eq(agency_id))
        .filter(pipeline::Column::SubAccountId.eq(sub_account_id))
        .order_by_desc(pipeline::Column::Rank)
        .all(db)
        .await?;
    if existing.len() as u64 >= MAX_PIPELINES {
        errors.push(UserError::new(
            "input",
            UserErrorCode::LimitReached,
            format!("a sub-account has at most {MAX_PIPELINES} pipelines"),
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let now = Utc::now();
    let rank = kernel::rank::between(existing.first().map(|p| p.rank.as_str()), None)?;
    let txn = db.begin().await?;
    let p = pipeline::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub_account_id),
        name: Set(name),
        currency: Set(currency),
        rank: Set(rank),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(kernel::db::taken_rank)?;
    let rows: Vec<lane::ActiveModel> = lane_names
        .into_iter()
        .zip(kernel::rank::spaced(MAX_LANES))
        .map(|(n, r)| lane::ActiveModel {
            agency_id: Set(agency_id),
            id: Set(new_uuid()),
            sub_account_id: Set(sub_account_id),
            pipeline_id: Set(p.id),
            name: Set(n),
            rank: Set(r),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    lane::Entity::insert_many(rows).exec(&txn).await?;
    let lanes = lane::Entity::find()
        .filter(lane::Column::AgencyId.eq(agency_id))
        .filter(lane::Column::PipelineId.eq(p.id))
        .order_by_asc(lane::Column::Rank)
        .all(&txn)
        .await?;
    guard::record(
        &txn,
        actor,
        &p,
        EventType::PipelineCreated,
        json!({ "name": p.name }),
    )
    .await?;
    txn.commit().await?;
    Ok((p, lanes))
}

/// Renames a pipeline.
pub async fn rename<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    name: &str,
) -> Result<pipeline::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = guard::load::<pipeline::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let mut m: pipeline::ActiveModel = p.into();
    m.name = Set(name);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let p = m.update(&txn).await?;
    guard::record(
        &txn,
        actor,
        &p,
        EventType::PipelineUpdated,
        json!({ "name": p.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(p)
}

/// Moves a pipeline after another of its sub-account (`None`: first). One row changes.
pub async fn reorder<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
) -> Result<pipeline::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = guard::load::<pipeline::Entity>(db, actor, id, Access::Write).await?;
    kernel::db::lock_list(db, "pipelines", p.sub_account_id).await?;
    let others: Vec<pipeline::Model> = pipeline::Entity::find()
        .filter(pipeline::Column::AgencyId.eq(p.agency_id))
        .filter(pipeline::Column::SubAccountId.eq(p.sub_account_id))
        .filter(pipeline::Column::Id.ne(p.id))
        .order_by_asc(pipeline::Column::Rank)
        .order_by_asc(pipeline::Column::Id)
        .all(db)
        .await?;
    let ranks: Vec<(Uuid, &str)> = others.iter().map(|o| (o.id, o.rank.as_str())).collect();
    let rank = kernel::rank::after_anchor(&ranks, after).ok_or_else(|| {
        Error::user(
            "input.afterPipelineId",
            UserErrorCode::Invalid,
            "no such pipeline in this sub-account",
        )
    })??;
    let mut m: pipeline::ActiveModel = p.into();
    m.rank = Set(rank);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let p = m.update(&txn).await.map_err(kernel::db::taken_rank)?;
    guard::record(&txn, actor, &p, EventType::PipelineReordered, json!({})).await?;
    txn.commit().await?;
    Ok(p)
}

/// Archives a pipeline (hidden from lists; its tickets stay) or brings it back.
pub async fn set_archived<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    archived: bool,
) -> Result<pipeline::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = guard::load::<pipeline::Entity>(db, actor, id, Access::Write).await?;
    if p.archived_at.is_some() == archived {
        return Err(Error::user(
            "id",
            UserErrorCode::AlreadyDone,
            if archived {
                "the pipeline is archived already"
            } else {
                "the pipeline is not archived"
            },
        ));
    }
    let mut m: pipeline::ActiveModel = p.into();
    m.archived_at = Set(archived.then(Utc::now));
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let p = m.update(&txn).await?;
    guard::record(
        &txn,
        actor,
        &p,
        if archived {
            EventType::PipelineArchived
        } else {
            EventType::PipelineUnarchived
        },
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(p)
}
