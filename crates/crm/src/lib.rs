//! Canopy CRM: the contacts of a sub-account (this first increment: contacts with their
//! channels, status, source, owner and do-not-contact flags; search and filters; tags; the
//! timeline of notes and interactions). Custom fields, segments, import and merging follow.

pub mod entity;
pub mod graphql;
pub mod loader;
pub mod service;

pub use graphql::{Activity, Contact, CrmMutation, CrmQuery, Tag};
pub use loader::ContactTagsLoader;
