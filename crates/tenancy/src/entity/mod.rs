//! SeaORM entities of the tenancy crate, one file per table.

pub mod agency;
pub mod membership;
pub mod sub_account;
