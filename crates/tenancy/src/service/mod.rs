//! The tenancy operations: `(db, &Actor, input) -> Result`.

pub mod access;
pub mod agency;
pub mod context;
pub mod invitation;
pub mod membership;
pub mod reseller;
pub mod sub_account;
pub mod validate;
