//! Canopy tenancy: the platform, resellers, agencies and sub-accounts, and the memberships
//! that give users roles in them. (This first increment holds memberships and the request's
//! tenant context; the tree's own tables come with the Tenancy issue.)

pub mod entity;
pub mod service;

pub use service::context::resolve_tenant;
pub use service::membership::{grant, memberships_of};
