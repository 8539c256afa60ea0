//! Memberships: who holds which role where.

use crate::entity::membership;
use chrono::Utc;
use kernel::auth::{Actor, Membership, Permission, PermissionSet, Role, Scope, ScopeKind};
use kernel::error::Error;
use kernel::event::EventType;
use kernel::event::{self, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

fn to_membership(m: membership::Model) -> Option<Membership> {
    Some(Membership {
        id: m.id,
        scope: Scope::from_stored(&m.scope_kind, m.scope_id, m.agency_id)?,
        role: Role::parse(&m.role)?,
        granted: PermissionSet::from_json(&m.granted),
        withheld: PermissionSet::from_json(&m.withheld),
        all_sub_accounts: m.all_sub_accounts,
    })
}

/// Whether a user may do `permission` in `scope` by their memberships now: for people a change
/// names (an owner, an assignee, whom to remind), who must work where the object is.
pub async fn user_can(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    permission: Permission,
    scope: Scope,
) -> Result<bool, Error> {
    let member = Actor {
        principal: kernel::Principal::User {
            user_id,
            session_id: Uuid::nil(),
        },
        memberships: memberships_of(db, user_id).await?,
        tenant: scope.agency_id(),
    };
    Ok(member.can(permission, scope))
}

/// Every membership of a user, in every scope (row-level security is opened to that user's
/// memberships for the rest of the transaction: `kernel::db::Opening::MemberOf`).
pub async fn memberships_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<Membership>, Error> {
    kernel::db::open(db, kernel::db::Opening::MemberOf(user_id)).await?;
    visible_memberships_of(db, user_id).await
}

/// The memberships of a user that the transaction sees already, with no opening: in the
/// tenant, that user's memberships there (enough to tell whether they belong to it); after
/// `Opening::User` or `MemberOf`, all of them.
pub async fn visible_memberships_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<Membership>, Error> {
    Ok(visible_memberships_until(db, user_id).await?.0)
}

/// As [`visible_memberships_of`], with when the first of them ends (a support grant's expiry),
/// if one does. Ended support grants are left out.
pub async fn visible_memberships_until(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<(Vec<Membership>, Option<chrono::DateTime<Utc>>), Error> {
    let now = Utc::now();
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(live())
        .all(db)
        .await?;
    let until = rows.iter().filter_map(|m| m.expires_at).min();
    Ok((
        rows.into_iter().filter_map(to_membership).collect(),
        until.filter(|t| *t > now),
    ))
}

/// Memberships in force: ordinary ones, and support grants not ended.
pub fn live() -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(membership::Column::ExpiresAt.is_null())
        .add(membership::Column::ExpiresAt.gt(Utc::now()))
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
    // An ended support grant ranks nothing (the row is reused, made ordinary, below).
    let ended = existing
        .as_ref()
        .is_some_and(|m| m.expires_at.is_some_and(|t| t <= Utc::now()));
    if actor.principal != kernel::Principal::System {
        // Nobody changes their own role, gives a role above their own, or changes the role of
        // someone who ranks above them.
        let own = actor.role_at(scope).map_or(0, Role::rank);
        let theirs = existing
            .as_ref()
            .filter(|_| !ended)
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
            // An ordinary grant makes a support grant an ordinary membership.
            a.expires_at = Set(None);
            a.reason = Set(None);
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
                expires_at: Set(None),
                reason: Set(None),
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
            scope,
            subject: (NodeKind::Membership, model.id),
            payload: serde_json::json!({ "userId": user_id.to_string(), "role": role.as_str() }),
        },
    )
    .await?;
    to_membership(model).ok_or_else(|| Error::internal("membership row did not read back"))
}

/// A membership row with its member.
pub type MemberRow = (membership::Model, identity::entity::user::Model);

/// The scope of a stored membership.
pub fn scope_of(m: &membership::Model) -> Result<Scope, Error> {
    to_membership(m.clone())
        .map(|x| x.scope)
        .ok_or_else(|| Error::internal(format!("membership {} is malformed", m.id)))
}

