//! SeaORM entities of the identity crate, one file per table.

pub mod api_key;
pub mod credential;
pub mod password_reset;
pub mod refresh_token;
pub mod session;
pub mod signing_key;
pub mod user;
