//! The `canopy` gateway: the axum server, the merged GraphQL schema, authentication and the
//! request's tenant context at the edge, health checks, the CLI, and demo seeding.
//!
//! It is the only crate that depends on every other; none depends on it.

pub mod activity;
pub mod app;
pub mod cli;
pub mod db;
pub mod graphql;
pub mod http;
pub mod notifications;
pub mod savepoint;
pub mod schema;
pub mod seed;

pub use app::{App, AppState};
