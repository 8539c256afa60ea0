//! The query: a metric of a sub-account, or of an agency's live sub-accounts together, per day,
//! week or month, from the daily rows plus the deltas not folded yet.

use crate::entity::{daily, delta};
use chrono::{Duration, NaiveDate, NaiveTime};
use kernel::auth::{Actor, Permission, Scope};
use kernel::error::{Error, UserError, UserErrorCode, fail_if};
use kernel::metric::{Granularity, Metric, period_of};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use std::collections::{BTreeMap, HashSet};
use tenancy::entity::sub_account;
use uuid::Uuid;

/// Most days one query covers.
pub const MAX_DAYS: i64 = 731;
/// Most pending deltas one query adds; past this the answer says it is not up to date.
pub const MAX_PENDING: u64 = 20_000;

/// What to read.
#[derive(Debug, Clone)]
pub struct Query {
    /// A sub-account, or an agency (its live sub-accounts together).
    pub scope: Scope,
    /// The metrics, in the order to answer them.
    pub metrics: Vec<Metric>,
    /// The first day (in each sub-account's time zone).
    pub from: NaiveDate,
    /// The last day, included.
    pub to: NaiveDate,
    /// How to group days.
    pub granularity: Granularity,
    /// One series per split (source, currency, platform) instead of one per metric.
    pub split: bool,
}

/// One period's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// The period's first day.
    pub start: NaiveDate,
    /// How many.
    pub count: i64,
    /// Their sum.
    pub total: i64,
}

/// One metric (and split) over the periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Which number.
    pub metric: Metric,
    /// The split, when split.
    pub dimension: Option<String>,
    /// Every period from the one `from` falls in to the one `to` falls in, zeros included.
    pub points: Vec<Point>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The series, by metric in the order asked, then by split.
    pub series: Vec<Series>,
    /// False when more changes were still being counted than a query adds (they are left
    /// out); true otherwise.
    pub up_to_date: bool,
}

type Sums = BTreeMap<(usize, Option<String>, NaiveDate), (i64, i64)>;
type Periods = BTreeMap<NaiveDate, (i64, i64)>;

