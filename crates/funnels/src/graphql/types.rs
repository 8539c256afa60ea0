//! Funnels, pages and versions as GraphQL objects.

use crate::entity::{FunnelKind, funnel, page, version};
use crate::loader::FunnelPagesLoader;
use crate::service;
use async_graphql::{Context, ID, Json, Object};
use chrono::{DateTime, Utc};
use kernel::connection::{Page, wants_total_count};
use kernel::id::{NodeKind, gid};

/// Deployment settings the funnels' API needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Funnels are served at `<subdomain>.<sites_domain>`.
    pub sites_domain: String,
    /// Domains nobody may claim as a custom domain (the platform's and the sites' own).
    pub reserved_domains: Vec<String>,
}

/// A funnel or website of a sub-account: named, served at its own subdomain (and any custom
/// domains), made of ordered pages.
#[derive(Clone)]
pub struct Funnel(pub funnel::Model);

/// A funnel or website of a sub-account: named, served at its own subdomain (and any custom
/// domains), made of ordered pages.
#[Object]
impl Funnel {
    /// The funnel's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Funnel, self.0.id)
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A funnel (steps in order) or a website (pages with navigation).
    async fn kind(&self) -> FunnelKind {
        self.0.kind
    }
    /// Its subdomain, unique on the platform.
    async fn subdomain(&self) -> &str {
        &self.0.subdomain
    }
    /// Where the public reaches it: `https://<subdomain>.<sites domain>/`.
    async fn url(&self, ctx: &Context<'_>) -> String {
        let domain = ctx
            .data_opt::<Settings>()
            .map(|s| s.sites_domain.as_str())
            .unwrap_or("localhost");
        format!("https://{}.{domain}/", self.0.subdomain)
    }
    /// Custom domains it is also served at.
    async fn custom_domains(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(service::funnel::domains(&**tx, &self.0)
            .await?
            .into_iter()
            .map(|d| d.host)
            .collect())
    }
    /// The favicon's URL.
    async fn favicon_url(&self) -> Option<&str> {
        self.0.favicon_url.as_deref()
    }
    /// Its tracking tags (null: none). The pages carry them only while the sub-account allows
    /// tracking (`funnelTrackingAllowed`).
    async fn tracking(&self) -> Option<super::tracking::FunnelTracking> {
        crate::service::tracking::of(&self.0).map(Into::into)
    }
    /// The sub-account it belongs to.
    async fn sub_account_id(&self) -> ID {
        gid(NodeKind::SubAccount, self.0.sub_account_id)
    }
    /// Its pages (a funnel's steps), in order.
    async fn pages(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FunnelPage>> {
        let rows = kernel::loader::get::<FunnelPagesLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(FunnelPage).collect())
    }
    /// Its views, visitors, form submissions and conversion from `from` to `to` (UTC days,
    /// both included, at most 366), per page (step) and in all (`FUNNELS_READ`). Views are
    /// written within about a second.
    async fn stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day, `YYYY-MM-DD` (UTC).")] from: String,
        #[graphql(desc = "The last day, `YYYY-MM-DD` (UTC), included.")] to: String,
    ) -> async_graphql::Result<super::stats::FunnelStats> {
        super::stats::resolve(ctx, self.0.id, &from, &to).await
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A page of a funnel (a step): its path, SEO fields, the draft being edited and the version
/// the public sees.
#[derive(Clone)]
pub struct FunnelPage(pub page::Model);

/// A page of a funnel (a step): its path, SEO fields, the draft being edited and the version
/// the public sees.
#[Object]
impl FunnelPage {
    /// The page's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::FunnelPage, self.0.id)
    }
    /// The funnel it belongs to.
    async fn funnel_id(&self) -> ID {
        gid(NodeKind::Funnel, self.0.funnel_id)
    }
    /// Its name (in the editor and a website's navigation).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Its path within the funnel: `/` or `/segments`.
    async fn path(&self) -> &str {
        &self.0.path
    }
    /// The title browser tabs and search engines show (default: the name).
    async fn seo_title(&self) -> Option<&str> {
        self.0.seo_title.as_deref()
    }
    /// The description search engines show.
    async fn seo_description(&self) -> Option<&str> {
        self.0.seo_description.as_deref()
    }
    /// The draft: a block document following `funnelPageDocumentSchema`.
    async fn draft(&self) -> Json<serde_json::Value> {
        Json(self.0.draft.clone())
    }
    /// Whether the public sees a version of it.
    async fn published(&self) -> bool {
        self.0.live_version_id.is_some()
    }
    /// The version the public sees; null when the page is offline.
    async fn live_version(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<FunnelPageVersion>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(service::publish::live(&**tx, &self.0)
            .await?
            .map(|v| FunnelPageVersion(v, self.0.live_version_id)))
    }
    /// Every published version, newest first.
    async fn versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n versions (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return versions after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n versions (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return versions before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<FunnelPageVersionConnection> {
        let (tx, _) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            service::publish::versions(&**tx, &self.0, page, wants_total_count(ctx)).await?;
        let live = self.0.live_version_id;
        Ok(FunnelPageVersionConnection::build(
            rows.into_iter()
                .map(|v| FunnelPageVersion(v, live))
                .collect(),
            info,
            total,
            |v| v.0.id,
        ))
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it (or its draft) last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A published version of a page: frozen when published, never changed. Rolling back makes an
/// earlier one live again.
#[derive(Clone)]
pub struct FunnelPageVersion(pub version::Model, pub Option<uuid::Uuid>);

/// A published version of a page: frozen when published, never changed. Rolling back makes an
/// earlier one live again.
#[Object]
impl FunnelPageVersion {
    /// The version's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::FunnelPageVersion, self.0.id)
    }
    /// The page it is a version of.
    async fn page_id(&self) -> ID {
        gid(NodeKind::FunnelPage, self.0.page_id)
    }
    /// Its number: 1 for the first publish of the page, then up by one.
    async fn number(&self) -> i32 {
        self.0.number
    }
    /// The block document as published.
    async fn document(&self) -> Json<serde_json::Value> {
        Json(self.0.document.clone())
    }
    /// The SEO title as published.
    async fn seo_title(&self) -> Option<&str> {
        self.0.seo_title.as_deref()
    }
    /// The SEO description as published.
    async fn seo_description(&self) -> Option<&str> {
        self.0.seo_description.as_deref()
    }
    /// Whether the public sees this version now.
    async fn live(&self) -> bool {
        self.1 == Some(self.0.id)
    }
    /// The user who published it (null: an API key or Canopy itself).
    async fn published_by_id(&self) -> Option<ID> {
        self.0.published_by.map(|u| gid(NodeKind::User, u))
    }
    /// When it was published.
    async fn published_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

kernel::connection_types!(FunnelConnection, FunnelEdge, Funnel, "funnels and websites");
kernel::connection_types!(
    FunnelPageVersionConnection,
    FunnelPageVersionEdge,
    FunnelPageVersion,
    "published versions of a page"
);
