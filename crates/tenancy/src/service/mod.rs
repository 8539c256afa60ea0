//! The tenancy operations: `(db, &Actor, input) -> Result`.

pub mod context;
pub mod membership;
