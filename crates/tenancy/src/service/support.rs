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
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

/// The longest a support grant lasts.
pub const MAX_HOURS: i64 = 24;

/// The job that removes ended grants, every minute.
pub const EXPIRY: &str = "tenancy.support_expiry";

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
            // A grant is always an agency admin's, whatever an earlier one was changed to.
            let mut a: membership::ActiveModel = m.into();
            a.role = Set(Role::AgencyAdmin.as_str().to_owned());
            a.granted = Set(serde_json::json!([]));
            a.withheld = Set(serde_json::json!([]));
            a.all_sub_accounts = Set(true);
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

/// Most ended grants one run removes (the next run takes the rest).
const EXPIRE_BATCH: u64 = 500;

/// Removes ended support grants, each with a `membership.removed` event in its agency, so that
/// every replica's credential cache and every live subscription of the admin hear that it
/// ended (requests already refuse an ended grant: memberships leave them out). How many.
pub async fn expire(db: &DatabaseConnection) -> Result<u64, Error> {
    let ended = membership::Entity::find()
        .filter(membership::Column::ExpiresAt.lte(Utc::now()))
        .limit(EXPIRE_BATCH)
        .all(db)
        .await?;
    let mut removed = 0;
    for m in ended {
        let Some(agency_id) = m.agency_id else {
            continue;
        };
        let txn = db.begin().await?;
        kernel::db::set_tenant(&txn, kernel::db::TenantGuard::Agency(agency_id)).await?;
        let gone = membership::Entity::delete_many()
            .filter(membership::Column::Id.eq(m.id))
            .filter(membership::Column::ExpiresAt.lte(Utc::now()))
            .exec(&txn)
            .await?
            .rows_affected;
        if gone == 1 {
            event::record(
                &txn,
                &Actor::system(),
                NewEvent {
                    event_type: EventType::MembershipRemoved,
                    scope: Scope::Agency(agency_id),
                    subject: (NodeKind::Membership, m.id),
                    payload: serde_json::json!({
                        "userId": m.user_id.to_string(),
                        "support": true,
                        "ended": true,
                    }),
                },
            )
            .await?;
            removed += 1;
        }
        txn.commit().await?;
    }
    Ok(removed)
}

/// Registers [`expire`], every minute.
pub fn register(registry: &mut jobs::Registry) {
    registry.on(EXPIRY, jobs::Backoff::default(), |run| async move {
        expire(&run.db)
            .await
            .map(|n| serde_json::json!({ "removed": n }))
            .map_err(|e| jobs::JobError::Retry(e.operator_message()))
    });
    registry.every(jobs::Recurring {
        name: EXPIRY,
        cron: "* * * * *",
        timezone: "UTC",
        kind: EXPIRY,
        payload: serde_json::json!({}),
    });
}
