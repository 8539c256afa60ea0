//! The funnels crate's mutation root.

use super::types::{Funnel, FunnelPage, FunnelPageVersion, Settings};
use crate::entity::FunnelKind;
use crate::service::funnel::FunnelFields;
use crate::service::page::PageFields;
use crate::service::{funnel, page, publish};
use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind, gid};
use kernel::payload;

/// Funnel, page and publishing mutations.
#[derive(Default)]
pub struct FunnelEditMutation;

payload!(FunnelPayload, funnel: Funnel, "The funnel.");
payload!(FunnelPagePayload, page: FunnelPage, "The page.");
payload!(FunnelDeletePayload, deleted_id: ID, "The deleted object's global id.");

/// The result of publishing or rolling back: the page and the version now live.
#[derive(SimpleObject)]
pub struct FunnelPublishPayload {
    /// The page. Null when `userErrors` is not empty.
    pub page: Option<FunnelPage>,
    /// The version the public now sees. Null when `userErrors` is not empty.
    pub version: Option<FunnelPageVersion>,
    /// Problems with the input that a person can fix; empty on success.
    pub user_errors: Vec<kernel::UserError>,
}

impl kernel::error::Payload for FunnelPublishPayload {
    type Value = (FunnelPage, FunnelPageVersion);
    fn ok((page, version): Self::Value) -> Self {
        Self {
            page: Some(page),
            version: Some(version),
            user_errors: Vec::new(),
        }
    }
    fn user_errors(errors: Vec<kernel::UserError>) -> Self {
        Self {
            page: None,
            version: None,
            user_errors: errors,
        }
    }
}

/// Input of `funnelCreate`.
#[derive(InputObject)]
pub struct FunnelCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// A funnel or a website.
    pub kind: FunnelKind,
    /// The name (1 to 100 characters).
    pub name: String,
    /// The subdomain under the sites' domain: 3 to 63 letters, digits and inner hyphens,
    /// unique on the platform.
    pub subdomain: String,
    /// The favicon's URL (http(s) or a path).
    pub favicon_url: Option<String>,
}

/// Input of `funnelUpdate`: omitted members stay as they are.
#[derive(InputObject)]
pub struct FunnelUpdateInput {
    /// The name.
    pub name: Option<String>,
    /// The subdomain (the old one stops serving at once).
    pub subdomain: Option<String>,
    /// The favicon's URL; an empty string clears it.
    pub favicon_url: Option<String>,
}

/// Input of `funnelClone`.
#[derive(InputObject)]
pub struct FunnelCloneInput {
    /// The sub-account the copy goes to (of the same agency); null: the funnel's own.
    pub sub_account_id: Option<ID>,
    /// The copy's name (1 to 100 characters).
    pub name: String,
    /// The copy's subdomain, unique on the platform.
    pub subdomain: String,
}

/// Input of `funnelPageCreate`.
#[derive(InputObject)]
pub struct FunnelPageCreateInput {
    /// The funnel.
    pub funnel_id: ID,
    /// The name (1 to 100 characters).
    pub name: String,
    /// The path: `/` or `/segments` of letters, digits, `-` and `_`; unique in the funnel.
    pub path: String,
    /// The title browser tabs and search engines show (up to 200 characters).
    pub seo_title: Option<String>,
    /// The description search engines show (up to 500 characters).
    pub seo_description: Option<String>,
    /// Put it after this page of the funnel; null: at the end.
    pub after_page_id: Option<ID>,
}

/// Input of `funnelPageUpdate`: omitted members stay as they are; an empty SEO text clears it.
#[derive(InputObject)]
pub struct FunnelPageUpdateInput {
    /// The name.
    pub name: Option<String>,
    /// The path (a published page moves to it at once).
    pub path: Option<String>,
    /// The SEO title (shown publicly from the next publish).
    pub seo_title: Option<String>,
    /// The SEO description (shown publicly from the next publish).
    pub seo_description: Option<String>,
}

fn id_of(id: &ID, kind: NodeKind) -> Result<uuid::Uuid, kernel::Error> {
    GlobalId::parse_as(id, kind)
}

fn published(
    r: Result<(crate::entity::page::Model, crate::entity::version::Model), kernel::Error>,
) -> Result<(FunnelPage, FunnelPageVersion), kernel::Error> {
    r.map(|(p, v)| {
        let live = p.live_version_id;
        (FunnelPage(p), FunnelPageVersion(v, live))
    })
}

