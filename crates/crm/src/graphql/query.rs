//! The CRM crate's query root, and the contact filter shared with segments.

use super::types::{Contact, ContactConnection, ContactSource, ContactStatus, Tag, TagConnection};
use crate::service::contact::{self, ContactFilter, ContactSort, FieldCondition};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kernel::connection::{Page, wants_total_count};
use kernel::id::{GlobalId, NodeKind, gid};

/// Contact and tag queries.
#[derive(Default)]
pub struct ContactQuery;

/// A condition on a custom field's value. Values are written as text and read by the field's
/// kind: a number, a date as `YYYY-MM-DD`, `true` or `false` for a checkbox (an unset checkbox
/// counts as `false`), a choice for a select field (a multi-select matches when it holds it).
#[derive(InputObject, Clone)]
pub struct CustomFieldConditionInput {
    /// The custom field.
    pub field_id: ID,
    /// The value equals this.
    pub equals: Option<String>,
    /// The value is at least this (number and date fields).
    pub at_least: Option<String>,
    /// The value is at most this (number and date fields).
    pub at_most: Option<String>,
    /// The contact has a value (`true`) or has none (`false`).
    pub is_set: Option<bool>,
}

/// Which contacts to list. Every condition given must hold.
#[derive(InputObject, Default, Clone)]
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
    /// Words that must all appear in the name, email address, company or city (at most 8;
    /// full-text on PostgreSQL, where each word matches the start of a word).
    pub text: Option<String>,
    /// Only contacts created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only contacts created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Only contacts whose custom values meet every condition (at most 20).
    pub custom_fields: Option<Vec<CustomFieldConditionInput>>,
    /// Only contacts of this segment (its saved filter applies as well as this one).
    pub segment_id: Option<ID>,
}

impl ContactFilterInput {
    /// The service filter (ids parsed).
    pub fn into_filter(self) -> Result<ContactFilter, kernel::Error> {
        let id = |v: Option<ID>, kind| v.map(|v| GlobalId::parse_as(&v, kind)).transpose();
        Ok(ContactFilter {
            search: self.search,
            status: self.status,
            source: self.source,
            owner_id: id(self.owner_id, NodeKind::User)?,
            tag_id: id(self.tag_id, NodeKind::Tag)?,
            text: self.text,
            created_from: self.created_from,
            created_before: self.created_before,
            custom_fields: self
                .custom_fields
                .unwrap_or_default()
                .into_iter()
                .map(|c| {
                    Ok(FieldCondition {
                        field_id: GlobalId::parse_as(&c.field_id, NodeKind::CustomField)?,
                        equals: c.equals,
                        at_least: c.at_least,
                        at_most: c.at_most,
                        is_set: c.is_set,
                    })
                })
                .collect::<Result<_, kernel::Error>>()?,
            segment_id: id(self.segment_id, NodeKind::Segment)?,
        })
    }
}

/// A saved condition on a custom field's value.
#[derive(SimpleObject, Clone)]
pub struct CustomFieldCondition {
    /// The custom field's global id.
    pub field_id: ID,
    /// The value equals this.
    pub equals: Option<String>,
    /// The value is at least this.
    pub at_least: Option<String>,
    /// The value is at most this.
    pub at_most: Option<String>,
    /// The contact has a value (`true`) or has none (`false`).
    pub is_set: Option<bool>,
}

/// A saved contact filter (what a segment holds), as `ContactFilterInput` takes it.
#[derive(SimpleObject, Clone)]
pub struct ContactFilterView {
    /// The start of a name, email address or phone number.
    pub search: Option<String>,
    /// Only contacts with this status.
    pub status: Option<ContactStatus>,
    /// Only contacts from this source.
    pub source: Option<ContactSource>,
    /// Only contacts owned by this user (global id).
    pub owner_id: Option<ID>,
    /// Only contacts with this tag (global id).
    pub tag_id: Option<ID>,
    /// Words that must all appear in the name, email address, company or city.
    pub text: Option<String>,
    /// Only contacts created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only contacts created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Conditions on custom values.
    pub custom_fields: Vec<CustomFieldCondition>,
}

