//! Tracking on a funnel's pages: a sub-account opts in (`SETTINGS_MANAGE`), then each funnel
//! names its tags (`FUNNELS_WRITE`). Turning the opt-in off takes every funnel's tags off its
//! pages at once (they are kept, and come back when it is turned on again).

use super::fail_if;
use crate::document::tracking::{Tracking, is_google_analytics_id, is_meta_pixel_id};
use crate::entity::{funnel, settings};
use chrono::Utc;
use kernel::auth::{Actor, Permission};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::{self, EventType};
use kernel::id::NodeKind;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Whether the sub-account lets its funnels' pages carry tracking.
pub async fn allowed(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
) -> Result<bool, Error> {
    Ok(settings::Entity::find_by_id((agency_id, sub_account_id))
        .one(db)
        .await?
        .is_some_and(|s| s.tracking_allowed))
}

/// Whether the sub-account (one of the request's tenant the actor may read funnels of) lets
/// its funnels carry tracking.
pub async fn allowed_in(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
) -> Result<bool, Error> {
    let at = guard::enter::<funnel::Entity>(db, actor, sub_account_id, Access::Read).await?;
    allowed(db, at.agency_id, at.sub_account_id).await
}

/// Turns tracking on a sub-account's funnel pages on or off (`SETTINGS_MANAGE` there).
pub async fn allow(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    allow: bool,
) -> Result<bool, Error> {
    let at = guard::enter::<funnel::Entity>(db, actor, sub_account_id, Access::Read).await?;
    actor.require_inside(at.scope(), &[Permission::SettingsManage])?;
    settings::Entity::insert(settings::ActiveModel {
        agency_id: Set(at.agency_id),
        sub_account_id: Set(at.sub_account_id),
        tracking_allowed: Set(allow),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([settings::Column::AgencyId, settings::Column::SubAccountId])
            .update_columns([
                settings::Column::TrackingAllowed,
                settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    event::record_in(
        db,
        actor,
        at.scope(),
        (NodeKind::SubAccount, at.sub_account_id),
        EventType::FunnelTrackingChanged,
        json!({ "allowed": allow }),
    )
    .await?;
    Ok(allow)
}

/// A funnel's tags as stored (`None`: none).
pub fn of(f: &funnel::Model) -> Option<Tracking> {
    f.tracking
        .clone()
        .and_then(|t| serde_json::from_value::<Tracking>(t).ok())
        .filter(|t| !t.is_empty())
}

/// Sets a funnel's tracking tags (`FUNNELS_WRITE`; empty ids clear them). Refused with
/// `NOT_ALLOWED` while the sub-account has not opted in.
pub async fn set(
    db: &impl ConnectionTrait,
    actor: &Actor,
    funnel_id: Uuid,
    tracking: Tracking,
) -> Result<funnel::Model, Error> {
    let f = guard::load::<funnel::Entity>(db, actor, funnel_id, Access::Write).await?;
    let blank = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let t = Tracking {
        google_analytics_id: blank(tracking.google_analytics_id),
        meta_pixel_id: blank(tracking.meta_pixel_id),
    };
    let mut errors = Vec::new();
    if t.google_analytics_id
        .as_deref()
        .is_some_and(|i| !is_google_analytics_id(i))
    {
        errors.push(UserError::new(
            "tracking.googleAnalyticsId",
            UserErrorCode::Invalid,
            "a Google Analytics 4 measurement id looks like G-XXXXXXXXXX",
        ));
    }
    if t.meta_pixel_id
        .as_deref()
        .is_some_and(|i| !is_meta_pixel_id(i))
    {
        errors.push(UserError::new(
            "tracking.metaPixelId",
            UserErrorCode::Invalid,
            "a Meta Pixel id is 6 to 20 digits",
        ));
    }
    if !t.is_empty() && !allowed(db, f.agency_id, f.sub_account_id).await? {
        errors.push(UserError::new(
            "tracking",
            UserErrorCode::NotAllowed,
            "the sub-account has not allowed tracking on its pages (funnelTrackingAllow)",
        ));
    }
    fail_if(errors)?;
    let stored = (!t.is_empty())
        .then(|| serde_json::to_value(&t))
        .transpose()
        .map_err(|e| Error::internal(e.to_string()))?;
    let mut m: funnel::ActiveModel = f.into();
    m.tracking = Set(stored);
    m.updated_at = Set(Utc::now());
    let f = m.update(db).await?;
    guard::record(
        db,
        actor,
        &f,
        EventType::FunnelUpdated,
        json!({ "name": f.name, "subdomain": f.subdomain, "tracking": !t.is_empty() }),
    )
    .await?;
    Ok(f)
}
