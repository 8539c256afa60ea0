//! Prometheus metrics at `/metrics` (text exposition format, `prometheus-client`): SQL
//! statements, GraphQL requests by operation type, live connections and subscriptions, and the
//! job runtime's.
//! They hold no tenant data, but do show traffic: the endpoint is served only with
//! `CANOPY_METRICS=true`, in the OpenMetrics text format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The label of a GraphQL request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabel {
    /// `query` or `mutation`.
    pub operation: &'static str,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// SQL statements run on the server's pool: requests, and subscriptions' start-up checks
    /// (the live bus reads on a pool of its own).
    pub sql_statements: Counter,
    /// GraphQL requests received over HTTP, by operation type (refused ones included).
    pub requests: Family<OperationLabel, Counter>,
    /// GraphQL requests whose document was parsed already (`crate::documents`).
    pub documents_reused: Counter,
    /// Open live (WebSocket) connections.
    pub live_connections: Gauge,
    /// Live subscriptions.
    pub live_subscriptions: Gauge,
    /// Live results resolved and serialised for a group of WebSocket subscriptions sharing one
    /// execution (`live::share`): one per event and group, however many members it has.
    pub live_renders: Counter,
    /// Seconds from an event's or notification's creation (inside its transaction) to its
    /// broadcast on this replica: commit, announcement, the follower's read (and, after a lost
    /// connection, the catch-up).
    pub live_lag: Histogram,
    /// The job runtime's: runs, failures, dead jobs, queue depth and age (`canopy_jobs_*`).
    pub jobs: std::sync::Arc<jobs::Metrics>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("canopy");
        let sql_statements = Counter::default();
        registry.register(
            "sql_statements",
            "SQL statements run on the server's pool",
            sql_statements.clone(),
        );
        let requests = Family::<OperationLabel, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests over HTTP",
            requests.clone(),
        );
        let documents_reused = Counter::default();
        registry.register(
            "graphql_documents_reused",
            "GraphQL requests whose document this replica had parsed before",
            documents_reused.clone(),
        );
        let live_connections = Gauge::default();
        registry.register(
            "live_connections",
            "Open live (WebSocket) connections",
            live_connections.clone(),
        );
        let live_subscriptions = Gauge::default();
        registry.register(
            "live_subscriptions",
            "Live subscriptions",
            live_subscriptions.clone(),
        );
        let live_renders = Counter::default();
        registry.register(
            "live_renders",
            "Live results resolved and serialised once for a group of subscriptions sharing them",
            live_renders.clone(),
        );
        // 1 ms to about 8 s.
        let live_lag = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        registry.register(
            "live_lag_seconds",
            "From a change's event or notification to its broadcast on this replica",
            live_lag.clone(),
        );
        let jobs = std::sync::Arc::new(jobs::Metrics::default());
        jobs.register(&mut registry);
        Self {
            jobs,
            registry,
            sql_statements,
            requests,
            documents_reused,
            live_connections,
            live_subscriptions,
            live_renders,
            live_lag,
        }
    }
}

impl Metrics {
    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
