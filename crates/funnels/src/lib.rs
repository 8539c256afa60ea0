//! Canopy funnels: a sub-account's funnels and websites (one model; a website is a funnel with
//! navigation), their pages as typed, versioned block documents with drafts, immutable
//! published versions and instant rollback, and the public side that renders a published page
//! to HTML for the host and path a visitor asks for.
//!
//! Architecture Invariant: the public side serves only a live version of a page of a live
//! tenant's funnel, found by the visitor's host (`service::site`). Drafts never leave through
//! it.

pub mod document;
pub mod entity;
pub mod graphql;
pub mod loader;
pub mod service;

pub use entity::FunnelKind;
pub use graphql::{
    FormSubmission, Funnel, FunnelPage, FunnelPageVersion, FunnelsMutation, FunnelsQuery, Settings,
};
pub use loader::Loaders;

use kernel::purge::TenantTable;

/// The funnels' tables in the order removing a tenant deletes them (children first).
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable::data("form_submissions"),
    TenantTable::data("funnel_visits"),
    TenantTable::data("funnel_page_days"),
    TenantTable::data("funnel_page_versions"),
    TenantTable::data("funnel_pages"),
    TenantTable::data("funnel_domains"),
    TenantTable::data("funnel_settings"),
    TenantTable::data("funnels"),
];
