//! SeaORM entities of the CRM crate, one file per table.

pub mod contact;
