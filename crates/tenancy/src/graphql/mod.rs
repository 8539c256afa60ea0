//! The tenancy crate's GraphQL: agencies and sub-accounts.

mod embed;
mod mutation;
mod query;
mod support;
mod types;

pub use embed::EmbedDomain;
pub use query::TenancyQuery;
pub use types::{
    Agency, CreditEntry, Invitation, InvitationStatus, MembershipObject, Money, Reseller,
    SidebarOption, SubAccount, TenantStatus,
};

/// Tenancy mutations.
#[derive(async_graphql::MergedObject, Default)]
pub struct TenancyMutation(
    mutation::TreeMutation,
    embed::EmbedDomainMutation,
    support::SupportMutation,
);
