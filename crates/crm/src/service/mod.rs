//! The CRM operations: `(db, &Actor, input) -> Result`.

pub mod contact;
pub mod tag;
