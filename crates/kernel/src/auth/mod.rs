//! Who is acting, in which scope, with which permissions; and the checks services make.
//!
//! Architecture Invariant: services call [`Actor::require`] (or read [`Actor::permissions_in`])
//! before they touch data; GraphQL guards are a convenience on top, never the only check.

mod actor;
mod permission;
mod scope;
#[cfg(test)]
mod tests;

pub use actor::{Actor, Principal};
pub use permission::{Permission, PermissionSet, Role};
pub use scope::{Membership, Scope, ScopeKind};
