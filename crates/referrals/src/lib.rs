//! Canopy referrals (seed 004's referrals): each customer (a contact) gets referral codes,
//! unique in its sub-account, with an offer, an expiry and a most number of uses; a lead who
//! redeems one (through the API, or through the code's public link) becomes a contact
//! attributed to the referrer.
//!
//! Architecture Invariant: a code is never redeemed past its `max_uses`, whatever races: the
//! count goes up in one conditional `UPDATE` (`times_used < max_uses`, not expired), and a
//! redemption that does not win it writes nothing.

pub mod entity;
pub mod graphql;
pub mod service;

pub use graphql::{ReferralCode, ReferralsMutation, ReferralsQuery};

use kernel::purge::TenantTable;

/// The referral tables in the order removing a tenant deletes them (children first).
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable::data("referral_redemptions"),
    TenantTable::data("referral_codes"),
];
