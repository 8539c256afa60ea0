//! The identity crate's query root.

use super::types::{ApiKeyConnection, User};
use crate::service;
use async_graphql::{Context, ID, Object};
use kernel::connection::{Page, wants_total_count};

/// Identity queries.
#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in user, or null when the request carries no user (anonymous or an API key).
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        match rc.actor.user_id() {
            None => Ok(None),
            Some(id) => Ok(Some(User(service::user::get(&**tx, &rc.actor, id).await?))),
        }
    }

    /// The API keys of a scope (platform, reseller, agency or sub-account), oldest first.
    /// Needs the `API_KEYS_MANAGE` permission there.
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the scope whose keys to list.")] scope_id: ID,
        #[graphql(desc = "Return the first n keys (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return keys after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n keys (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return keys before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ApiKeyConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &scope_id).await?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            service::api_key::list(&**tx, &rc.actor, scope, page, wants_total_count(ctx)).await?;
        Ok(ApiKeyConnection::build(
            rows.into_iter().map(super::ApiKey).collect(),
            info,
            total,
            |k| k.0.id,
        ))
    }
}
