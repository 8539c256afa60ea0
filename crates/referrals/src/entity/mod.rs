//! SeaORM entities of the referrals crate, one file per table.

pub mod code;
pub mod redemption;

// The node kind of codes and the permissions that read and write them (`tenancy::guard`):
// referrals are the CRM's data.
use kernel::id::NodeKind;
tenancy::sub_account_data!(
    code::Entity,
    NodeKind::ReferralCode,
    ContactsRead,
    ContactsWrite
);
