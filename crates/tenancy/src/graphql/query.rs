//! The tenancy crate's query root.

use super::types::{
    Agency, AgencyConnection, Invitation, InvitationConnection, MembershipConnection,
    MembershipObject, Reseller, ResellerConnection,
};
use crate::service;
use async_graphql::{Context, ID, Object};
use kernel::connection::{Page, wants_total_count};

/// Tenancy queries.
#[derive(Default)]
pub struct TenancyQuery;

#[Object]
impl TenancyQuery {
    /// The agencies you can see, oldest first: all of them for platform admins, a reseller's
    /// for its staff, your own for agency and sub-account members.
    async fn agencies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n agencies (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return agencies after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n agencies (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return agencies before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<AgencyConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            service::agency::list(&**tx, &rc.actor, None, page, wants_total_count(ctx)).await?;
        Ok(AgencyConnection::build(
            rows.into_iter().map(Agency).collect(),
            info,
            total,
            |a| a.0.id,
        ))
    }

    /// The resellers you can see, oldest first: all of them for platform admins, your own for
    /// reseller staff.
    async fn resellers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n resellers (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return resellers after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n resellers (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return resellers before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ResellerConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            service::reseller::list(&**tx, &rc.actor, page, wants_total_count(ctx)).await?;
        Ok(ResellerConnection::build(
            rows.into_iter().map(Reseller).collect(),
            info,
            total,
            |r| r.0.id,
        ))
    }

    /// The pending invitations of a scope (platform, reseller, agency or sub-account), oldest
    /// first. Needs `MEMBERS_MANAGE` there.
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the scope.")] scope_id: ID,
        #[graphql(desc = "Return the first n invitations (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return invitations after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n invitations (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return invitations before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<InvitationConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &scope_id).await?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            service::invitation::list(&**tx, &rc.actor, scope, page, wants_total_count(ctx))
                .await?;
        Ok(InvitationConnection::build(
            rows.into_iter().map(Invitation).collect(),
            info,
            total,
            |i| i.0.id,
        ))
    }

    /// The brand a host shows (a custom domain, a white-label domain, `<subdomain>.<platform
    /// domain>`, or the platform's domain), for pages shown before signing in. Null for a host
    /// Canopy does not serve. No sign-in needed.
    async fn branding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The host name the page was reached at, such as `crm.example.com`.")]
        host: String,
    ) -> async_graphql::Result<Option<super::types::Brand>> {
        let (tx, _) = kernel::db::request(ctx)?;
        let platform = ctx
            .data::<service::branding::PlatformBrand>()
            .map_err(|_| kernel::Error::internal("platform brand missing from the schema"))?;
        Ok(service::branding::for_host(&**tx, platform, &host)
            .await?
            .map(Into::into))
    }

    /// The members of a scope (platform, reseller, agency or sub-account), oldest first. Needs
    /// `MEMBERS_MANAGE` there.
    async fn memberships(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the scope.")] scope_id: ID,
        #[graphql(desc = "Return the first n memberships (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return memberships after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n memberships (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return memberships before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<MembershipConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &scope_id).await?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            service::membership::list(&**tx, &rc.actor, scope, page, wants_total_count(ctx))
                .await?;
        Ok(MembershipConnection::build(
            rows.into_iter()
                .map(|(m, u)| MembershipObject(m, u))
                .collect(),
            info,
            total,
            |m| m.0.id,
        ))
    }

    /// Your own memberships: where you work and as what. Empty when not signed in as a user.
    async fn viewer_memberships(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<MembershipObject>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let Some(user_id) = rc.actor.user_id() else {
            return Ok(Vec::new());
        };
        let me = identity::service::user::get(&**tx, &rc.actor, user_id).await?;
        Ok(service::membership::mine(&**tx, &rc.actor)
            .await?
            .into_iter()
            .map(|m| MembershipObject(m, me.clone()))
            .collect())
    }
}