/// A membership the actor may manage (with its member), else `NOT_FOUND` / `FORBIDDEN`.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<MemberRow, Error> {
    actor.require_authenticated()?;
    let row = membership::Entity::find_by_id(id)
        .find_also_related(identity::entity::user::Entity)
        .one(db)
        .await?;
    let (m, u) = match row {
        Some((m, Some(u))) => (m, u),
        _ => return Err(Error::NotFound),
    };
    // Members may see their own membership; managers every membership of their scope.
    if actor.user_id() != Some(m.user_id) {
        actor.require_in(scope_of(&m)?, &[Permission::MembersManage])?;
    }
    Ok((m, u))
}

/// Changes to a membership; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct MembershipChanges {
    /// A new role (of the same kind of scope).
    pub role: Option<Role>,
    /// Permissions added to the role's defaults (replaces the list).
    pub granted: Option<Vec<Permission>>,
    /// Permissions taken from the role's defaults (replaces the list).
    pub withheld: Option<Vec<Permission>>,
    /// For agency members: reach every sub-account.
    pub all_sub_accounts: Option<bool>,
}

/// Whether the actor may change (or remove) someone's membership at `scope` holding `theirs`:
/// not their own, and only for someone ranking no higher than themselves.
fn outranks(actor: &Actor, user_id: Uuid, scope: Scope, theirs: Role) -> Result<(), Error> {
    if actor.principal == kernel::Principal::System {
        return Ok(());
    }
    // People manage people: an API key never changes memberships (nor its owner's).
    let me = actor.require_user()?;
    if me == user_id || theirs.rank() > actor.rank_at(scope) {
        return Err(Error::Forbidden);
    }
    Ok(())
}

fn effective(role: Role, granted: PermissionSet, withheld: PermissionSet) -> PermissionSet {
    role.default_permissions().union(granted).minus(withheld)
}

/// Locks the target membership and the actor's own (in id order, so two managers acting on each
/// other cannot deadlock), then checks the rank rule again on what is locked: of two owners
/// demoting each other at once, the second sees the first's change.
async fn lock_and_recheck(
    db: &impl ConnectionTrait,
    actor: &Actor,
    target: Uuid,
    scope: Scope,
) -> Result<Role, Error> {
    use sea_orm::{QueryOrder, QuerySelect};
    let me = actor.require_user()?;
    let rows = membership::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(membership::Column::Id.eq(target))
                .add(membership::Column::UserId.eq(me)),
        )
        .order_by_asc(membership::Column::Id)
        .lock_exclusive()
        .all(db)
        .await?;
    let current = rows
        .iter()
        .find(|m| m.id == target)
        .and_then(|m| Role::parse(&m.role))
        .ok_or(Error::NotFound)?;
    let fresh = Actor {
        principal: actor.principal.clone(),
        memberships: rows
            .into_iter()
            .filter(|m| m.user_id == me)
            .filter_map(to_membership)
            .collect(),
        tenant: actor.tenant,
    };
    if !fresh.can(Permission::MembersManage, scope) {
        return Err(Error::Forbidden);
    }
    outranks(&fresh, Uuid::nil(), scope, current)?;
    Ok(current)
}

