//! Segments in GraphQL: saved contact filters, their live members and count.

use super::query::{ContactFilterInput, ContactFilterView, ContactSortOrder, contact_page};
use super::types::ContactConnection;
use crate::entity::segment;
use crate::service::segment as service;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind, gid};
use kernel::payload;

/// A saved contact filter of a sub-account (a smart list): its contacts are the ones that
/// match now.
#[derive(Clone)]
pub struct Segment(pub segment::Model);

/// A saved contact filter of a sub-account (a smart list): its contacts are the ones that
/// match now.
#[Object]
impl Segment {
    /// The segment's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Segment, self.0.id)
    }
    /// The name (unique in the sub-account, whatever its case).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The saved filter.
    async fn filter(&self) -> async_graphql::Result<ContactFilterView> {
        Ok(service::parse(&self.0)?.into())
    }
    /// How many contacts match now (one query).
    async fn contact_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(service::count(&**tx, &self.0).await?)
    }
    /// The contacts that match now.
    #[allow(clippy::too_many_arguments)]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order. Default: `CREATED_ASC`.")] sort: Option<ContactSortOrder>,
        #[graphql(desc = "Return the first n contacts (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return contacts after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n contacts (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return contacts before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ContactConnection> {
        let filter = crate::service::contact::ContactFilter {
            segment_id: Some(self.0.id),
            ..Default::default()
        };
        contact_page(
            ctx,
            self.0.sub_account_id,
            filter,
            sort.unwrap_or_default().into(),
            first,
            after,
            last,
            before,
        )
        .await
    }
    /// When the segment was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the segment last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Input of `segmentCreate`.
#[derive(InputObject)]
pub struct SegmentCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// The name (1 to 100 characters, unique in the sub-account).
    pub name: String,
    /// The filter to save (it cannot name a segment).
    pub filter: ContactFilterInput,
}

/// Input of `segmentUpdate`: omitted members stay as they are.
#[derive(InputObject)]
pub struct SegmentUpdateInput {
    /// A new name.
    pub name: Option<String>,
    /// A new filter, replacing the saved one.
    pub filter: Option<ContactFilterInput>,
}

payload!(SegmentPayload, segment: Segment, "The segment.");

/// Segment queries.
#[derive(Default)]
pub struct SegmentQuery;

#[Object]
impl SegmentQuery {
    /// The segments of a sub-account of the agency you act in, by name. Needs `CONTACTS_READ`.
    async fn segments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
    ) -> async_graphql::Result<Vec<Segment>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(service::list(&**tx, &rc.actor, sub)
            .await?
            .into_iter()
            .map(Segment)
            .collect())
    }
}

/// Segment mutations.
#[derive(Default)]
pub struct SegmentMutation;

#[Object]
impl SegmentMutation {
    /// Saves a contact filter as a segment (`CONTACTS_WRITE`).
    async fn segment_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The segment.")] input: SegmentCreateInput,
    ) -> async_graphql::Result<SegmentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&input.sub_account_id, NodeKind::SubAccount)?;
        let filter = input.filter.into_filter()?;
        service::create(&**tx, &rc.actor, sub, &input.name, filter)
            .await
            .map(Segment)
            .into_payload()
    }

    /// Renames a segment or replaces its filter.
    async fn segment_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The segment's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: SegmentUpdateInput,
    ) -> async_graphql::Result<SegmentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Segment)?;
        let filter = input
            .filter
            .map(ContactFilterInput::into_filter)
            .transpose()?;
        service::update(&**tx, &rc.actor, id, input.name.as_deref(), filter)
            .await
            .map(Segment)
            .into_payload()
    }

    /// Deletes a segment (its contacts stay).
    async fn segment_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The segment's global id.")] id: ID,
    ) -> async_graphql::Result<SegmentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Segment)?;
        service::delete(&**tx, &rc.actor, id)
            .await
            .map(Segment)
            .into_payload()
    }
}
