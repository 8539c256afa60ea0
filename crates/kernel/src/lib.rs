//! Canopy's shared vocabulary: typed global ids, actors and permissions, the error type and its
//! GraphQL codes, Relay connections, the event log (outbox), the request context and config.
//!
//! Every other crate depends on this one; it depends on no other Canopy crate.

pub mod audit;
pub mod auth;
pub mod budget;
pub mod config;
pub mod connection;
pub mod context;
pub mod credentials;
pub mod db;
pub mod error;
pub mod event;
pub mod frame;
pub mod id;
pub mod loader;
pub mod metric;
pub mod notify;
pub mod pool;
pub mod purge;
pub mod rank;
pub mod secret;
pub mod stored_enum;
pub mod throttle;

pub use auth::{Actor, Membership, Permission, PermissionSet, Principal, Role, Scope, ScopeKind};
pub use config::Config;
pub use context::{RequestContext, TenantContext};
pub use error::{Error, Result, UserError};
pub use event::EventType;
pub use id::{GlobalId, NodeKind};

/// A resolver's own statements, boxed. async-graphql boxes every field's future, at the size of
/// the largest in its type's `resolve_field`, and a future that runs a statement (sea-orm over
/// sqlx) is kilobytes: one such resolver on a type made each of its plain fields (a board's
/// hundred ticket titles) copy kilobytes into its box. A resolver of a hot list type that runs a
/// service call awaits it through this, so that only that field pays for its size.
pub fn boxed<F: std::future::Future>(f: F) -> std::pin::Pin<Box<F>> {
    Box::pin(f)
}
