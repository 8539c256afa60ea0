//! Per-request dataloaders: how resolvers find them.
//!
//! The gateway builds one of each loader per request, with a cache, so a list resolver can
//! load every row's related objects in one batch up front ([`prime`]) and the rows' own field
//! resolvers then find them in the cache, whatever the timing of the batching window. The cache
//! is cleared before each top-level mutation, so a payload never shows what an earlier
//! mutation of the same request read.

use crate::error::Error;
use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use uuid::Uuid;

/// A request's loader of `L`, with its cache.
pub type Cached<L> = DataLoader<L, HashMapCache>;

/// The request's loader of `L`.
pub fn get<'a, L>(ctx: &'a Context<'_>) -> Result<&'a Cached<L>, Error>
where
    L: Send + Sync + 'static,
{
    ctx.data::<Cached<L>>().map_err(|_| {
        Error::internal(format!(
            "{} missing from the request",
            std::any::type_name::<L>()
        ))
    })
}

/// Loads `keys` in one batch into the request's cache of `L` (nothing when `keys` is empty).
pub async fn prime<L>(ctx: &Context<'_>, keys: Vec<Uuid>) -> Result<(), Error>
where
    L: Loader<Uuid, Error = async_graphql::Error>,
{
    prime_keys::<L, Uuid>(ctx, keys).await
}

/// [`prime`] for loaders of any key type.
pub async fn prime_keys<L, K>(ctx: &Context<'_>, keys: Vec<K>) -> Result<(), Error>
where
    L: Loader<K, Error = async_graphql::Error>,
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
{
    if keys.is_empty() {
        return Ok(());
    }
    get::<L>(ctx)?
        .load_many(keys)
        .await
        .map(|_| ())
        .map_err(|e| Error::internal(e.message))
}

/// Whether the client selected `field` on the nodes of the connection being resolved.
pub fn node_field_selected(ctx: &Context<'_>, field: &str) -> bool {
    let la = ctx.look_ahead();
    la.field("nodes").field(field).exists() || la.field("edges").field("node").field(field).exists()
}
