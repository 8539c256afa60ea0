//! SeaORM entities of the reviews crate.

pub mod review;

// Reviews are the CRM's data: its permissions read and write them (`tenancy::guard`).
use kernel::id::NodeKind;
tenancy::sub_account_data!(
    review::Entity,
    NodeKind::Review,
    ContactsRead,
    ContactsWrite
);
