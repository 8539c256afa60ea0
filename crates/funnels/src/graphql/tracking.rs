//! Tracking tags in GraphQL: a sub-account's opt-in and a funnel's tags.

use super::mutation::FunnelPayload;
use super::types::Funnel;
use crate::document::tracking::Tracking;
use crate::service::tracking;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind};

/// A funnel's analytics tags: ids only, rendered by Canopy (no pasted code), and only while
/// the sub-account allows tracking.
#[derive(SimpleObject, Clone)]
pub struct FunnelTracking {
    /// The Google Analytics 4 measurement id (`G-XXXXXXXXXX`).
    pub google_analytics_id: Option<String>,
    /// The Meta (Facebook) Pixel id.
    pub meta_pixel_id: Option<String>,
}

impl From<Tracking> for FunnelTracking {
    fn from(t: Tracking) -> Self {
        Self {
            google_analytics_id: t.google_analytics_id,
            meta_pixel_id: t.meta_pixel_id,
        }
    }
}

/// Input of `funnelTrackingSet`: the tags (absent or empty: none).
#[derive(InputObject)]
pub struct FunnelTrackingInput {
    /// A Google Analytics 4 measurement id (`G-` and 4 to 18 capital letters and digits).
    pub google_analytics_id: Option<String>,
    /// A Meta (Facebook) Pixel id (6 to 20 digits).
    pub meta_pixel_id: Option<String>,
}

/// The result of `funnelTrackingAllow`.
#[derive(SimpleObject)]
pub struct FunnelTrackingAllowPayload {
    /// Whether the sub-account's pages may now carry tracking. Null when `userErrors` is not
    /// empty.
    pub allowed: Option<bool>,
    /// Problems with the input that a person can fix; empty on success.
    pub user_errors: Vec<kernel::UserError>,
}

impl kernel::error::Payload for FunnelTrackingAllowPayload {
    type Value = bool;
    fn ok(allowed: bool) -> Self {
        Self {
            allowed: Some(allowed),
            user_errors: Vec::new(),
        }
    }
    fn user_errors(errors: Vec<kernel::UserError>) -> Self {
        Self {
            allowed: None,
            user_errors: errors,
        }
    }
}

/// Tracking queries.
#[derive(Default)]
pub struct TrackingQuery;

#[Object]
impl TrackingQuery {
    /// Whether a sub-account (of the agency you act in) lets its funnels' pages carry tracking
    /// tags. Needs `FUNNELS_READ` there.
    async fn funnel_tracking_allowed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
    ) -> async_graphql::Result<bool> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(tracking::allowed_in(&**tx, &rc.actor, sub).await?)
    }
}

/// Tracking mutations.
#[derive(Default)]
pub struct TrackingMutation;

#[Object]
impl TrackingMutation {
    /// Lets a sub-account's funnel pages carry tracking tags, or stops them (`SETTINGS_MANAGE`
    /// there). Off by default: analytics scripts are third-party code on the sub-account's
    /// pages, so its settings manager opts in. Turning it off takes every funnel's tags off
    /// the public pages at once (the funnels keep them).
    async fn funnel_tracking_allow(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Whether its pages may carry tracking tags.")] allowed: bool,
    ) -> async_graphql::Result<FunnelTrackingAllowPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        tracking::allow(&**tx, &rc.actor, sub, allowed)
            .await
            .into_payload()
    }

    /// Sets a funnel's tracking tags (`FUNNELS_WRITE`): a Google Analytics 4 id and a Meta
    /// Pixel id, each checked for its shape; the pages carry them at once, with a
    /// `Content-Security-Policy` that lets through Canopy's tag scripts (by hash, with
    /// `'strict-dynamic'` for the loaders they add), and still no script from page content. `NOT_ALLOWED` while the
    /// sub-account has not allowed tracking (`funnelTrackingAllow`).
    async fn funnel_tracking_set(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The funnel's global id.")] id: ID,
        #[graphql(desc = "The tags (absent or empty ids: none).")] tracking: FunnelTrackingInput,
    ) -> async_graphql::Result<FunnelPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let t = Tracking {
            google_analytics_id: tracking.google_analytics_id,
            meta_pixel_id: tracking.meta_pixel_id,
        };
        tracking::set(
            &**tx,
            &rc.actor,
            GlobalId::parse_as(&id, NodeKind::Funnel)?,
            t,
        )
        .await
        .map(Funnel)
        .into_payload()
    }
}
