//! The tenancy operations: `(db, &Actor, input) -> Result`.

pub mod access;
pub mod agency;
pub mod branding;
pub mod context;
pub mod embed_domain;
pub mod invitation;
pub mod membership;
pub mod reseller;
pub mod sidebar;
pub mod sub_account;
pub mod support;
pub mod validate;
