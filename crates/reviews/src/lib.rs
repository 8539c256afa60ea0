//! Canopy reviews (seed 004's reviews): a sub-account asks its contacts for reviews on a
//! platform (Google, Facebook, Yelp…), records the reviews that come (rating, content, link),
//! verifies and replies to them, and reads their count and average rating per platform and
//! period.
//!
//! Architecture Invariant: no review gating. A review request never depends on a predicted or
//! prior rating (Google's policy and the FTC's rule on consumer reviews forbid asking only happy
//! customers): the request takes a contact, a platform, a link and a message, and nothing that
//! rates the contact; the service that sends it reads no rating, review or sentiment. Whoever
//! may ask one contact may ask any.

pub mod entity;
pub mod graphql;
pub mod service;

pub use graphql::{Review, ReviewsMutation, ReviewsQuery};

use kernel::purge::TenantTable;

/// The review tables in the order removing a tenant deletes them.
pub const TENANT_TABLES: &[TenantTable] = &[TenantTable::data("reviews")];