impl From<ContactFilter> for ContactFilterView {
    fn from(f: ContactFilter) -> Self {
        Self {
            search: f.search,
            status: f.status,
            source: f.source,
            owner_id: f.owner_id.map(|u| gid(NodeKind::User, u)),
            tag_id: f.tag_id.map(|t| gid(NodeKind::Tag, t)),
            text: f.text,
            created_from: f.created_from,
            created_before: f.created_before,
            custom_fields: f
                .custom_fields
                .into_iter()
                .map(|c| CustomFieldCondition {
                    field_id: gid(NodeKind::CustomField, c.field_id),
                    equals: c.equals,
                    at_least: c.at_least,
                    at_most: c.at_most,
                    is_set: c.is_set,
                })
                .collect(),
        }
    }
}

/// The order of a contact list.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactSortOrder {
    /// Oldest first.
    #[default]
    CreatedAsc,
    /// Newest first.
    CreatedDesc,
    /// Most recently changed first.
    UpdatedDesc,
    /// By last name, then first name, A to Z (case-insensitive).
    NameAsc,
    /// By last name, then first name, Z to A.
    NameDesc,
}

impl From<ContactSortOrder> for ContactSort {
    fn from(s: ContactSortOrder) -> Self {
        match s {
            ContactSortOrder::CreatedAsc => Self::CreatedAsc,
            ContactSortOrder::CreatedDesc => Self::CreatedDesc,
            ContactSortOrder::UpdatedDesc => Self::UpdatedDesc,
            ContactSortOrder::NameAsc => Self::NameAsc,
            ContactSortOrder::NameDesc => Self::NameDesc,
        }
    }
}

/// A page of contacts of a sub-account (shared by `contacts` and `Segment.contacts`).
#[allow(clippy::too_many_arguments)]
pub async fn contact_page(
    ctx: &Context<'_>,
    sub: uuid::Uuid,
    filter: ContactFilter,
    sort: ContactSort,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> async_graphql::Result<ContactConnection> {
    let (tx, rc) = kernel::db::request(ctx)?;
    let page = Page::new(first, after, last, before)?;
    let selected = |f| kernel::loader::node_field_selected(ctx, f);
    let shown = contact::Shown {
        total: wants_total_count(ctx),
        owners: selected("owner"),
        slim: crate::loader::is_slim_page(&ctx.field()),
    };
    let contact::Listing {
        contacts,
        owners,
        info,
        total,
    } = contact::list(&**tx, &rc.actor, sub, filter, sort, page, shown).await?;
    // What the rows show is loaded in one batch per kind, whatever the page size; the owners
    // came with the rows.
    let ids: Vec<uuid::Uuid> = contacts.iter().map(|c| c.id).collect();
    if !owners.is_empty() {
        kernel::loader::get::<identity::UserLoader>(ctx)?
            .feed_many(owners.into_iter().map(|u| (u.id, u)))
            .await;
    }
    if selected("tags") {
        kernel::loader::prime::<crate::ContactTagsLoader>(ctx, ids.clone()).await?;
    }
    if selected("customValues") {
        kernel::loader::prime::<crate::ContactValuesLoader>(ctx, ids).await?;
    }
    Ok(ContactConnection::build_with(
        contacts.into_iter().map(Contact).collect(),
        info,
        total,
        move |c| sort.cursor(&c.0),
    ))
}

#[Object]
impl ContactQuery {
    /// The contacts of a sub-account of the agency you act in. Needs `CONTACTS_READ` there.
    #[allow(clippy::too_many_arguments)]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Which contacts.")] filter: Option<ContactFilterInput>,
        #[graphql(desc = "The order. Default: `CREATED_ASC`.")] sort: Option<ContactSortOrder>,
        #[graphql(desc = "Return the first n contacts (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return contacts after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n contacts (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return contacts before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ContactConnection> {
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        contact_page(
            ctx,
            sub,
            filter,
            sort.unwrap_or_default().into(),
            first,
            after,
            last,
            before,
        )
        .await
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
            rows.into_iter().map(Tag::from).collect(),
            info,
            total,
            |t| t.0.id,
        ))
    }
}