#[Object]
impl FunnelEditMutation {
    /// Creates a funnel or website with one empty page at `/` (`FUNNELS_WRITE`; at most 500
    /// per sub-account). `TAKEN` when another funnel on the platform has the subdomain.
    async fn funnel_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The funnel.")] input: FunnelCreateInput,
    ) -> async_graphql::Result<FunnelPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        let fields = FunnelFields {
            name: Some(input.name),
            subdomain: Some(input.subdomain),
            favicon_url: input.favicon_url,
        };
        funnel::create(&**tx, &rc.actor, sub, input.kind, fields)
            .await
            .map(Funnel)
            .into_payload()
    }

    /// Changes a funnel's name, subdomain or favicon (`FUNNELS_WRITE`).
    async fn funnel_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The funnel's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: FunnelUpdateInput,
    ) -> async_graphql::Result<FunnelPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let fields = FunnelFields {
            name: input.name,
            subdomain: input.subdomain,
            favicon_url: input.favicon_url,
        };
        funnel::update(&**tx, &rc.actor, id_of(&id, NodeKind::Funnel)?, fields)
            .await
            .map(Funnel)
            .into_payload()
    }

    /// Deletes a funnel with its pages and versions; its site goes offline (`FUNNELS_WRITE`).
    async fn funnel_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The funnel's global id.")] id: ID,
    ) -> async_graphql::Result<FunnelDeletePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        funnel::delete(&**tx, &rc.actor, id_of(&id, NodeKind::Funnel)?)
            .await
            .map(|id| gid(NodeKind::Funnel, id))
            .into_payload()
    }

    /// Copies a funnel into its own sub-account or another of the same agency (reading the
    /// funnel, and `FUNNELS_WRITE` where the copy goes): its pages with their names, paths,
    /// order, SEO fields and drafts. The copy starts unpublished and without custom domains.
    async fn funnel_clone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The funnel's global id.")] id: ID,
        #[graphql(desc = "The copy.")] input: FunnelCloneInput,
    ) -> async_graphql::Result<FunnelPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = input
            .sub_account_id
            .as_ref()
            .map(|s| id_of(s, NodeKind::SubAccount))
            .transpose()?;
        let fields = FunnelFields {
            name: Some(input.name),
            subdomain: Some(input.subdomain),
            favicon_url: None,
        };
        crate::service::clone::clone(&**tx, &rc.actor, id_of(&id, NodeKind::Funnel)?, sub, fields)
            .await
            .map(Funnel)
            .into_payload()
    }

    /// Serves a funnel at a custom domain too (`FUNNELS_WRITE`; at most 10). Point the
    /// domain's DNS at Canopy. `TAKEN` when another funnel has it; `NOT_ALLOWED` under the
    /// platform's own domains.
    async fn funnel_domain_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The funnel's global id.")] funnel_id: ID,
        #[graphql(desc = "The domain, such as `shop.example.com`.")] host: String,
    ) -> async_graphql::Result<FunnelPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let reserved: Vec<String> = ctx
            .data_opt::<Settings>()
            .map(|s| s.reserved_domains.clone())
            .unwrap_or_default();
        let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
        funnel::add_domain(
            &**tx,
            &rc.actor,
            &reserved,
            id_of(&funnel_id, NodeKind::Funnel)?,
            &host,
        )
        .await
        .map(Funnel)
        .into_payload()
    }

    /// Stops serving a funnel at a custom domain (`FUNNELS_WRITE`).
    async fn funnel_domain_remove(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The funnel's global id.")] funnel_id: ID,
        #[graphql(desc = "The domain.")] host: String,
    ) -> async_graphql::Result<FunnelPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        funnel::remove_domain(
            &**tx,
            &rc.actor,
            id_of(&funnel_id, NodeKind::Funnel)?,
            &host,
        )
        .await
        .map(Funnel)
        .into_payload()
    }

    /// Adds a page (a step) to a funnel, with an empty draft (`FUNNELS_WRITE`; at most 100).
    /// `TAKEN` on `input.path` when another page of the funnel has the path.
    async fn funnel_page_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The page.")] input: FunnelPageCreateInput,
    ) -> async_graphql::Result<FunnelPagePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let f = id_of(&input.funnel_id, NodeKind::Funnel)?;
        let after = input
            .after_page_id
            .as_ref()
            .map(|a| id_of(a, NodeKind::FunnelPage))
            .transpose()?;
        let fields = PageFields {
            name: Some(input.name),
            path: Some(input.path),
            seo_title: input.seo_title,
            seo_description: input.seo_description,
        };
        page::create(&**tx, &rc.actor, f, fields, after)
            .await
            .map(FunnelPage)
            .into_payload()
    }

    /// Changes a page's name, path or SEO fields (`FUNNELS_WRITE`).
    async fn funnel_page_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The page's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: FunnelPageUpdateInput,
    ) -> async_graphql::Result<FunnelPagePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let fields = PageFields {
            name: input.name,
            path: input.path,
            seo_title: input.seo_title,
            seo_description: input.seo_description,
        };
        page::update(&**tx, &rc.actor, id_of(&id, NodeKind::FunnelPage)?, fields)
            .await
            .map(FunnelPage)
            .into_payload()
    }

    /// Moves a page after another of its funnel, or first (`FUNNELS_WRITE`).
    async fn funnel_page_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The page's global id.")] id: ID,
        #[graphql(desc = "Put it after this page; null: first.")] after_page_id: Option<ID>,
    ) -> async_graphql::Result<FunnelPagePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let after = after_page_id
            .as_ref()
            .map(|a| id_of(a, NodeKind::FunnelPage))
            .transpose()?;
        page::reorder(&**tx, &rc.actor, id_of(&id, NodeKind::FunnelPage)?, after)
            .await
            .map(FunnelPage)
            .into_payload()
    }

    /// Deletes a page and its versions (`FUNNELS_WRITE`). A funnel keeps at least one page.
    async fn funnel_page_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The page's global id.")] id: ID,
    ) -> async_graphql::Result<FunnelDeletePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        page::delete(&**tx, &rc.actor, id_of(&id, NodeKind::FunnelPage)?)
            .await
            .map(|id| gid(NodeKind::FunnelPage, id))
            .into_payload()
    }

    /// Replaces a page's draft (`FUNNELS_WRITE`). The document must follow
    /// `funnelPageDocumentSchema`: an unknown block type or field, a `javascript:` or `data:`
    /// link, or a block past the limits is an `INVALID` user error whose field ends with the
    /// block's path. Custom HTML is saved cleaned of scripts, styles, event handlers and unsafe
    /// URLs; the returned draft shows what was kept. The public page is unchanged until
    /// `funnelPagePublish`.
    async fn funnel_page_save_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The page's global id.")] id: ID,
        #[graphql(desc = "The block document.")] document: Json<serde_json::Value>,
    ) -> async_graphql::Result<FunnelPagePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        page::save_draft(
            &**tx,
            &rc.actor,
            id_of(&id, NodeKind::FunnelPage)?,
            document.0,
        )
        .await
        .map(FunnelPage)
        .into_payload()
    }

    /// Publishes a page's draft as a new immutable version, live at once (`FUNNELS_PUBLISH`).
    async fn funnel_page_publish(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The page's global id.")] id: ID,
    ) -> async_graphql::Result<FunnelPublishPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        published(publish::publish(&**tx, &rc.actor, id_of(&id, NodeKind::FunnelPage)?).await)
            .into_payload()
    }

    /// Makes an earlier (or later) published version of a page live again
    /// (`FUNNELS_PUBLISH`). Nothing is copied: the page points at that version.
    async fn funnel_page_rollback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The version's global id.")] version_id: ID,
    ) -> async_graphql::Result<FunnelPublishPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let v = id_of(&version_id, NodeKind::FunnelPageVersion)?;
        published(publish::rollback(&**tx, &rc.actor, v).await).into_payload()
    }

    /// Takes a page offline; its versions stay (`FUNNELS_PUBLISH`).
    async fn funnel_page_unpublish(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The page's global id.")] id: ID,
    ) -> async_graphql::Result<FunnelPagePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        publish::unpublish(&**tx, &rc.actor, id_of(&id, NodeKind::FunnelPage)?)
            .await
            .map(FunnelPage)
            .into_payload()
    }
}
