//! Each top-level mutation field runs in its own savepoint of the request's transaction: a
//! mutation that fails with a top-level error leaves nothing behind, and a failed statement on
//! PostgreSQL cannot abort the transaction under the mutations that ran before it.
//!
//! A mutation that returns a payload (with or without `userErrors`) is kept; services are
//! atomic on their own for their error paths, and this is the net beneath them.
//!
//! Only the mutation copy of the schema has this extension (`crate::schema::Schemas`): with
//! an extension installed, async-graphql resolves every field through the extension chain.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use kernel::db::RequestTx;
use sea_orm::ConnectionTrait;
use std::sync::Arc;

/// The extension factory (add it to the schema).
pub struct MutationSavepoints;

impl ExtensionFactory for MutationSavepoints {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MutationSavepointsExt)
    }
}

struct MutationSavepointsExt;

const MUTATION_ROOT: &str = "MutationRoot";

#[async_graphql::async_trait::async_trait]
impl Extension for MutationSavepointsExt {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let top_level_mutation =
            info.path_node.parent.is_none() && info.parent_type == MUTATION_ROOT;
        let tx = match (top_level_mutation, ctx.data_opt::<RequestTx>()) {
            (true, Some(tx)) => tx.clone(),
            _ => return next.run(ctx, info).await,
        };
        let pos = info.field.name.pos;
        let sql = |stmt: &'static str| {
            let tx = tx.clone();
            async move {
                tx.execute_unprepared(stmt).await.map_err(|e| {
                    let err: async_graphql::Error = kernel::Error::Db(e).into();
                    err.into_server_error(pos)
                })
            }
        };
        clear_loader_caches(ctx);
        sql("SAVEPOINT canopy_mutation").await?;
        let result = next.run(ctx, info).await;
        if result.is_err() {
            sql("ROLLBACK TO SAVEPOINT canopy_mutation").await?;
        }
        sql("RELEASE SAVEPOINT canopy_mutation").await?;
        result
    }
}

/// Empties every per-request loader cache, so what a mutation returns is read after it ran.
fn clear_loader_caches(ctx: &ExtensionContext<'_>) {
    for loaders in crate::schema::LOADERS {
        loaders.clear(ctx);
    }
}