/// Changes a membership's role, single permissions or sub-account reach.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    id: Uuid,
    ch: MembershipChanges,
) -> Result<MemberRow, Error> {
    use kernel::error::UserErrorCode;
    let (m, u) = get(db, actor, id).await?;
    let scope = scope_of(&m)?;
    actor.require_in(scope, &[Permission::MembersManage])?;
    kernel::db::enter_scope(db, actor, scope).await?;
    let current = Role::parse(&m.role).ok_or_else(|| Error::internal("bad role"))?;
    outranks(actor, m.user_id, scope, current)?;
    let mut errors = Vec::new();
    if let Some(r) = ch.role {
        if r.scope_kind() != scope.kind() {
            errors.push(kernel::UserError::new(
                "input.role",
                UserErrorCode::Invalid,
                "this role belongs to another kind of scope",
            ));
        } else if actor.principal != kernel::Principal::System && r.rank() > actor.rank_at(scope) {
            errors.push(kernel::UserError::new(
                "input.role",
                UserErrorCode::NotAllowed,
                "you cannot give a role above your own",
            ));
        }
    }
    // Whatever the change gives beyond what the member had must be the actor's to give.
    let before = effective(
        current,
        PermissionSet::from_json(&m.granted),
        PermissionSet::from_json(&m.withheld),
    );
    let after = effective(
        ch.role.unwrap_or(current),
        ch.granted.as_ref().map_or_else(
            || PermissionSet::from_json(&m.granted),
            |g| g.iter().copied().collect(),
        ),
        ch.withheld.as_ref().map_or_else(
            || PermissionSet::from_json(&m.withheld),
            |w| w.iter().copied().collect(),
        ),
    );
    if actor.principal != kernel::Principal::System
        && !actor
            .permissions_in(scope)
            .contains_all(after.minus(before))
    {
        errors.push(kernel::UserError::new(
            "input.grant",
            UserErrorCode::NotAllowed,
            "you cannot give a permission you do not hold here",
        ));
    }
    if ch.all_sub_accounts.is_some() && scope.kind() != ScopeKind::Agency {
        errors.push(kernel::UserError::new(
            "input.allSubAccountsAccess",
            UserErrorCode::Invalid,
            "only agency members reach sub-accounts",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let mut a: membership::ActiveModel = m.into();
    if let Some(r) = ch.role {
        a.role = Set(r.as_str().into());
    }
    if let Some(g) = ch.granted {
        a.granted = Set(serde_json::json!(
            g.iter().copied().collect::<PermissionSet>().to_names()
        ));
    }
    if let Some(w) = ch.withheld {
        a.withheld = Set(serde_json::json!(
            w.iter().copied().collect::<PermissionSet>().to_names()
        ));
    }
    if let Some(v) = ch.all_sub_accounts {
        a.all_sub_accounts = Set(v);
    }
    a.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    if actor.principal != kernel::Principal::System {
        lock_and_recheck(&txn, actor, id, scope).await?;
    }
    let m = a.update(&txn).await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::MembershipUpdated,
            scope,
            subject: (NodeKind::Membership, m.id),
            payload: serde_json::json!({ "role": m.role }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((m, u))
}

/// Removes someone from a scope.
pub async fn remove(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    id: Uuid,
) -> Result<MemberRow, Error> {
    let (m, u) = get(db, actor, id).await?;
    let scope = scope_of(&m)?;
    actor.require_in(scope, &[Permission::MembersManage])?;
    kernel::db::enter_scope(db, actor, scope).await?;
    let current = Role::parse(&m.role).ok_or_else(|| Error::internal("bad role"))?;
    outranks(actor, m.user_id, scope, current)?;
    let txn = db.begin().await?;
    if actor.principal != kernel::Principal::System {
        lock_and_recheck(&txn, actor, m.id, scope).await?;
    }
    membership::Entity::delete_by_id(m.id).exec(&txn).await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::MembershipRemoved,
            scope,
            subject: (NodeKind::Membership, m.id),
            payload: serde_json::json!({ "userId": m.user_id.to_string() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((m, u))
}

/// A page of a scope's members (for those with `MEMBERS_MANAGE` there).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    page: kernel::connection::Page,
    with_total: bool,
) -> Result<(Vec<MemberRow>, kernel::connection::PageInfo, u64), Error> {
    use sea_orm::PaginatorTrait;
    actor.require_in(scope, &[Permission::MembersManage])?;
    kernel::db::enter_scope(db, actor, scope).await?;
    let q = membership::Entity::find()
        .filter(live())
        .filter(membership::Column::ScopeKind.eq(scope.kind().as_str()))
        .filter(membership::Column::ScopeId.eq(scope.id().unwrap_or(kernel::id::PLATFORM_ID)));
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply(q, membership::Column::Id)
        .find_also_related(identity::entity::user::Entity)
        .all(db)
        .await?;
    let rows: Vec<MemberRow> = rows
        .into_iter()
        .filter_map(|(m, u)| u.map(|u| (m, u)))
        .collect();
    let (rows, info) = page.finish(rows, |(m, _)| m.id);
    Ok((rows, info, total))
}

/// The actor's own memberships, with the member (themselves).
pub async fn mine(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<membership::Model>, Error> {
    let user_id = actor.require_user()?;
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(live())
        .all(db)
        .await?)
}
