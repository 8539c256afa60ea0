//! Canopy identity: users and their argon2id passwords, sessions with rotating refresh tokens,
//! access tokens (JWT), API keys, password reset, and sign-in throttling.
//!
//! Offers [`IdentityQuery`] and [`IdentityMutation`] for the gateway's merged schema,
//! [`authenticate`] for the gateway's edge, and the service functions in [`service`].

pub mod entity;
pub mod graphql;
pub mod loader;
pub mod service;
pub mod work;

pub use graphql::{ApiKey, IdentityMutation, IdentityQuery, User, UserAgent};
pub use loader::{Loaders, UserLoader};
pub use service::Identity;
pub use service::auth::{authenticate, authenticate_until};

use kernel::purge::TenantTable;

/// Identity's tenant tables, as removing a tenant deletes them: the API keys of its scopes.
/// (Users belong to nobody's tenant and stay.)
pub const TENANT_TABLES: &[TenantTable] = &[TenantTable::scoped("api_keys")];
