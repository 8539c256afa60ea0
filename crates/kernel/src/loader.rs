//! Per-request dataloaders: how crates offer them and how resolvers find them.
//!
//! Each crate with loaders exports them as one value implementing [`RequestLoaders`]. The
//! gateway installs every crate's on each request, each loader with a cache, so a list resolver can
//! load every row's related objects in one batch up front ([`prime`]) and the rows' own field
//! resolvers then find them in the cache, whatever the timing of the batching window. The cache
//! is cleared before each top-level mutation, so a payload never shows what an earlier
//! mutation of the same request read.

use crate::error::Error;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::extensions::ExtensionContext;
use async_graphql::{Context, Request};
use sea_orm::DatabaseTransaction;
use std::sync::Weak;
use std::time::Duration;
use uuid::Uuid;

/// What a loader answers (foldhash, seeded at random per map), for the services that build it.
pub use async_graphql::dataloader::LoadedMap;

/// A request's loader of `L`, with its cache (hashed with foldhash, seeded at random per
/// cache: its keys are ids, hashed for every field that finds a related object there, and
/// SipHash was a tenth of the board's instructions, all maps counted).
pub type Cached<L> = DataLoader<L, HashMapCache<foldhash::fast::RandomState>>;

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

/// Loads `keys` in one batch into the request's cache of `L` (nothing when `keys` is empty;
/// each key once, however often it is listed, and none already cached).
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
        .prime_many(keys)
        .await
        .map_err(|e| Error::internal(e.message))
}

/// Whether the client selected `field` on the nodes of the connection being resolved.
pub fn node_field_selected(ctx: &Context<'_>, field: &str) -> bool {
    let la = ctx.look_ahead();
    la.field("nodes").field(field).exists() || la.field("edges").field("node").field(field).exists()
}

/// Whether `field`'s selection (fields in fragments too, whatever their type condition) asks for
/// at least one field and none outside `names`: the test of a slim read, which selects only the
/// columns those fields read (`crm::is_slim`, and [`page_selects_only`] for a page's nodes).
pub fn selects_only(field: &async_graphql::SelectionField<'_>, names: &[&str]) -> bool {
    let mut any = false;
    for f in field.selection_set() {
        if !names.contains(&f.name()) {
            return false;
        }
        any = true;
    }
    any
}

/// Whether a connection's selection (fields in fragments too, whatever their type condition)
/// shows its nodes through nothing but `names`: its `nodes` and its edges' `node` ask for no
/// more (each as [`selects_only`]), and it asks for nothing the connection does not answer
/// from its own figures (`pageInfo`, `totalCount`, an edge's `cursor`). The test of a slim
/// page (`kanban::loader::is_slim_page`, `crm::is_slim_page`).
pub fn page_selects_only(connection: &async_graphql::SelectionField<'_>, names: &[&str]) -> bool {
    let slim = |node: async_graphql::SelectionField<'_>| selects_only(&node, names);
    connection.selection_set().all(|f| match f.name() {
        "__typename" | "pageInfo" | "totalCount" => true,
        "nodes" => slim(f),
        "edges" => f.selection_set().all(|e| match e.name() {
            "__typename" | "cursor" => true,
            "node" => slim(e),
            _ => false,
        }),
        _ => false,
    })
}

/// How long a dataloader waits to batch keys: not at all. Its fetch is a task spawned on the
/// request's worker and runs once the request's task yields, by when the sibling resolvers of
/// that level have asked for their keys (the statement-count tests and the bench's
/// statements per request hold this). async-graphql's default, 1 ms, is longer than most
/// requests; any wait above zero also goes through async-io's timer thread (async-graphql
/// without its `tokio-timer` feature), which cost the board 4.5 % of the gateway's CPU at 50 µs.
pub const LOADER_DELAY: Duration = Duration::ZERO;

/// A crate's per-request loaders as one value (`identity::Loaders`, `crm::Loaders`, …).
///
/// The gateway keeps one list of them: it installs every crate's on each request and clears
/// them all before each top-level mutation. A new crate with loaders adds itself to that list
/// and nothing else.
pub trait RequestLoaders: Sync {
    /// Adds this crate's loaders to `request`, each on the request's transaction (held weakly,
    /// so no loader outlives the request) and tenant, with an empty cache ([`cached`]).
    fn install(
        &self,
        request: Request,
        tx: &Weak<DatabaseTransaction>,
        tenant: Option<Uuid>,
    ) -> Request;

    /// Empties this crate's loaders' caches (each with [`clear`]).
    fn clear(&self, ctx: &ExtensionContext<'_>);
}

/// `loader` as a request's loader: a cache of its own and the [`LOADER_DELAY`] batching window.
pub fn cached<L>(loader: L) -> Cached<L>
where
    L: Send + Sync + 'static,
{
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::new()).delay(LOADER_DELAY)
}

/// Empties the request's cache of `L` (keyed by `K`), if the request has that loader.
pub fn clear<L, K>(ctx: &ExtensionContext<'_>)
where
    L: Loader<K>,
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
{
    if let Some(l) = ctx.data_opt::<Cached<L>>() {
        l.clear::<K>();
    }
}
