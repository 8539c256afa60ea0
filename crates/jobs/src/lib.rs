//! The durable job runtime: jobs are rows in Canopy's own database, enqueued in the transaction
//! of the change that causes them, claimed fairly (agency by agency, then sub-account by
//! sub-account) under a lease, retried with backoff into a dead-letter state, run at a time or
//! on a cron schedule, and stopped gracefully. It knows no domain: each crate registers the
//! handlers of its kinds in a [`Registry`] and enqueues with [`enqueue`].
//!
//! Architecture Invariant: a job is enqueued on the caller's connection (its transaction), so a
//! rolled-back change leaves no job and a committed one cannot lose it; a handler gets the
//! job's id and attempt and makes its effect idempotent, because a run may be repeated (a
//! worker killed between the effect and the acknowledgement).
//!
//! Architecture Invariant: the runner reads across tenants only through its own pool, whose
//! sessions carry `app.job_runner` (PostgreSQL); handlers act with the tenant of the job set,
//! through the domains' services.

mod enqueue;
pub mod entity;
pub mod graphql;
pub mod metrics;
mod registry;
pub mod retention;
mod runtime;
pub mod schedule;
pub mod service;
mod store;

pub use enqueue::{DEFAULT_MAX_ATTEMPTS, NewJob, Owner, cancel_by_key, enqueue};
pub use entity::JobStatus;
pub use graphql::{Job, JobsMutation, JobsQuery};
pub use metrics::Metrics;
pub use registry::{Backoff, JobError, JobResult, JobRun, Recurring, Registry};
pub use runtime::{Runtime, RuntimeConfig};

use kernel::purge::TenantTable;

/// The runtime's tenant table: an agency's or a sub-account's jobs go with it.
pub const TENANT_TABLES: &[TenantTable] = &[TenantTable::data("jobs")];

use std::cell::Cell;
use std::sync::LazyLock;
use tokio::sync::watch;

/// Bumped whenever work may have become ready in this process: idle workers look at once
/// instead of at their next poll.
static WAKE: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

tokio::task_local! {
    /// Set inside [`deferring_wakes`]: whether its future asked to wake the workers.
    static DEFERRED: Cell<bool>;
}

/// Tells this process's idle workers to look for work now (after a commit that enqueued some).
/// Inside [`deferring_wakes`] (a request, before its commit) the wake waits for the commit.
pub fn wake() {
    if DEFERRED.try_with(|d| d.set(true)).is_ok() {
        return;
    }
    WAKE.send_modify(|g| *g = g.wrapping_add(1));
}

/// Runs `f` (a request's work, whose transaction commits after it) holding back its wakes, and
/// tells whether it asked for any: the caller wakes the workers after the commit, when they
/// can see what was enqueued. A wake before the commit would cost the workers a poll that
/// finds nothing (and let the job wait for the next), and a request that enqueued nothing
/// wakes no one.
pub async fn deferring_wakes<F: std::future::Future>(f: F) -> (F::Output, bool) {
    DEFERRED
        .scope(Cell::new(false), async {
            let out = f.await;
            (out, DEFERRED.with(Cell::get))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_inside_deferring_wakes_waits_for_the_caller() {
        let mut workers = WAKE.subscribe();
        workers.mark_unchanged();
        let ((), asked) = deferring_wakes(async { wake() }).await;
        assert!(asked);
        assert!(
            !workers.has_changed().expect("open"),
            "woken before the commit"
        );
        let ((), asked) = deferring_wakes(async {}).await;
        assert!(!asked);
        wake();
        assert!(
            workers.has_changed().expect("open"),
            "a wake outside wakes at once"
        );
    }
}
