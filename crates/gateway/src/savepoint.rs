//! Each top-level mutation field runs in its own savepoint of the request's transaction: a
//! mutation that fails with a top-level error leaves nothing behind, and a failed statement on
//! PostgreSQL cannot abort the transaction under the mutations that ran before it.
//!
//! A mutation that returns a payload (with or without `userErrors`) is kept; services are
//! atomic on their own for their error paths, and this is the net beneath them. The exception:
//! a mutation that answers a user error over writes it cannot keep
//! (`kernel::audit::roll_back_mutation`; `kernel::db::taken_rank` calls it, since on
//! PostgreSQL a failed statement aborted the transaction) is rolled back whole, and its payload
//! stands.
//!
//! Each also gets its audit log row (`audit`), written inside its savepoint: a mutation whose
//! row cannot be written is undone, so nothing changes unaudited. A failed mutation's row is
//! written after its savepoint is rolled back, with its error code.
//!
//! A document of one mutation field has its savepoint opened by the frame, in the statement
//! that sets the tenant (`kernel::db::Settings::then_savepoint`, marked here by [`Opened`]),
//! and never released: the commit that follows ends it. That is two round trips fewer, and
//! the same guarantees: the settings come before the savepoint, so rolling back to it keeps
//! them.
//!
//! Only the mutation copy of the schema has this extension (`crate::schema::Schemas`): with
//! an extension installed, async-graphql resolves every field through the extension chain.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use kernel::RequestContext;
use kernel::db::RequestTx;
use sea_orm::ConnectionTrait;
use std::sync::Arc;

/// The savepoint's name.
pub const NAME: &str = "canopy_mutation";

/// In the request data when the frame opened the savepoint of the document's one mutation
/// field (`crate::execute`).
pub struct Opened;

/// The request's variables, for the audit log to read the ids a mutation's arguments name.
pub struct MutationVariables(pub async_graphql::Variables);

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
        let sql = |verb: &'static str| {
            let tx = tx.clone();
            async move {
                let stmt = format!("{verb} {NAME}");
                tx.execute_unprepared(&stmt).await.map_err(|e| {
                    let err: async_graphql::Error = kernel::Error::Db(e).into();
                    err.into_server_error(pos)
                })
            }
        };
        clear_loader_caches(ctx);
        let operation = info.name.to_owned();
        let named = named_ids(ctx, info.field);
        // The document's one mutation: the frame opened its savepoint, and the commit ends it.
        let opened = ctx.data_opt::<Opened>().is_some();
        if !opened {
            sql("SAVEPOINT").await?;
        }
        let (result, collected) = kernel::audit::collect(next.run(ctx, info)).await;
        if result.is_err() || collected.roll_back {
            sql("ROLLBACK TO SAVEPOINT").await?;
        }
        if let Some(rc) = ctx.data_opt::<RequestContext>() {
            let outcome = match &result {
                Ok(_) => audit::service::Outcome::Done,
                Err(e) => audit::service::Outcome::Failed(code_of(e)),
            };
            let written =
                audit::service::record(&*tx, rc, &operation, named, &outcome, &collected).await;
            if let Err(e) = written {
                // Nothing is kept unaudited; and a failed insert has aborted the transaction
                // on PostgreSQL until the savepoint is rolled back.
                sql("ROLLBACK TO SAVEPOINT").await?;
                sql("RELEASE SAVEPOINT").await?;
                let err: async_graphql::Error = e.into();
                return Err(err.into_server_error(pos));
            }
        }
        if !opened {
            sql("RELEASE SAVEPOINT").await?;
        }
        result
    }
}

/// The global ids a mutation's arguments name (variables resolved).
fn named_ids(
    ctx: &ExtensionContext<'_>,
    field: &async_graphql::parser::types::Field,
) -> Vec<String> {
    let vars = ctx.data_opt::<MutationVariables>();
    let mut args = serde_json::Map::new();
    for (name, value) in &field.arguments {
        let value = value
            .node
            .clone()
            .into_const_with(|n| vars.and_then(|v| v.0.get(&n).cloned()).ok_or(()))
            .ok()
            .and_then(|v| v.into_json().ok());
        if let Some(v) = value {
            args.insert(name.node.to_string(), v);
        }
    }
    audit::service::named_ids(&serde_json::Value::Object(args))
}

/// The code of a field's error (`INTERNAL` if it has none).
fn code_of(e: &async_graphql::ServerError) -> String {
    match e.extensions.as_ref().and_then(|x| x.get("code")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Enum(n)) => n.to_string(),
        _ => "INTERNAL".to_owned(),
    }
}

/// Empties every per-request loader cache, so what a mutation returns is read after it ran.
fn clear_loader_caches(ctx: &ExtensionContext<'_>) {
    for loaders in crate::schema::LOADERS {
        loaders.clear(ctx);
    }
}
