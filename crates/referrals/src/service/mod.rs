//! The referrals' services: codes (create, update, list) and redemptions (through the API for a
//! contact, or through a code's public link for a visitor). Every entry point takes access
//! through `tenancy::guard` (`CONTACTS_READ` to see, `CONTACTS_WRITE` to change).

pub mod code;
pub mod redeem;
