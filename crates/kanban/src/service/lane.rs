//! Lanes: add, rename, reorder, and delete (only when empty, or moving its tickets to another
//! lane of the pipeline first).

use super::check_name;
use super::pipeline::MAX_LANES;
use crate::entity::{lane, lane_entry, ticket};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserErrorCode};
use kernel::event::EventType;
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// A lane the actor may read.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<lane::Model, Error> {
    guard::load::<lane::Entity>(db, actor, id, Access::Read).await
}

/// The lanes of a pipeline, in order.
pub async fn of_pipeline(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    pipeline_id: Uuid,
) -> Result<Vec<lane::Model>, Error> {
    Ok(lane::Entity::find()
        .filter(lane::Column::AgencyId.eq(agency_id))
        .filter(lane::Column::PipelineId.eq(pipeline_id))
        .order_by_asc(lane::Column::Rank)
        .order_by_asc(lane::Column::Id)
        .all(db)
        .await?)
}

/// The rank for a lane placed after `after` (`None`: first) among `others` (in order).
fn place(others: &[lane::Model], after: Option<Uuid>, field: &str) -> Result<String, Error> {
    let ranks: Vec<(Uuid, &str)> = others.iter().map(|o| (o.id, o.rank.as_str())).collect();
    kernel::rank::after_anchor(&ranks, after).ok_or_else(|| {
        Error::user(
            field,
            UserErrorCode::Invalid,
            "no such lane in this pipeline",
        )
    })?
}

