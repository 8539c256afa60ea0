//! The `canopy` gateway, the edge only: the axum server and its middleware, the merged GraphQL
//! schema, authentication and the request's tenant context, one transaction per request, health
//! checks, metrics, the CLI, published funnel pages by host (`sites`), and starting the job
//! runtime with every domain's handlers. The live stack is `live`, the object graph `graph`,
//! seeding `fixtures`.
//!
//! It is the only crate that depends on every other; none depends on it.

// The merged roots nest one level per domain crate; the compiler's layout queries follow them.
#![recursion_limit = "256"]

pub mod app;
pub mod booking;
pub mod budget;
pub mod cli;
pub mod db;
pub mod documents;
pub mod execute;
pub mod graphiql;
pub mod http;
pub mod media;
pub mod metrics;
pub mod referral;
pub mod refusal;
pub mod savepoint;
pub mod schema;
pub mod serve;
pub mod site_forms;
pub mod sites;
pub mod telemetry;
#[cfg(test)]
mod vendored;
pub mod work;

pub use app::{App, AppState};
