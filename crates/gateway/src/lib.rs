//! The `canopy` gateway: the axum server, the merged GraphQL schema, authentication and the
//! request's tenant context at the edge, health checks, and the CLI (which calls `fixtures` to seed).
//!
//! It is the only crate that depends on every other; none depends on it.

pub mod activity;
pub mod app;
pub mod bus;
pub mod cli;
pub mod db;
pub mod graphql;
pub mod http;
pub mod live;
pub mod metrics;
pub mod notifications;
pub mod quota;
pub mod savepoint;
pub mod schema;
pub mod sse;
pub mod ws;

pub use app::{App, AppState};
