//! Live Canopy: the bus that follows committed events and notifications, the subscriptions
//! fed by it, their two transports (`/graphql/ws`, graphql-transport-ws; `/graphql/stream`,
//! GraphQL over SSE) and the limits on live connections; and the two features that read the
//! same tables, the activity feed (the event log) and notifications.
//!
//! It sits below the gateway and above the domains: the activity feed returns subjects as
//! `graph::Node`, and subscriptions check access through the domains' services. The gateway
//! merges its roots into the schema and mounts [`LiveState::routes`].

pub mod activity;
pub mod bus;
pub mod notifications;
pub mod quota;
pub mod share;
pub mod sse;
pub mod subscriptions;
pub mod wire;
pub mod ws;

use async_graphql::Executor;
use axum::Router;
use axum::routing::get;
use bus::Bus;
use kernel::Config;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use quota::LiveQuota;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

pub use subscriptions::{LiveEvent, LiveSession, SubscriptionRoot};

/// What the live transports share. `E` is the schema that runs the subscriptions (the
/// gateway's merged schema).
#[derive(Clone)]
pub struct LiveState<E> {
    /// The connection pool (subscriptions' start-up and access checks).
    pub db: DatabaseConnection,
    /// Identity state (authenticating each connection's credential).
    pub identity: Arc<identity::Identity>,
    /// The configuration.
    pub config: Arc<Config>,
    /// The live bus (committed events and notifications, for subscriptions).
    pub bus: Arc<Bus>,
    /// Permits for live connections (`CANOPY_WS_MAX_CONNECTIONS`).
    pub connections: Arc<tokio::sync::Semaphore>,
    /// Live connections per user or API key (`CANOPY_WS_MAX_CONNECTIONS_PER_USER`).
    pub quota: Arc<LiveQuota>,
    /// Open live connections (the `canopy_live_connections` metric).
    pub open_connections: Gauge,
    /// The schema subscriptions execute on.
    pub schema: E,
    /// Groups of WebSocket subscriptions sharing one execution (`None` with
    /// `CANOPY_LIVE_SHARED=false`).
    pub share: Option<Arc<share::Hub>>,
}

impl<E: Executor> LiveState<E> {
    /// The live state over `bus`, with the configured connection limits; `renders` counts the
    /// results shared groups resolve.
    pub fn new(
        db: DatabaseConnection,
        identity: Arc<identity::Identity>,
        config: Arc<Config>,
        bus: Arc<Bus>,
        schema: E,
        open_connections: Gauge,
        renders: Counter,
    ) -> Self {
        Self {
            share: config.live_shared.then(|| share::Hub::new(renders)),
            db,
            identity,
            connections: Arc::new(tokio::sync::Semaphore::new(config.ws_max_connections)),
            quota: LiveQuota::new(config.ws_max_connections_per_user),
            config,
            bus,
            open_connections,
            schema,
        }
    }

    /// Live subscriptions now: the bus's receivers, less the shared groups, plus their members.
    pub fn subscriptions(&self) -> usize {
        let (groups, members) = self.share.as_ref().map_or((0, 0), |h| h.counts());
        self.bus.receivers().saturating_sub(groups) + members
    }

    /// The live routes: `/graphql/ws` and `/graphql/stream`.
    pub fn routes(self) -> Router {
        Router::new()
            .route("/graphql/ws", get(ws::upgrade::<E>))
            .route(
                "/graphql/stream",
                get(sse::stream_get::<E>).post(sse::stream_post::<E>),
            )
            .with_state(self)
    }
}

/// Counts one in a gauge for as long as it lives (also when its task panics or is aborted).
pub struct GaugeGuard(Gauge);

impl GaugeGuard {
    /// Increments `gauge`; dropping the guard decrements it.
    pub fn new(gauge: Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
