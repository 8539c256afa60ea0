//! SeaORM entities of the CRM crate, one file per table.

pub mod activity;
pub mod contact;
pub mod contact_field_value;
pub mod contact_tag;
pub mod custom_field;
pub mod segment;
pub mod tag;
