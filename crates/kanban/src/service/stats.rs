//! Pipeline stats: count and value per lane, tickets won and lost in a period, and conversion
//! from each lane to the next (of the tickets that ever entered a lane, how many later entered
//! the next one).

use super::lane::of_pipeline;
use crate::entity::ticket::TicketStatus;
use crate::entity::{lane, lane_entry, pipeline, ticket};
use chrono::{DateTime, Utc};
use kernel::error::Error;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A count and a sum of values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Total {
    /// How many tickets.
    pub count: u64,
    /// The sum of their values, in minor units.
    pub value: i64,
}

/// From one lane to the next.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The earlier lane.
    pub from: lane::Model,
    /// The next lane.
    pub to: lane::Model,
    /// Tickets that entered `from`.
    pub entered: u64,
    /// Of those, the ones that entered `to` later.
    pub advanced: u64,
}

/// A pipeline's stats.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Per lane, in order: the tickets in it now.
    pub lanes: Vec<(lane::Model, Total)>,
    /// Tickets won in the period.
    pub won: Total,
    /// Tickets lost in the period.
    pub lost: Total,
    /// Lane to lane, in order.
    pub conversions: Vec<Conversion>,
}

/// Count and value of the tickets in each of `lanes` (lanes with none get zero).
pub async fn lane_totals(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    lanes: &[Uuid],
) -> Result<kernel::loader::LoadedMap<Uuid, Total>, Error> {
    let rows: Vec<(Uuid, i64, Option<i64>)> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::LaneId)
        .column_as(Expr::col(ticket::Column::Id).count(), "n")
        .column_as(
            Expr::col(ticket::Column::ValueMinor)
                .sum()
                .cast_as("BIGINT"),
            "v",
        )
        .filter(ticket::Column::AgencyId.eq(agency_id))
        .filter(ticket::Column::LaneId.is_in(lanes.iter().copied()))
        .group_by(ticket::Column::LaneId)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: kernel::loader::LoadedMap<Uuid, Total> =
        lanes.iter().map(|l| (*l, Total::default())).collect();
    for (lane, n, v) in rows {
        out.insert(
            lane,
            Total {
                count: u64::try_from(n).unwrap_or(0),
                value: v.unwrap_or(0),
            },
        );
    }
    Ok(out)
}

/// The stats of a pipeline (the caller checked the actor may read it); won and lost count
/// tickets closed in `[from, to)`.
pub async fn of(
    db: &impl ConnectionTrait,
    p: &pipeline::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Stats, Error> {
    let lanes = of_pipeline(db, p.agency_id, p.id).await?;
    let ids: Vec<Uuid> = lanes.iter().map(|l| l.id).collect();
    let totals = lane_totals(db, p.agency_id, &ids).await?;
    let closed: Vec<(TicketStatus, i64, Option<i64>)> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::Status)
        .column_as(Expr::col(ticket::Column::Id).count(), "n")
        .column_as(
            Expr::col(ticket::Column::ValueMinor)
                .sum()
                .cast_as("BIGINT"),
            "v",
        )
        .filter(ticket::Column::AgencyId.eq(p.agency_id))
        .filter(ticket::Column::PipelineId.eq(p.id))
        .filter(ticket::Column::Status.is_in([TicketStatus::Won, TicketStatus::Lost]))
        .filter(ticket::Column::ClosedAt.gte(from))
        .filter(ticket::Column::ClosedAt.lt(to))
        .group_by(ticket::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let total_of = |status: TicketStatus| {
        closed
            .iter()
            .find(|(s, _, _)| *s == status)
            .map(|(_, n, v)| Total {
                count: u64::try_from(*n).unwrap_or(0),
                value: v.unwrap_or(0),
            })
            .unwrap_or_default()
    };
    // The first entry of each ticket into each lane.
    let entries: Vec<(Uuid, Uuid, DateTime<Utc>)> = lane_entry::Entity::find()
        .select_only()
        .column(lane_entry::Column::TicketId)
        .column(lane_entry::Column::LaneId)
        .column_as(Expr::col(lane_entry::Column::EnteredAt).min(), "first")
        .filter(lane_entry::Column::AgencyId.eq(p.agency_id))
        .filter(lane_entry::Column::PipelineId.eq(p.id))
        .group_by(lane_entry::Column::TicketId)
        .group_by(lane_entry::Column::LaneId)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_lane: HashMap<Uuid, HashMap<Uuid, DateTime<Utc>>> = HashMap::new();
    for (t, l, at) in entries {
        by_lane.entry(l).or_default().insert(t, at);
    }
    let empty = HashMap::new();
    let conversions = lanes
        .windows(2)
        .map(|w| {
            let from_set = by_lane.get(&w[0].id).unwrap_or(&empty);
            let to_set = by_lane.get(&w[1].id).unwrap_or(&empty);
            let advanced: HashSet<&Uuid> = from_set
                .iter()
                .filter(|(t, at)| to_set.get(*t).is_some_and(|later| later >= *at))
                .map(|(t, _)| t)
                .collect();
            Conversion {
                from: w[0].clone(),
                to: w[1].clone(),
                entered: from_set.len() as u64,
                advanced: advanced.len() as u64,
            }
        })
        .collect();
    Ok(Stats {
        lanes: lanes
            .into_iter()
            .map(|l| {
                let t = totals.get(&l.id).copied().unwrap_or_default();
                (l, t)
            })
            .collect(),
        won: total_of(TicketStatus::Won),
        lost: total_of(TicketStatus::Lost),
        conversions,
    })
}
