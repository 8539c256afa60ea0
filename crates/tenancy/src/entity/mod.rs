//! SeaORM entities of the tenancy crate, one file per table.

pub mod agency;
pub mod credit_entry;
pub mod embed_domain;
pub mod invitation;
pub mod membership;
pub mod reseller;
pub mod sidebar_option;
pub mod sub_account;
pub mod sub_account_counter;
