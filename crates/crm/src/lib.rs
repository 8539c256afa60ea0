//! Canopy CRM: the contacts of a sub-account with their channels, address, status, source,
//! owner and do-not-contact flags; custom fields; tags; segments (saved filters); search,
//! filters and sort orders; the timeline of notes and interactions.

pub mod entity;
pub mod graphql;
pub mod loader;
pub mod service;

pub use graphql::{Activity, Contact, CrmMutation, CrmQuery, CustomField, Segment, Tag};
pub use loader::{ContactLoader, ContactTagsLoader, ContactValuesLoader, Loaders};
