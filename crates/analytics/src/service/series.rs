//! The query: a metric of a sub-account, or of an agency's live sub-accounts together, per day,
//! week or month, from the daily rows plus the deltas not folded yet.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use kernel::auth::{Actor, Permission, Scope};
use kernel::error::{Error, UserError, UserErrorCode, fail_if};
use kernel::metric::{Granularity, Metric, period_of};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement};
use std::collections::{BTreeMap, HashSet};
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
    let mut metrics: Vec<Metric> = Vec::new();
    for m in q.metrics.iter().copied() {
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    let index = |m: Metric| metrics.iter().position(|x| *x == m).unwrap_or(0);
    let split = |m: Metric, d: String| (q.split && m.splits()).then_some(d);
    let mut sums: Sums = BTreeMap::new();
    let (rows, up_to_date) = read(db, agency_id, sub, &metrics, &q).await?;
    let subs: HashSet<Uuid> = rows.iter().filter_map(|r| r.sub_account_id).collect();
    let zones = super::zones(db, agency_id, subs).await?;
    for r in rows {
        // A daily row has its day; a pending delta's day is its instant's in its zone.
        let day = match (r.day, r.sub_account_id, r.at) {
            (Some(day), _, _) => day,
            (None, Some(sub), Some(at)) => super::day_in(at, zones.get(&sub)),
            _ => continue,
        };
        let Ok(m) = Metric::try_from_value(&r.metric) else {
            continue;
        };
        let key = (index(m), split(m, r.dimension), day);
        add(&mut sums, key, r.count, r.total, &q);
    }
    Ok(Report {
        series: assemble(&metrics, sums, &q),
        up_to_date,
    })
}

/// A daily row (summed over sub-accounts, with its day) or a pending delta (with its
/// sub-account and instant).
#[derive(Debug, FromQueryResult)]
struct Row {
    metric: String,
    dimension: String,
    day: Option<NaiveDate>,
    sub_account_id: Option<Uuid>,
    at: Option<DateTime<Utc>>,
    count: i64,
    total: i64,
}

/// The daily rows and the pending deltas in one statement, so that both come from one snapshot
/// (a fold that commits between two statements would count its deltas twice or not at all).
/// Pending deltas are read within a day and a half around the range (a day in any zone lies
/// there); past [`MAX_PENDING`] of them, none are added and the answer is not up to date.
async fn read(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub: Option<Uuid>,
    metrics: &[Metric],
    q: &Query,
) -> Result<(Vec<Row>, bool), Error> {
    let backend = db.get_database_backend();
    // Numbered placeholders (`$n`, `?n` on SQLite): the statement names some twice.
    let mark = if backend == DbBackend::Sqlite {
        '?'
    } else {
        '$'
    };
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut bind = |v: sea_orm::Value| {
        values.push(v);
        format!("{mark}{}", values.len())
    };
    let agency = bind(agency_id.into());
    let mut scope = format!("agency_id = {agency}");
    if let Some(id) = sub {
        scope += &format!(" AND sub_account_id = {}", bind(id.into()));
    }
    // Only live sub-accounts count (the scope's own was found live by its lookup).
    scope += &format!(
        " AND sub_account_id NOT IN (SELECT id FROM sub_accounts WHERE agency_id = {agency} \
         AND deleted_at IS NOT NULL)"
    );
    let mut deltas = scope.clone();
    let list: Vec<String> = metrics.iter().map(|m| bind(m.to_value().into())).collect();
    deltas += &format!(" AND metric IN ({})", list.join(", "));
    // Daily rows: the day's totals (split `""`), or, when split, the splits of the metrics
    // that have them and the totals of those that do not.
    let (with, without): (Vec<Metric>, Vec<Metric>) =
        metrics.iter().partition(|m| q.split && m.splits());
    let mut days = Vec::new();
    for (ms, cond) in [(with, "<> ''"), (without, "= ''")] {
        if !ms.is_empty() {
            let list: Vec<String> = ms.iter().map(|m| bind(m.to_value().into())).collect();
            days.push(format!(
                "(metric IN ({}) AND dimension {cond})",
                list.join(", ")
            ));
        }
    }
    let daily = format!("{scope} AND ({})", days.join(" OR "));
    let (from, to) = (bind(q.from.into()), bind(q.to.into()));
    let lo = (q.from - Duration::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let hi = (q.to + Duration::days(2))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let (lo, hi) = (bind(lo.into()), bind(hi.into()));
    let sql = format!(
        "SELECT metric, dimension, \"day\", CAST(NULL AS UUID) AS sub_account_id,
                CAST(NULL AS TIMESTAMPTZ) AS \"at\",
                CAST(SUM(\"count\") AS BIGINT) AS \"count\",
                CAST(SUM(total) AS BIGINT) AS total
           FROM metric_daily
          WHERE {daily} AND \"day\" >= {from} AND \"day\" <= {to}
          GROUP BY metric, dimension, \"day\"
         UNION ALL
         SELECT * FROM (
           SELECT metric, dimension, CAST(NULL AS DATE) AS \"day\", sub_account_id, \"at\",
                  \"count\", total
             FROM metric_deltas
            WHERE {deltas} AND \"at\" >= {lo} AND \"at\" < {hi}
            LIMIT {}) AS pending",
        MAX_PENDING + 1
    );
    let mut rows = Row::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await?;
    let pending = rows.iter().filter(|r| r.day.is_none()).count() as u64;
    let up_to_date = pending <= MAX_PENDING;
    if !up_to_date {
        rows.retain(|r| r.day.is_some());
    }
    Ok((rows, up_to_date))
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
    // Every metric answers, even with nothing counted (with no split then).
    for i in 0..metrics.len() {
        if !by_series.keys().any(|(j, _)| *j == i) {
            by_series.insert((i, None), Periods::new());
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
