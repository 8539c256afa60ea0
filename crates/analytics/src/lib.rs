//! Canopy analytics (seed 004's analytics, seed 001's metrics): the numbers a sub-account
//! reports on, per day in its own time zone, rolled up per agency and read by day, week or
//! month.
//!
//! Every change that moves a number appends a delta in its own transaction
//! (`kernel::metric::count`); the `analytics.fold` tick folds the deltas into `metric_daily`,
//! and a query adds the deltas not folded yet, so it answers exactly what was committed.
//!
//! Architecture Invariant: nothing here scans a domain table. A query reads daily rows (one per
//! sub-account, metric, split and day) and the few pending deltas, whatever the number of
//! contacts, tickets or reviews behind them.

pub mod entity;
pub mod graphql;
pub mod service;

pub use graphql::AnalyticsQuery;

use kernel::purge::TenantTable;

/// The analytics tables in the order removing a tenant deletes them.
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable::data("metric_deltas"),
    TenantTable::data("metric_daily"),
];

/// Registers the fold on every replica's maintenance tick.
pub fn register(registry: &mut jobs::Registry) {
    registry.tick("analytics.fold", |db| async move {
        service::fold::fold(&db).await
    });
}
