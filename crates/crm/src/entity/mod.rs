//! SeaORM entities of the CRM crate, one file per table.

pub mod activity;
pub mod contact;
pub mod contact_tag;
pub mod tag;
