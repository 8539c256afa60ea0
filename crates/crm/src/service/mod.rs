//! The CRM operations: `(db, &Actor, input) -> Result`.

pub mod activity;
pub mod contact;
pub mod custom_field;
pub mod import;
pub mod intake;
pub mod merge;
pub mod segment;
pub mod tag;