/// Reads the metrics. Needs `REPORTS_READ` in the scope.
pub async fn series(db: &impl ConnectionTrait, actor: &Actor, q: Query) -> Result<Report, Error> {
    let (agency_id, sub) = match q.scope {
        Scope::Agency(a) => (a, None),
        Scope::SubAccount { agency_id, id } => (agency_id, Some(id)),
        _ => return Err(Error::NotFound),
    };
    actor.require_inside(q.scope, &[Permission::ReportsRead])?;
    let mut errors = Vec::new();
    if q.metrics.is_empty() {
        errors.push(UserError::new(
            "metrics",
            UserErrorCode::Invalid,
            "name at least one metric",
        ));
    }
    if q.to < q.from {
        errors.push(UserError::new(
            "to",
            UserErrorCode::Invalid,
            "the last day is on or after the first",
        ));
    } else if (q.to - q.from).num_days() >= MAX_DAYS {
        errors.push(UserError::new(
            "to",
            UserErrorCode::Invalid,
            format!("at most {MAX_DAYS} days at once"),
        ));
    }
    fail_if(errors)?;
    // The sub-account must be live; an agency counts only its live sub-accounts.
    let gone: Vec<Uuid> = sub_account::Entity::find()
        .select_only()
        .column(sub_account::Column::Id)
        .filter(sub_account::Column::AgencyId.eq(agency_id))
        .filter(sub_account::Column::DeletedAt.is_not_null())
        .apply_if(sub, |s, id| s.filter(sub_account::Column::Id.eq(id)))
        .into_tuple()
        .all(db)
        .await?;
    if sub.is_some() && !gone.is_empty() {
        return Err(Error::NotFound);
    }
    let mut metrics: Vec<Metric> = Vec::new();
    for m in q.metrics.iter().copied() {
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    let index = |m: Metric| metrics.iter().position(|x| *x == m).unwrap_or(0);
    let split = |d: String| q.split.then_some(d);
    let mut sums: Sums = BTreeMap::new();
    let rows: Vec<(Metric, String, NaiveDate, i64, i64)> = daily::Entity::find()
        .select_only()
        .column(daily::Column::Metric)
        .column(daily::Column::Dimension)
        .column(daily::Column::Day)
        .column_as(
            Expr::col(daily::Column::Count).sum().cast_as("BIGINT"),
            "count",
        )
        .column_as(
            Expr::col(daily::Column::Total).sum().cast_as("BIGINT"),
            "total",
        )
        .filter(daily::Column::AgencyId.eq(agency_id))
        .apply_if(sub, |s, id| s.filter(daily::Column::SubAccountId.eq(id)))
        .apply_if((!gone.is_empty()).then_some(&gone), |s, g| {
            s.filter(daily::Column::SubAccountId.is_not_in(g.iter().copied()))
        })
        .filter(daily::Column::Metric.is_in(metrics.iter().copied()))
        .filter(daily::Column::Day.gte(q.from))
        .filter(daily::Column::Day.lte(q.to))
        .group_by(daily::Column::Metric)
        .group_by(daily::Column::Dimension)
        .group_by(daily::Column::Day)
        .into_tuple()
        .all(db)
        .await?;
    for (m, dimension, day, count, total) in rows {
        add(
            &mut sums,
            (index(m), split(dimension), day),
            count,
            total,
            &q,
        );
    }
    // Deltas not folded yet: a day in any zone lies within a day and a half of its UTC date.
    let lo = (q.from - Duration::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let hi = (q.to + Duration::days(2))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let pending: Vec<delta::Model> = delta::Entity::find()
        .filter(delta::Column::AgencyId.eq(agency_id))
        .apply_if(sub, |s, id| s.filter(delta::Column::SubAccountId.eq(id)))
        .filter(delta::Column::Metric.is_in(metrics.iter().copied()))
        .filter(delta::Column::At.gte(lo))
        .filter(delta::Column::At.lt(hi))
        .limit(MAX_PENDING + 1)
        .all(db)
        .await?;
    let up_to_date = pending.len() as u64 <= MAX_PENDING;
    if up_to_date {
        let subs: HashSet<Uuid> = pending.iter().map(|d| d.sub_account_id).collect();
        let zones = super::zones(db, agency_id, subs).await?;
        for d in pending {
            if gone.contains(&d.sub_account_id) {
                continue;
            }
            let day = super::day_in(d.at, zones.get(&d.sub_account_id));
            let key = (index(d.metric), split(d.dimension), day);
            add(&mut sums, key, d.count, d.total, &q);
        }
    }
    Ok(Report {
        series: assemble(&metrics, sums, &q),
        up_to_date,
    })
}

/// Adds a day's numbers to its period, if the day is in the range.
fn add(
    sums: &mut Sums,
    key: (usize, Option<String>, NaiveDate),
    count: i64,
    total: i64,
    q: &Query,
) {
    let (i, dimension, day) = key;
    if day < q.from || day > q.to {
        return;
    }
    let e = sums
        .entry((i, dimension, period_of(day, q.granularity)))
        .or_default();
    e.0 += count;
    e.1 += total;
}

/// Every period start from `from`'s to `to`'s.
fn periods(q: &Query) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut day = q.from;
    while day <= q.to {
        let p = period_of(day, q.granularity);
        if out.last() != Some(&p) {
            out.push(p);
        }
        day += Duration::days(1);
    }
    out
}

fn assemble(metrics: &[Metric], sums: Sums, q: &Query) -> Vec<Series> {
    let starts = periods(q);
    let mut by_series: BTreeMap<(usize, Option<String>), Periods> = BTreeMap::new();
    for ((i, dimension, start), v) in sums {
        by_series
            .entry((i, dimension))
            .or_default()
            .insert(start, v);
    }
    // Without a split, every metric answers, even with nothing counted.
    if !q.split {
        for i in 0..metrics.len() {
            by_series.entry((i, None)).or_default();
        }
    }
    by_series
        .into_iter()
        .map(|((i, dimension), values)| Series {
            metric: metrics[i],
            dimension,
            points: starts
                .iter()
                .map(|s| {
                    let (count, total) = values.get(s).copied().unwrap_or_default();
                    Point {
                        start: *s,
                        count,
                        total,
                    }
                })
                .collect(),
        })
        .collect()
}
