//! SeaORM entities of the tenancy crate, one file per table.

pub mod membership;
