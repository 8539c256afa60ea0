//! Support access: the one way a platform admin acts inside an agency. An explicit grant to
//! themselves, with a reason, for at most [`MAX_HOURS`]: an agency admin's membership that
//! ends by itself (`expires_at`), recorded as a `membership.granted` event and in the audit
//! log, listed among the agency's memberships for its admins to see and to remove early.
//! Everything done under it is audited as the admin, in the agency.

use crate::entity::{agency, membership};
use chrono::Utc;
use kernel::auth::{Actor, Permission, Role, Scope};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::{self, EventType, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

/// The longest a support grant lasts.
pub const MAX_HOURS: i64 = 24;

/// Grants the acting platform admin support access to `agency_id` for `hours` (1 to
/// [`MAX_HOURS`]), as an agency admin, for `reason`. Needs `PLATFORM_MANAGE` on the platform,
/// signed in as a person (not an API key). A grant still running is replaced (its end moved).
pub async fn grant(
    db: &impl ConnectionTrait,
    actor: &Actor,
    agency_id: Uuid,
    reason: &str,
    hours: i64,
) -> Result<membership::Model, Error> {
    let user_id = actor.require_user()?;
    actor.require(Permission::PlatformManage, Scope::Platform)?;
    let reason = reason.trim();
    let mut errors = Vec::new();
    if reason.chars().count() < 3 {
        errors.push(UserError::new(
            "input.reason",
            UserErrorCode::TooShort,
            "say why support needs access (at least 3 characters)",
        ));
    } else if reason.chars().count() > 500 {
        errors.push(UserError::new(
            "input.reason",
            UserErrorCode::TooLong,
            "a reason is at most 500 characters",
        ));
    }
    if !(1..=MAX_HOURS).contains(&hours) {
        errors.push(UserError::new(
            "input.hours",
            UserErrorCode::Invalid,
            format!("support access lasts 1 to {MAX_HOURS} hours"),
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    agency::Entity::find_by_id(agency_id)
        .one(db)
        .await?
        .filter(|a| a.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    let now = Utc::now();
    let ends = now + chrono::Duration::hours(hours);
    let existing = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::ScopeKind.eq("agency"))
        .filter(membership::Column::ScopeId.eq(agency_id))
        .one(db)
        .await?;
    let model = match existing {
        Some(m) if m.expires_at.is_none() => {
            return Err(Error::User(vec![UserError::new(
                "input.agencyId",
                UserErrorCode::Taken,
                "you are a member of this agency already",
            )]));
        }
        Some(m) => {
            let mut a: membership::ActiveModel = m.into();
            a.expires_at = Set(Some(ends));
            a.reason = Set(Some(reason.to_owned()));
            a.updated_at = Set(now);
            a.update(db).await?
        }
        None => {
            membership::ActiveModel {
                id: Set(new_uuid()),
                user_id: Set(user_id),
                scope_kind: Set("agency".to_owned()),
                scope_id: Set(agency_id),
                agency_id: Set(Some(agency_id)),
                role: Set(Role::AgencyAdmin.as_str().to_owned()),
                granted: Set(serde_json::json!([])),
                withheld: Set(serde_json::json!([])),
                all_sub_accounts: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                expires_at: Set(Some(ends)),
                reason: Set(Some(reason.to_owned())),
            }
            .insert(db)
            .await?
        }
    };
    event::record(
        db,
        actor,
        NewEvent {
            event_type: EventType::MembershipGranted,
            scope: Scope::Agency(agency_id),
            subject: (NodeKind::Membership, model.id),
            payload: serde_json::json!({
                "userId": user_id.to_string(),
                "role": model.role,
                "support": true,
                "reason": reason,
                "expiresAt": ends.to_rfc3339(),
            }),
        },
    )
    .await?;
    Ok(model)
}
