//! Canopy CRM: the contacts of a sub-account with their channels, address, status, source,
//! owner and do-not-contact flags; custom fields; tags; segments (saved filters); search,
//! filters and sort orders; the timeline of notes and interactions.

pub mod entity;
pub mod graphql;
pub mod loader;
pub mod service;

pub use graphql::{Activity, Contact, CrmMutation, CrmQuery, CustomField, Segment, Tag};
pub use loader::{
    ContactLoader, ContactTagsLoader, ContactValuesLoader, Loaders, SLIM_PAGE_FIELDS, Slim,
    is_slim, is_slim_page,
};

use kernel::purge::TenantTable;

/// The CRM's tables in the order removing a tenant deletes them (children first).
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable::child(
        "contact_tags",
        "agency_id = $1 AND contact_id IN (SELECT id FROM contacts WHERE agency_id = $1 AND sub_account_id = $2)",
    ),
    TenantTable::child(
        "contact_field_values",
        "agency_id = $1 AND contact_id IN (SELECT id FROM contacts WHERE agency_id = $1 AND sub_account_id = $2)",
    ),
    TenantTable::data("contact_activities"),
    TenantTable::data("contact_consents"),
    TenantTable::data("contacts"),
    TenantTable::data("tags"),
    TenantTable::data("custom_fields"),
    TenantTable::data("segments"),
];