/// Adds a lane to a pipeline after `after` (`None`: at the end).
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    pipeline_id: Uuid,
    name: &str,
    after: Option<Uuid>,
) -> Result<lane::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let p = guard::load::<crate::entity::pipeline::Entity>(db, actor, pipeline_id, Access::Write)
        .await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    kernel::db::lock_list(db, "lanes", p.id).await?;
    let lanes = of_pipeline(db, p.agency_id, p.id).await?;
    if lanes.len() >= MAX_LANES {
        errors.push(kernel::error::UserError::new(
            "input",
            UserErrorCode::LimitReached,
            format!("a pipeline has at most {MAX_LANES} lanes"),
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let rank = match after {
        Some(_) => place(&lanes, after, "input.afterLaneId")?,
        None => kernel::rank::between(lanes.last().map(|l| l.rank.as_str()), None)?,
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    let l = lane::ActiveModel {
        agency_id: Set(p.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(p.sub_account_id),
        pipeline_id: Set(p.id),
        name: Set(name),
        rank: Set(rank),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(kernel::db::taken_rank)?;
    guard::record(
        &txn,
        actor,
        &l,
        EventType::LaneCreated,
        json!({ "name": l.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(l)
}

/// Renames a lane.
pub async fn rename<C>(db: &C, actor: &Actor, id: Uuid, name: &str) -> Result<lane::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let l = guard::load::<lane::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let mut m: lane::ActiveModel = l.into();
    m.name = Set(name);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let l = m.update(&txn).await?;
    guard::record(
        &txn,
        actor,
        &l,
        EventType::LaneUpdated,
        json!({ "name": l.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(l)
}

/// Moves a lane after another lane of its pipeline (`None`: first). One row changes.
pub async fn reorder<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
) -> Result<lane::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let l = guard::load::<lane::Entity>(db, actor, id, Access::Write).await?;
    kernel::db::lock_list(db, "lanes", l.pipeline_id).await?;
    let others: Vec<lane::Model> = of_pipeline(db, l.agency_id, l.pipeline_id)
        .await?
        .into_iter()
        .filter(|o| o.id != l.id)
        .collect();
    let rank = place(&others, after, "input.afterLaneId")?;
    let mut m: lane::ActiveModel = l.into();
    m.rank = Set(rank);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let l = m.update(&txn).await.map_err(kernel::db::taken_rank)?;
    guard::record(&txn, actor, &l, EventType::LaneMoved, json!({})).await?;
    txn.commit().await?;
    Ok(l)
}

/// Deletes a lane. A lane that holds tickets needs `move_to`, another lane of the same
/// pipeline: its tickets go to the end of that lane first. The last lane of a pipeline stays.
pub async fn delete<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    move_to: Option<Uuid>,
) -> Result<lane::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let l = guard::load::<lane::Entity>(db, actor, id, Access::Write).await?;
    let lanes = of_pipeline(db, l.agency_id, l.pipeline_id).await?;
    if lanes.len() == 1 {
        return Err(Error::user(
            "id",
            UserErrorCode::NotAllowed,
            "a pipeline keeps at least one lane",
        ));
    }
    let target = match move_to {
        Some(t) if t == l.id => {
            return Err(Error::user(
                "input.moveTicketsToLaneId",
                UserErrorCode::Invalid,
                "move the tickets to another lane",
            ));
        }
        Some(t) => Some(lanes.iter().find(|o| o.id == t).cloned().ok_or_else(|| {
            Error::user(
                "input.moveTicketsToLaneId",
                UserErrorCode::Invalid,
                "no such lane in this pipeline",
            )
        })?),
        None => None,
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    // Counted under the lane's lock: a ticket moved in meanwhile is counted too.
    super::ticket::lock_lane(&txn, &l).await?;
    if target.is_none() {
        let held = ticket::Entity::find()
            .filter(ticket::Column::AgencyId.eq(l.agency_id))
            .filter(ticket::Column::LaneId.eq(l.id))
            .count(&txn)
            .await?;
        if held > 0 {
            return Err(Error::user(
                "input.moveTicketsToLaneId",
                UserErrorCode::InUse,
                format!("the lane holds {held} tickets: name a lane to move them to"),
            ));
        }
    }
    if let Some(target) = &target {
        super::ticket::lock_lane(&txn, target).await?;
        let moving = ticket::Entity::find()
            .filter(ticket::Column::AgencyId.eq(l.agency_id))
            .filter(ticket::Column::LaneId.eq(l.id))
            .order_by_asc(ticket::Column::Rank)
            .all(&txn)
            .await?;
        // The first ticket goes after the target's last as a create's does (respacing the
        // target first if need be), each next one after the one before.
        let mut last: Option<String> = None;
        let mut entries = Vec::with_capacity(moving.len());
        for t in moving {
            let rank = match last.as_deref() {
                None => super::ticket::appended_rank(&txn, target.agency_id, target.id).await?,
                after => kernel::rank::between(after, None)?,
            };
            last = Some(rank.clone());
            entries.push(lane_entry::ActiveModel {
                agency_id: Set(t.agency_id),
                id: Set(new_uuid()),
                ticket_id: Set(t.id),
                pipeline_id: Set(t.pipeline_id),
                lane_id: Set(target.id),
                entered_at: Set(now),
            });
            let mut m: ticket::ActiveModel = t.into();
            m.lane_id = Set(target.id);
            m.rank = Set(rank);
            m.updated_at = Set(now);
            m.update(&txn).await?;
        }
        if !entries.is_empty() {
            lane_entry::Entity::insert_many(entries).exec(&txn).await?;
        }
        // Appending many can still fill the levels: an appended key is past 64 digits only when
        // no shorter level has room after the key before it: that key and the new one begin with
        // 64 `f`s, as does every key after them. So the last key is past the limit if any is.
        if last.is_some_and(|r| !super::ticket::fits(&r)) {
            super::ticket::rebalance(&txn, target.agency_id, target.id).await?;
        }
    }
    lane_entry::Entity::delete_many()
        .filter(lane_entry::Column::AgencyId.eq(l.agency_id))
        .filter(lane_entry::Column::LaneId.eq(l.id))
        .exec(&txn)
        .await?;
    lane::Entity::delete_by_id((l.agency_id, l.id))
        .exec(&txn)
        .await?;
    guard::record(
        &txn,
        actor,
        &l,
        EventType::LaneDeleted,
        json!({
            "name": l.name,
            "ticketsMovedTo": target.map(|t| kernel::id::gid(NodeKind::Lane, t.id).to_string()),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(l)
}
