//! The funnels crate's GraphQL: the `funnels` list, the page document's JSON Schema, and the
//! mutations that build, publish and roll back pages.

mod mutation;
mod stats;
mod submission;
mod tracking;
mod types;
pub use submission::FormSubmission;
pub use types::{Funnel, FunnelPage, FunnelPageVersion, Settings};

use crate::entity::FunnelKind;
use async_graphql::{Context, ID, Json, Object};
use kernel::connection::{Page, wants_total_count};
use kernel::id::{GlobalId, NodeKind};
use types::FunnelConnection;

/// Funnel queries.
#[derive(async_graphql::MergedObject, Default)]
pub struct FunnelsQuery(
    FunnelListQuery,
    submission::SubmissionsQuery,
    tracking::TrackingQuery,
);

/// Funnel mutations.
#[derive(async_graphql::MergedObject, Default)]
pub struct FunnelsMutation(mutation::FunnelEditMutation, tracking::TrackingMutation);

/// The funnel list and the page document's schema.
#[derive(Default)]
pub struct FunnelListQuery;

#[Object]
impl FunnelListQuery {
    /// The funnels and websites of a sub-account of the agency you act in, newest first. Needs
    /// `FUNNELS_READ` there.
    #[allow(clippy::too_many_arguments)]
    async fn funnels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Only funnels of this kind.")] kind: Option<FunnelKind>,
        #[graphql(desc = "Return the first n funnels (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return funnels after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n funnels (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return funnels before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<FunnelConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            crate::service::funnel::list(&**tx, &rc.actor, sub, kind, page, wants_total_count(ctx))
                .await?;
        Ok(FunnelConnection::build(
            rows.into_iter().map(Funnel).collect(),
            info,
            total,
            |f| f.0.id,
        ))
    }

    /// The JSON Schema (draft 2020-12) every page document follows: its `schemaVersion` and
    /// each block type with its fields. Editors validate against it; a save is checked against
    /// the same rules.
    async fn funnel_page_document_schema(&self) -> Json<serde_json::Value> {
        Json(crate::document::json_schema())
    }
}
