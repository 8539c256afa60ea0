//! Memberships: who holds which role where.

use crate::entity::membership;
use chrono::Utc;
use kernel::auth::{Actor, Membership, Permission, PermissionSet, Role, Scope, ScopeKind};
use kernel::error::Error;
use kernel::event::{self, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

fn to_membership(m: membership::Model) -> Option<Membership> {
    let kind = ScopeKind::parse(&m.scope_kind)?;
    let scope = Scope::from_parts(
        kind,
        (kind != ScopeKind::Platform).then_some(m.scope_id),
        m.agency_id,
    )?;
    let names = |v: serde_json::Value| -> PermissionSet {
        PermissionSet::from_names(&serde_json::from_value::<Vec<String>>(v).unwrap_or_default())
    };
    Some(Membership {
        id: m.id,
        scope,
        role: Role::parse(&m.role)?,
        granted: names(m.granted),
        withheld: names(m.withheld),
        all_sub_accounts: m.all_sub_accounts,
    })
}

/// Every membership of a user: what the gateway puts into the request's [`Actor`].
pub async fn memberships_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<Membership>, Error> {
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(to_membership).collect())
}

/// Gives `user_id` the role `role` in `scope` (replacing a role they held there). The actor
/// needs `MEMBERS_MANAGE` in the scope and may not give a role above their own.
pub async fn grant(
    db: &impl ConnectionTrait,
    actor: &Actor,
    user_id: Uuid,
    scope: Scope,
    role: Role,
) -> Result<Membership, Error> {
    if role.scope_kind() != scope.kind() {
        return Err(Error::bad_input(
            Some("role"),
            format!(
                "{} is not a role of a {} scope",
                role.as_str(),
                scope.kind().as_str()
            ),
        ));
    }
    actor.require(Permission::MembersManage, scope)?;
    let scope_id = scope.id().unwrap_or(kernel::id::PLATFORM_ID);
    let existing = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::ScopeKind.eq(scope.kind().as_str()))
        .filter(membership::Column::ScopeId.eq(scope_id))
        .one(db)
        .await?;
    if actor.principal != kernel::Principal::System {
        // Nobody changes their own role, gives a role above their own, or changes the role of
        // someone who ranks above them.
        let own = actor.role_at(scope).map_or(0, Role::rank);
        let theirs = existing
            .as_ref()
            .and_then(|m| Role::parse(&m.role))
            .map_or(0, Role::rank);
        if actor.user_id() == Some(user_id) || role.rank() > own || theirs > own {
            return Err(Error::Forbidden);
        }
    }
    upsert_membership(db, actor, user_id, scope, role).await
}

/// Gives `user_id` the role in `scope`, replacing a role they held there, without checking the
/// actor (callers have: creating an agency makes its owner). Records `membership.granted`.
pub(crate) async fn upsert_membership(
    db: &impl ConnectionTrait,
    actor: &Actor,
    user_id: Uuid,
    scope: Scope,
    role: Role,
) -> Result<Membership, Error> {
    let scope_id = scope.id().unwrap_or(kernel::id::PLATFORM_ID);
    let existing = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::ScopeKind.eq(scope.kind().as_str()))
        .filter(membership::Column::ScopeId.eq(scope_id))
        .one(db)
        .await?;
    let now = Utc::now();
    let model = match existing {
        Some(m) => {
            let mut a: membership::ActiveModel = m.into();
            a.role = Set(role.as_str().to_owned());
            a.updated_at = Set(now);
            a.update(db).await?
        }
        None => {
            membership::ActiveModel {
                id: Set(new_uuid()),
                user_id: Set(user_id),
                scope_kind: Set(scope.kind().as_str().to_owned()),
                scope_id: Set(scope_id),
                agency_id: Set(scope.agency_id()),
                role: Set(role.as_str().to_owned()),
                granted: Set(serde_json::json!([])),
                withheld: Set(serde_json::json!([])),
                all_sub_accounts: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?
        }
    };
    event::record(
        db,
        actor,
        NewEvent {
            event_type: "membership.granted",
            scope,
            subject: (NodeKind::Membership, model.id),
            payload: serde_json::json!({ "userId": user_id.to_string(), "role": role.as_str() }),
        },
    )
    .await?;
    to_membership(model).ok_or_else(|| Error::internal("membership row did not read back"))
}
