//! The fold: pending metric deltas → `metric_daily`, on every replica's maintenance tick.
//!
//! Each agency's deltas are folded in a transaction inside that agency's tenant: up to
//! [`BATCH`] of them are deleted (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so replicas folding at
//! once take different deltas) and added to their days' rows, in key order (two folds never
//! deadlock). A delta is deleted in the same transaction that adds it, so it counts once. A
//! split delta (a contact's source, say) adds to its split's row and to the day's total row
//! (split `""`).

use crate::entity::{daily, delta};
use chrono::NaiveDate;
use kernel::db::TenantGuard;
use kernel::error::Error;
use kernel::metric::Metric;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveEnum, ActiveValue::Set, DatabaseConnection, DbBackend, EntityTrait, QuerySelect,
    Statement,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Most deltas one agency's fold takes at once.
pub const BATCH: u64 = 5_000;
/// Most agencies one tick folds.
const AGENCIES: u64 = 100;

/// A daily row's key, in the table's key order: sub-account, metric (its wire name), split, day.
type DayKey = (Uuid, String, String, NaiveDate);

/// Folds what is pending. Returns how many deltas it folded.
pub async fn fold(db: &DatabaseConnection) -> Result<u64, Error> {
    // Every tenant's pending deltas (the runner's pool may see them).
    let agencies: Vec<Uuid> = delta::Entity::find()
        .select_only()
        .column(delta::Column::AgencyId)
        .distinct()
        .limit(AGENCIES)
        .into_tuple()
        .all(db)
        .await?;
    let mut folded = 0;
    for agency_id in agencies {
        folded += fold_agency(db, agency_id).await?;
    }
    Ok(folded)
}

/// Folds up to [`BATCH`] of one agency's deltas.
pub async fn fold_agency(db: &DatabaseConnection, agency_id: Uuid) -> Result<u64, Error> {
    let txn = kernel::db::begin_write(db).await?;
    kernel::db::set_tenant(&txn, TenantGuard::Agency(agency_id)).await?;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "DELETE FROM metric_deltas WHERE agency_id = $1 AND id IN (
               SELECT id FROM metric_deltas WHERE agency_id = $1 ORDER BY id LIMIT {BATCH}
               FOR UPDATE SKIP LOCKED)
             RETURNING *"
        ),
        _ => format!(
            "DELETE FROM metric_deltas WHERE agency_id = $1 AND id IN (
               SELECT id FROM metric_deltas WHERE agency_id = $1 ORDER BY id LIMIT {BATCH})
             RETURNING *"
        ),
    };
    let taken = delta::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            sql,
            [agency_id.into()],
        ))
        .all(&txn)
        .await?;
    if taken.is_empty() {
        return Ok(0);
    }
    let zones = super::zones(&txn, agency_id, taken.iter().map(|d| d.sub_account_id)).await?;
    let mut sums: BTreeMap<DayKey, (Metric, i64, i64)> = BTreeMap::new();
    for d in &taken {
        let day = super::day_in(d.at, zones.get(&d.sub_account_id));
        // A split change counts in its split's row and in the day's total (split `""`), so a
        // query without splits reads one row per day whatever the number of splits.
        let mut splits = vec![String::new()];
        if !d.dimension.is_empty() {
            splits.push(d.dimension.clone());
        }
        for dimension in splits {
            let key = (d.sub_account_id, d.metric.to_value(), dimension, day);
            let e = sums.entry(key).or_insert((d.metric, 0, 0));
            e.1 += d.count;
            e.2 += d.total;
        }
    }
    let rows: Vec<daily::ActiveModel> = sums
        .into_iter()
        .filter(|(_, (_, count, total))| *count != 0 || *total != 0)
        .map(
            |((sub, _, dimension, day), (metric, count, total))| daily::ActiveModel {
                agency_id: Set(agency_id),
                sub_account_id: Set(sub),
                metric: Set(metric),
                day: Set(day),
                dimension: Set(dimension),
                count: Set(count),
                total: Set(total),
            },
        )
        .collect();
    let added = |c: daily::Column| {
        Expr::col((daily::Entity, c)).add(Expr::col((Alias::new("excluded"), c)))
    };
    // Rows go in key order, 500 a statement (each key once in a statement).
    let mut rows = rows;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(500));
        daily::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    daily::Column::AgencyId,
                    daily::Column::SubAccountId,
                    daily::Column::Metric,
                    daily::Column::Dimension,
                    daily::Column::Day,
                ])
                .value(daily::Column::Count, added(daily::Column::Count))
                .value(daily::Column::Total, added(daily::Column::Total))
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        rows = rest;
    }
    txn.commit().await?;
    Ok(taken.len() as u64)
}
