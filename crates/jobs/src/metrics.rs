//! The runtime's Prometheus metrics: runs, failures and dead jobs per kind (counted as they
//! happen), and queue depth and the oldest ready job's age per kind (read every 5 s).

use crate::registry::JobError;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// A job kind label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// The kind.
    pub kind: String,
}

/// A job kind and status label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DepthLabel {
    /// The kind.
    pub kind: String,
    /// `scheduled`, `available`, `running` or `dead`.
    pub status: String,
}

/// The runtime's metrics (registered into the server's registry).
#[derive(Default)]
pub struct Metrics {
    runs: Family<KindLabel, Counter>,
    failures: Family<KindLabel, Counter>,
    dead: Family<KindLabel, Counter>,
    seconds: Family<KindLabel, Counter<f64, AtomicU64>>,
    depth: Family<DepthLabel, Gauge>,
    oldest: Family<KindLabel, Gauge<f64, AtomicU64>>,
}

#[derive(FromQueryResult)]
struct DepthRow {
    kind: String,
    status: String,
    n: i64,
    oldest: Option<chrono::DateTime<chrono::Utc>>,
}

impl Metrics {
    /// Registers every metric under `jobs_`.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("jobs");
        r.register("runs", "Job runs started, by kind", self.runs.clone());
        r.register(
            "failures",
            "Job runs that failed, by kind",
            self.failures.clone(),
        );
        r.register(
            "dead",
            "Jobs that went dead (out of attempts or failed for good), by kind",
            self.dead.clone(),
        );
        r.register(
            "run_seconds",
            "Seconds spent running jobs, by kind",
            self.seconds.clone(),
        );
        r.register(
            "depth",
            "Jobs waiting or running, by kind and status (dead: kept for retry)",
            self.depth.clone(),
        );
        r.register(
            "oldest_ready_age_seconds",
            "Age of the oldest job ready to run (since it was due), by kind",
            self.oldest.clone(),
        );
    }

    pub(crate) fn observe(
        &self,
        kind: &str,
        outcome: &Result<serde_json::Value, JobError>,
        took: Duration,
        last_attempt: bool,
    ) {
        let label = KindLabel {
            kind: kind.to_owned(),
        };
        self.runs.get_or_create(&label).inc();
        self.seconds
            .get_or_create(&label)
            .inc_by(took.as_secs_f64());
        if let Err(e) = outcome {
            self.failures.get_or_create(&label).inc();
            if last_attempt || matches!(e, JobError::Fail(_)) {
                self.dead.get_or_create(&label).inc();
            }
        }
    }

    /// Reads queue depth and the oldest ready job's age.
    pub(crate) async fn refresh_depth(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<(), kernel::Error> {
        let rows = DepthRow::find_by_statement(Statement::from_string(
            db.get_database_backend(),
            "SELECT kind, status, COUNT(*) AS n, MIN(run_at) AS oldest FROM jobs
             WHERE status IN ('scheduled', 'available', 'running', 'dead') GROUP BY kind, status",
        ))
        .all(db)
        .await?;
        self.depth.clear();
        self.oldest.clear();
        let now = chrono::Utc::now();
        for r in rows {
            if r.status == "available"
                && let Some(t) = r.oldest
            {
                self.oldest
                    .get_or_create(&KindLabel {
                        kind: r.kind.clone(),
                    })
                    .set((now - t).num_milliseconds().max(0) as f64 / 1000.0);
            }
            self.depth
                .get_or_create(&DepthLabel {
                    kind: r.kind,
                    status: r.status,
                })
                .set(r.n);
        }
        Ok(())
    }
}
