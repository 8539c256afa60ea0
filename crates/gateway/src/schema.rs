//! The merged GraphQL schema: each crate's query and mutation roots, plus `node`/`nodes`.

use analytics::AnalyticsQuery;
use async_graphql::{MergedObject, Schema};
use audit::AuditQuery;
use calendars::{CalendarsMutation, CalendarsQuery};
use crm::{CrmMutation, CrmQuery};
use funnels::{FunnelsMutation, FunnelsQuery};
use graph::CoreQuery;
use identity::{IdentityMutation, IdentityQuery};
use jobs::{JobsMutation, JobsQuery};
use kanban::{KanbanMutation, KanbanQuery};
use kernel::Config;
use kernel::loader::RequestLoaders;
use live::SubscriptionRoot;
use live::activity::ActivityQuery;
use live::notifications::{NotificationMutation, NotificationQuery};
use media::{MediaMutation, MediaQuery};
use referrals::{ReferralsMutation, ReferralsQuery};
use reviews::{ReviewsMutation, ReviewsQuery};
use tenancy::{TenancyMutation, TenancyQuery};
use webhooks::{WebhooksMutation, WebhooksQuery};

/// Every crate's per-request loaders: installed on each request (`crate::http`), cleared
/// before each top-level mutation (`crate::savepoint`). A crate with loaders adds one entry.
pub const LOADERS: [&dyn RequestLoaders; 6] = [
    &identity::Loaders,
    &tenancy::Loaders,
    &crm::Loaders,
    &kanban::Loaders,
    &funnels::Loaders,
    &media::Loaders,
];

/// Every query of the API.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    CoreQuery,
    ActivityQuery,
    NotificationQuery,
    IdentityQuery,
    TenancyQuery,
    CrmQuery,
    KanbanQuery,
    FunnelsQuery,
    MediaQuery,
    CalendarsQuery,
    ReferralsQuery,
    ReviewsQuery,
    AnalyticsQuery,
    AuditQuery,
    JobsQuery,
    WebhooksQuery,
);

/// Every mutation of the API.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    NotificationMutation,
    IdentityMutation,
    TenancyMutation,
    CrmMutation,
    KanbanMutation,
    FunnelsMutation,
    MediaMutation,
    CalendarsMutation,
    ReferralsMutation,
    ReviewsMutation,
    JobsMutation,
    WebhooksMutation,
);

/// The schema type.
pub type CanopySchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema twice: the same types and limits, with and without the savepoint extension.
pub struct Schemas {
    /// For queries and subscriptions: no extension, so async-graphql resolves each field
    /// directly instead of through the extension chain (a registry lookup and a boxed future
    /// per field, about a tenth of a board's CPU).
    pub read: CanopySchema,
    /// For mutations: each top-level field in a savepoint (`crate::savepoint`).
    pub write: CanopySchema,
}

/// Builds both schemas (see [`Schemas`]).
pub fn build(
    config: &Config,
    identity: std::sync::Arc<identity::Identity>,
    media: std::sync::Arc<media::Library>,
) -> Schemas {
    Schemas {
        read: build_one(config, identity.clone(), media.clone(), false),
        write: build_one(config, identity, media, true),
    }
}

/// Builds the schema with the configured limits. Per-request state (the transaction, the
/// actor, loaders) is added to each request, never to the schema.
fn build_one(
    config: &Config,
    identity: std::sync::Arc<identity::Identity>,
    media: std::sync::Arc<media::Library>,
    savepoints: bool,
) -> CanopySchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(identity)
    .data(tenancy::service::branding::PlatformBrand {
        name: config.platform_name.clone(),
        domain: config.platform_domain.clone(),
    })
    .data(std::sync::Arc::new(tenancy::Directory) as std::sync::Arc<dyn kernel::db::ScopeDirectory>)
    .data(crate::work::webhook_settings(config))
    .data(crate::work::funnel_settings(config))
    .data(media)
    // The edge measures every document first (`live::wire::Shape`: depth, aliases, and a cost
    // that multiplies by page size) and refuses it with the limit named; these are backstops
    // that a document within the edge's limits never reaches.
    .limit_depth(config.max_depth.saturating_add(2))
    .limit_complexity(config.max_complexity)
    .limit_recursive_depth(64)
    .limit_directives(16);
    if savepoints {
        builder = builder.extension(crate::savepoint::MutationSavepoints);
    }
    if !config.introspection {
        builder = builder.disable_introspection();
    }
    if !config.suggestions {
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
    .sdl()
}
