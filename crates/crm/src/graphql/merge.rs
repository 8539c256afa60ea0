//! Duplicates and merging in GraphQL.

use super::types::Contact;
use crate::service::merge::{self as service, Reason};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind};
use kernel::payload;

/// What the contacts of a duplicate group share.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateReason {
    /// The same email address.
    Email,
    /// The same phone number.
    Phone,
    /// The same first and last name (whatever their case).
    Name,
}

/// Contacts that look like one person.
#[derive(SimpleObject, Clone)]
pub struct DuplicateGroup {
    /// What they share.
    pub reason: DuplicateReason,
    /// The shared value: the email address, the phone number, or `last, first` in lowercase.
    pub key: String,
    /// The contacts, oldest first.
    pub contacts: Vec<Contact>,
}

/// Input of `contactMerge`.
#[derive(InputObject)]
pub struct ContactMergeInput {
    /// The contact that stays (its values win).
    pub survivor_id: ID,
    /// The contact merged into it (deleted afterwards).
    pub merged_id: ID,
}

payload!(ContactMergePayload, contact: Contact, "The surviving contact.");

/// Duplicate queries.
#[derive(Default)]
pub struct MergeQuery;

#[Object]
impl MergeQuery {
    /// Likely duplicates among a sub-account's contacts: groups sharing an email address, a
    /// phone number or a full name (at most 50 groups of each). Needs `CONTACTS_READ`.
    async fn contact_duplicates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
    ) -> async_graphql::Result<Vec<DuplicateGroup>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(service::duplicates(&**tx, &rc.actor, sub)
            .await?
            .into_iter()
            .map(|g| DuplicateGroup {
                reason: match g.reason {
                    Reason::Email => DuplicateReason::Email,
                    Reason::Phone => DuplicateReason::Phone,
                    Reason::Name => DuplicateReason::Name,
                },
                key: g.key,
                contacts: g.contacts.into_iter().map(Contact).collect(),
            })
            .collect())
    }
}

/// Merge mutations.
#[derive(Default)]
pub struct MergeMutation;

#[Object]
impl MergeMutation {
    /// Merges one contact into another of the same sub-account (`CONTACTS_WRITE`), in one
    /// transaction: the survivor keeps its values and takes the merged contact's where it has
    /// none (fields, address, owner, custom values); the timeline moves over, the tags are
    /// united, references from other domains are repointed, and the merged contact is deleted
    /// for good (`mergedIntoId` names the survivor; it cannot be restored).
    async fn contact_merge(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The two contacts.")] input: ContactMergeInput,
    ) -> async_graphql::Result<ContactMergePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let survivor = GlobalId::parse_as(&input.survivor_id, NodeKind::Contact)?;
        let merged = GlobalId::parse_as(&input.merged_id, NodeKind::Contact)?;
        service::merge(&**tx, &rc.actor, survivor, merged)
            .await
            .map(Contact)
            .into_payload()
    }
}
