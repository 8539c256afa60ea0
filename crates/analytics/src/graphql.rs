//! The analytics GraphQL: the `metrics` query.

use crate::service::series::{self, Point, Query, Report, Series};
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::NaiveDate;
use kernel::metric::{Granularity, Metric};

/// A metric (or one split of it) over a range, period by period.
#[derive(SimpleObject)]
pub struct MetricSeries {
    /// Which number.
    pub metric: Metric,
    /// The split this series counts (a contact source such as `form`, a currency such as
    /// `USD`, a review platform such as `google`), when asked to split; null otherwise.
    pub dimension: Option<String>,
    /// Every period of the range, in order, zeros included.
    pub points: Vec<MetricPoint>,
    /// The count over the whole range.
    pub count: i64,
    /// The sum over the whole range.
    pub sum: i64,
}

/// One period of a metric.
#[derive(SimpleObject)]
pub struct MetricPoint {
    /// The period's first day (a Monday for weeks, the 1st for months); the range's own first
    /// day is counted from even when it falls later in its period.
    pub start: NaiveDate,
    /// How many (contacts created, tickets won, reviews received…).
    pub count: i64,
    /// Their sum: a ticket value in minor units, or ratings; 0 for metrics that only count.
    pub sum: i64,
    /// The sum over the count (the average rating of reviews, the average value of tickets won
    /// or lost); null when the count is 0 or the metric only counts.
    pub average: Option<f64>,
}

/// The answer of `metrics`.
#[derive(SimpleObject)]
pub struct MetricReport {
    /// One series per metric asked for (or per metric and split; a metric with no split or
    /// nothing counted has one, with no split), in the order asked.
    pub series: Vec<MetricSeries>,
    /// False only when so many changes were still being counted that they were left out (the
    /// count runs within seconds; ask again).
    pub up_to_date: bool,
}

impl MetricPoint {
    fn of(p: Point, metric: Metric) -> Self {
        Self {
            start: p.start,
            count: p.count,
            sum: p.total,
            average: (metric.sums() && p.count != 0).then(|| p.total as f64 / p.count as f64),
        }
    }
}

impl From<Series> for MetricSeries {
    fn from(s: Series) -> Self {
        Self {
            metric: s.metric,
            dimension: s.dimension,
            count: s.points.iter().map(|p| p.count).sum(),
            sum: s.points.iter().map(|p| p.total).sum(),
            points: s
                .points
                .into_iter()
                .map(|p| MetricPoint::of(p, s.metric))
                .collect(),
        }
    }
}

impl From<Report> for MetricReport {
    fn from(r: Report) -> Self {
        Self {
            series: r.series.into_iter().map(MetricSeries::from).collect(),
            up_to_date: r.up_to_date,
        }
    }
}

/// Analytics queries.
#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// A sub-account's metrics, or an agency's (its live sub-accounts added together), per day,
    /// week or month. Days are each sub-account's own (its time zone). The numbers come from
    /// daily counts kept as things change, never from counting records at read time, and they
    /// include every committed change. Needs `REPORTS_READ` in the scope.
    #[allow(clippy::too_many_arguments)] // one per GraphQL argument
    async fn metrics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of a sub-account, or of an agency for its rollup.")]
        scope_id: ID,
        #[graphql(desc = "The metrics to read (at least one).")] metrics: Vec<Metric>,
        #[graphql(desc = "The first day.")] from: NaiveDate,
        #[graphql(desc = "The last day, included (at most 731 days from the first).")]
        to: NaiveDate,
        #[graphql(desc = "How to group days (by day when omitted).")] granularity: Option<
            Granularity,
        >,
        #[graphql(
            desc = "True for one series per split (contact source, currency, review platform) instead of one per metric."
        )]
        split: Option<bool>,
    ) -> async_graphql::Result<MetricReport> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &scope_id).await?;
        let q = Query {
            scope,
            metrics,
            from,
            to,
            granularity: granularity.unwrap_or(Granularity::Day),
            split: split.unwrap_or(false),
        };
        Ok(series::series(&**tx, &rc.actor, q).await?.into())
    }
}
