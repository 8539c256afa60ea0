//! A funnel's stats in GraphQL: views, visitors, submissions and conversion over a period.

use super::types::FunnelPage;
use crate::service::visit::{self, Counts};
use async_graphql::{Context, SimpleObject};
use chrono::NaiveDate;
use kernel::error::Error;

/// Views, visitors, submissions and conversion of a page or a whole funnel over a period.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct FunnelCounts {
    /// Page views (robots left out).
    pub views: i64,
    /// Visitors: a visitor counts once per page and day (UTC), by a daily salted hash of their
    /// address and browser that is never tied to them again; summed over the days and pages.
    pub visitors: i64,
    /// Accepted form submissions.
    pub submissions: i64,
    /// `submissions / visitors` (0 without visitors).
    pub conversion_rate: f64,
}

impl From<&Counts> for FunnelCounts {
    fn from(c: &Counts) -> Self {
        Self {
            views: c.views,
            visitors: c.visitors,
            submissions: c.submissions,
            conversion_rate: if c.visitors > 0 {
                c.submissions as f64 / c.visitors as f64
            } else {
                0.0
            },
        }
    }
}

/// One page's (one funnel step's) numbers.
#[derive(SimpleObject)]
pub struct FunnelPageStats {
    /// The page.
    pub page: FunnelPage,
    /// Its numbers.
    pub counts: FunnelCounts,
}

/// A funnel's numbers over a period.
#[derive(SimpleObject)]
pub struct FunnelStats {
    /// The first day (UTC), `YYYY-MM-DD`.
    pub from: String,
    /// The last day (UTC, included), `YYYY-MM-DD`.
    pub to: String,
    /// The whole funnel's numbers (pages deleted since included).
    pub total: FunnelCounts,
    /// Each page's (each step's), in the funnel's order.
    pub pages: Vec<FunnelPageStats>,
}

fn day(field: &str, v: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| Error::bad_input(Some(field), format!("`{field}` is a date, YYYY-MM-DD")))
}

/// The resolver of `Funnel.stats`.
pub(crate) async fn resolve(
    ctx: &Context<'_>,
    funnel_id: uuid::Uuid,
    from: &str,
    to: &str,
) -> async_graphql::Result<FunnelStats> {
    let (tx, rc) = kernel::db::request(ctx)?;
    let (from, to) = (day("from", from)?, day("to", to)?);
    let s = visit::stats(&**tx, &rc.actor, funnel_id, from, to).await?;
    Ok(FunnelStats {
        from: from.to_string(),
        to: to.to_string(),
        total: FunnelCounts::from(&s.total),
        pages: s
            .pages
            .into_iter()
            .map(|(p, c)| FunnelPageStats {
                page: FunnelPage(p),
                counts: FunnelCounts::from(&c),
            })
            .collect(),
    })
}
