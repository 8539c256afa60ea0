//! The CRM crate's query root.

use super::types::{Contact, ContactConnection, ContactSource, ContactStatus, Tag, TagConnection};
use crate::service::contact::{self, ContactFilter};
use async_graphql::{Context, ID, InputObject, Object};
use kernel::connection::{Page, wants_total_count};
use kernel::id::{GlobalId, NodeKind};

/// CRM queries.
#[derive(Default)]
pub struct CrmQuery;

/// Which contacts to list.
#[derive(InputObject, Default)]
pub struct ContactFilterInput {
    /// The start of a first name, last name, email address or phone number (case-insensitive).
    pub search: Option<String>,
    /// Only contacts with this status.
    pub status: Option<ContactStatus>,
    /// Only contacts from this source.
    pub source: Option<ContactSource>,
    /// Only contacts owned by this user.
    pub owner_id: Option<ID>,
    /// Only contacts with this tag.
    pub tag_id: Option<ID>,
}

#[Object]
impl CrmQuery {
    /// The contacts of a sub-account of the agency you act in, oldest first. Needs
    /// `CONTACTS_READ` there.
    #[allow(clippy::too_many_arguments)]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Which contacts.")] filter: Option<ContactFilterInput>,
        #[graphql(desc = "Return the first n contacts (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return contacts after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n contacts (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return contacts before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ContactConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let f = filter.unwrap_or_default();
        let filter = ContactFilter {
            search: f.search,
            status: f.status.map(|s| s.as_str().to_owned()),
            source: f.source.map(|s| s.as_str().to_owned()),
            owner_id: f
                .owner_id
                .map(|o| GlobalId::parse_as(&o, NodeKind::User))
                .transpose()?,
            tag_id: f
                .tag_id
                .map(|t| GlobalId::parse_as(&t, NodeKind::Tag))
                .transpose()?,
        };
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            contact::list(&**tx, &rc.actor, sub, filter, page, wants_total_count(ctx)).await?;
        Ok(ContactConnection::build(
            rows.into_iter().map(Contact).collect(),
            info,
            total,
            |c| c.0.id,
        ))
    }

    /// The tags of a sub-account of the agency you act in, oldest first. Needs `CONTACTS_READ`.
    async fn tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Return the first n tags (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return tags after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n tags (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return tags before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<TagConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            crate::service::tag::list(&**tx, &rc.actor, sub, page, wants_total_count(ctx)).await?;
        Ok(TagConnection::build(
            rows.into_iter().map(Tag).collect(),
            info,
            total,
            |t| t.0.id,
        ))
    }
}
