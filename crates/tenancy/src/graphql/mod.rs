//! The tenancy crate's GraphQL: agencies and sub-accounts.

mod mutation;
mod query;
mod types;

pub use mutation::TenancyMutation;
pub use query::TenancyQuery;
pub use types::{
    Agency, CreditEntry, Invitation, InvitationStatus, MembershipObject, Money, Reseller,
    SidebarOption, SubAccount, TenantStatus,
};
