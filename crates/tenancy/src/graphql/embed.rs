//! Embed domains in GraphQL: the `EmbedDomain` object, `SubAccount.embedDomains`, and the
//! mutations that add and remove them.

use crate::entity::embed_domain;
use crate::service::embed_domain as service;
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind, gid};
use kernel::payload;

/// A host whose web pages may call the sub-account's public endpoints (a form's submissions)
/// from the browser: Canopy answers their cross-origin requests (CORS). A funnel's own
/// subdomain and custom domains need no entry.
pub struct EmbedDomain(pub embed_domain::Model);

/// A host whose web pages may call the sub-account's public endpoints (a form's submissions)
/// from the browser: Canopy answers their cross-origin requests (CORS). A funnel's own
/// subdomain and custom domains need no entry.
#[Object]
impl EmbedDomain {
    /// The global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::EmbedDomain, self.0.id)
    }
    /// The host, such as `www.example.com` (lower case, no scheme or port). Only this exact
    /// host is allowed; list each subdomain you embed on.
    async fn host(&self) -> &str {
        &self.0.host
    }
    /// The sub-account it belongs to.
    async fn sub_account_id(&self) -> ID {
        gid(NodeKind::SubAccount, self.0.sub_account_id)
    }
    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

payload!(EmbedDomainPayload, embed_domain: EmbedDomain, "The embed domain.");

/// Embed domain mutations.
#[derive(Default)]
pub struct EmbedDomainMutation;

#[Object]
impl EmbedDomainMutation {
    /// Lets web pages on `host` call the sub-account's public endpoints from the browser
    /// (`SETTINGS_MANAGE`; at most 50 per sub-account). `TAKEN` when it is listed already.
    async fn embed_domain_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "The host, such as `www.example.com`.")] host: String,
    ) -> async_graphql::Result<EmbedDomainPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        service::add(&**tx, &rc.actor, sub, &host)
            .await
            .map(EmbedDomain)
            .into_payload()
    }

    /// Stops web pages on the domain's host from calling the sub-account's public endpoints
    /// (`SETTINGS_MANAGE`).
    async fn embed_domain_remove(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The embed domain's global id.")] id: ID,
    ) -> async_graphql::Result<EmbedDomainPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::EmbedDomain)?;
        service::remove(&**tx, &rc.actor, id)
            .await
            .map(EmbedDomain)
            .into_payload()
    }
}
