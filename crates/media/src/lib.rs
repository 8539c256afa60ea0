//! Canopy media: a sub-account's media library (seed 000's Media, seed 001's files and asset
//! folders). Files are uploaded through the GraphQL multipart spec, typed by sniffing their
//! bytes, kept once per content in an object store (a local directory or an S3-compatible
//! bucket), arranged in folders, served to the public by an unguessable token, and protected
//! from deletion while a published page or a task attachment uses them.
//!
//! Architecture Invariant: the type of a stored file is what its bytes are (`sniff`), never
//! what the client said; the public endpoint sends that type with `nosniff`.
//!
//! Architecture Invariant: a file in use (`media_uses`) is deleted only when the delete is
//! forced; the crates that use files keep their uses current in the same transaction as the
//! change (funnels on publish, rollback, unpublish and delete; kanban on attachments).

pub mod entity;
pub mod graphql;
pub mod loader;
pub mod service;
pub mod sniff;
mod store;
pub mod thumbnail;
pub mod work;

pub use graphql::{MediaFile, MediaFolder, MediaMutation, MediaQuery};
pub use loader::Loaders;
pub use store::{Blob, Library, S3, thumbnail_object};

use kernel::purge::TenantTable;

/// The media tables in the order removing a tenant deletes them (children first). Their bytes
/// go with the daily store sweep (`work`).
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable::data("media_uses"),
    TenantTable::data("media_files"),
    TenantTable::data("media_folders"),
];
