//! The kanban crate's query root.

use super::types::Pipeline;
use crate::loader::PipelineLanesLoader;
use async_graphql::{Context, ID, Object};
use kernel::id::{GlobalId, NodeKind};

/// Board queries.
#[derive(Default)]
pub struct BoardQuery;

#[Object]
impl BoardQuery {
    /// The pipelines of a sub-account of the agency you act in, in their order. Needs
    /// `PIPELINES_READ` there. A board is `node(id:)` of a pipeline (or this list) with its
    /// `lanes { tickets { … } }`.
    async fn pipelines(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Include archived pipelines (default: false).")] include_archived: Option<
            bool,
        >,
    ) -> async_graphql::Result<Vec<Pipeline>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let rows = crate::service::pipeline::list(
            &**tx,
            &rc.actor,
            sub,
            include_archived.unwrap_or(false),
        )
        .await?;
        if ctx.look_ahead().field("lanes").exists() {
            kernel::loader::prime::<PipelineLanesLoader>(ctx, rows.iter().map(|p| p.id).collect())
                .await?;
        }
        Ok(rows.into_iter().map(Pipeline).collect())
    }
}
