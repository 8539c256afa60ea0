//! Invitations: a member with `MEMBERS_MANAGE` invites a person by email into a scope with a
//! role no higher than their own; the person accepts with the emailed code (creating their
//! account if they have none). Pending, accepted, revoked, or expired after 7 days.

use super::membership::upsert_membership;
use crate::entity::{invitation, membership};
use chrono::Utc;
use identity::Identity;
use identity::entity::user;
use kernel::auth::{Actor, Permission, Principal, Role, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserErrorCode};
use kernel::event::EventType;
use kernel::event::{self, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use kernel::secret::{hash_token, random_token};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

/// How long an invitation can be accepted.
pub const INVITATION_TTL_DAYS: i64 = 7;

/// The scope an invitation is for.
pub fn scope_of(inv: &invitation::Model) -> Result<Scope, Error> {
    Scope::from_stored(&inv.scope_kind, inv.scope_id, inv.agency_id)
        .ok_or_else(|| Error::internal(format!("invitation {} has a bad scope", inv.id)))
}

/// Invites `email` into `scope` as `role`. A pending invitation of the same person to the
/// same scope is replaced (a fresh code is sent).
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    scope: Scope,
    email: &str,
    role: Role,
) -> Result<invitation::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let held = actor.require_in(scope, &[Permission::MembersManage])?;
    kernel::db::enter_scope(db, actor, scope).await?;
    let inviter = actor.require_user()?;
    let email = identity::service::user::normalize_email("input.email", email)?;
    if role.scope_kind() != scope.kind() {
        return Err(Error::user(
            "input.role",
            UserErrorCode::Invalid,
            format!("{} is not a role of this kind of scope", role.as_str()),
        ));
    }
    if role.rank() > actor.rank_at(scope) || !held.contains_all(role.default_permissions()) {
        return Err(Error::user(
            "input.role",
            UserErrorCode::NotAllowed,
            "you cannot invite someone to a role above your own",
        ));
    }
    let scope_id = scope.id().unwrap_or(kernel::id::PLATFORM_ID);
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
        && membership::Entity::find()
            .filter(membership::Column::UserId.eq(u.id))
            .filter(super::membership::live())
            .filter(membership::Column::ScopeKind.eq(scope.kind().as_str()))
            .filter(membership::Column::ScopeId.eq(scope_id))
            .count(db)
            .await?
            > 0
    {
        return Err(Error::user(
            "input.email",
            UserErrorCode::AlreadyDone,
            "this person is already a member",
        ));
    }
    let now = Utc::now();
    let token = random_token(32);
    let txn = db.begin().await?;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::Status, Expr::value("revoked"))
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::Email.eq(&email))
        .filter(invitation::Column::ScopeKind.eq(scope.kind().as_str()))
        .filter(invitation::Column::ScopeId.eq(scope_id))
        .filter(invitation::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    let inv = invitation::ActiveModel {
        id: Set(new_uuid()),
        email: Set(email.clone()),
        scope_kind: Set(scope.kind().as_str().into()),
        scope_id: Set(scope_id),
        agency_id: Set(scope.agency_id()),
        role: Set(role.as_str().into()),
        token_hash: Set(hash_token(&token)),
        status: Set("pending".into()),
        invited_by: Set(inviter),
        accepted_by: Set(None),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::days(INVITATION_TTL_DAYS)),
        accepted_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if kernel::db::is_unique_violation(&e) {
            Error::user(
                "input.email",
                UserErrorCode::Taken,
                "an invitation to this person is being sent right now; try again",
            )
        } else {
            e.into()
        }
    })?;
    let from = super::branding::sender_for(&txn, scope).await?;
    mail::queue(
        &txn,
        mail::Email {
            owner: jobs::Owner::of(scope),
            to: email,
            subject: "You are invited to Canopy".into(),
            body: format!(
                "You have been invited to join a Canopy {} as {}.\n\nAccept within {INVITATION_TTL_DAYS} days with this code:\n\n    {token}\n",
                scope.kind().as_str().replace('_', "-"),
                role.as_str().to_lowercase().replace('_', " "),
            ),
            from,
            redact: vec![token.clone()],
            attachments: Vec::new(),
        },
    )
    .await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::InvitationCreated,
            scope,
            subject: (NodeKind::Invitation, inv.id),
            payload: serde_json::json!({ "role": role.as_str() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(inv)
}

/// An invitation the actor may manage, else `NOT_FOUND` (or `FORBIDDEN` inside its scope).
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<invitation::Model, Error> {
    actor.require_authenticated()?;
    let inv = invitation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    actor.require_in(scope_of(&inv)?, &[Permission::MembersManage])?;
    Ok(inv)
}

/// Revokes a pending invitation.
pub async fn revoke<C>(db: &C, actor: &Actor, id: Uuid) -> Result<invitation::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let inv = get(db, actor, id).await?;
    if inv.status != "pending" {
        return Err(Error::user(
            "id",
            UserErrorCode::AlreadyDone,
            "the invitation is no longer pending",
        ));
    }
    let scope = scope_of(&inv)?;
    let mut m: invitation::ActiveModel = inv.into();
    m.status = Set("revoked".into());
    m.revoked_at = Set(Some(Utc::now()));
    let txn = db.begin().await?;
    let inv = m.update(&txn).await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::InvitationRevoked,
            scope,
            subject: (NodeKind::Invitation, inv.id),
            payload: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(inv)
}

/// Input of [`accept`] for someone without an account.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// Display name.
    pub name: Option<String>,
    /// Password.
    pub password: Option<String>,
}

/// Accepts an invitation with its emailed code: as the signed-in user it was sent to, or, for
/// someone without an account, creating one. Returns the invitation and the member.
pub async fn accept<C>(
    db: &C,
    identity: &Identity,
    actor: &Actor,
    token: &str,
    account: NewAccount,
) -> Result<(invitation::Model, user::Model), Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let invalid = || {
        Error::user(
            "input.token",
            UserErrorCode::InvalidToken,
            "this invitation is not valid, was revoked or has expired",
        )
    };
    let now = Utc::now();
    let token_hash = hash_token(token.trim());
    kernel::db::open(db, kernel::db::Opening::InvitationToken(token_hash.clone())).await?;
    let inv = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
        .filter(|i| i.status == "pending" && i.expires_at > now)
        .ok_or_else(invalid)?;
    let scope = scope_of(&inv)?;
    let role =
        Role::parse(&inv.role).ok_or_else(|| Error::internal("invitation has a bad role"))?;
    // The invitation is only as good as its inviter's standing now, and its scope's.
    let inviter = Actor {
        principal: Principal::User {
            user_id: inv.invited_by,
            session_id: Uuid::nil(),
        },
        memberships: super::membership::memberships_of(db, inv.invited_by).await?,
        tenant: scope.agency_id(),
    };
    if !inviter.can(Permission::MembersManage, scope)
        || inviter.rank_at(scope) < role.rank()
        || !match scope.agency_id() {
            // The scope's rows are its tenant's: look there, then come back.
            Some(a) => kernel::db::peek_into_tenant(db, a, || scope_in_service(db, scope)).await?,
            None => scope_in_service(db, scope).await?,
        }
    {
        return Err(invalid());
    }
    let txn = db.begin().await?;
    let member = match &actor.principal {
        Principal::User { user_id, .. } => {
            let u = user::Entity::find_by_id(*user_id)
                .one(&txn)
                .await?
                .ok_or_else(|| Error::Unauthenticated("the user no longer exists".into()))?;
            if u.email != inv.email {
                return Err(Error::user(
                    "input.token",
                    UserErrorCode::NotAllowed,
                    "this invitation was sent to another email address",
                ));
            }
            u
        }
        Principal::Anonymous => {
            if user::Entity::find()
                .filter(user::Column::Email.eq(&inv.email))
                .count(&txn)
                .await?
                > 0
            {
                return Err(Error::user(
                    "input.token",
                    UserErrorCode::NotAllowed,
                    "an account with this email address exists: sign in, then accept",
                ));
            }
            identity::service::user::register(
                &txn,
                identity,
                actor,
                identity::service::user::NewUser {
                    email: inv.email.clone(),
                    name: account.name.unwrap_or_default(),
                    password: account.password.unwrap_or_default(),
                },
            )
            .await?
        }
        _ => return Err(Error::Forbidden),
    };
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::Status, Expr::value("accepted"))
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .col_expr(invitation::Column::AcceptedBy, Expr::value(member.id))
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::Status.eq("pending"))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Err(invalid());
    }
    // From here the acceptance acts in the invitation's scope, as its new member: the
    // membership, the inviter's notification and the event are that tenant's rows.
    if let Some(agency_id) = scope.agency_id() {
        kernel::db::set_tenant(&txn, kernel::db::TenantGuard::Agency(agency_id)).await?;
    }
    kernel::db::open(&txn, kernel::db::Opening::User(member.id)).await?;
    upsert_membership(&txn, actor, member.id, scope, role).await?;
    kernel::notify::send(
        &txn,
        actor,
        kernel::notify::NewNotification {
            user_id: inv.invited_by,
            scope,
            kind: EventType::InvitationAccepted.as_str(),
            text: format!("{} accepted your invitation", member.email),
            subject: Some((NodeKind::Invitation, inv.id)),
        },
    )
    .await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::InvitationAccepted,
            scope,
            subject: (NodeKind::Invitation, inv.id),
            payload: serde_json::json!({ "userId": member.id.to_string() }),
        },
    )
    .await?;
    txn.commit().await?;
    let inv = invitation::Entity::find_by_id(inv.id)
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    Ok((inv, member))
}

/// Whether an invitation's scope still exists and is in service.
async fn scope_in_service(db: &impl ConnectionTrait, scope: Scope) -> Result<bool, Error> {
    use crate::entity::{agency, reseller, sub_account};
    let agency_ok = |a: Option<agency::Model>| {
        a.is_some_and(|a| a.deleted_at.is_none() && a.status == "active")
    };
    Ok(match scope {
        Scope::Platform => true,
        Scope::Reseller(r) => reseller::Entity::find_by_id(r)
            .one(db)
            .await?
            .is_some_and(|r| r.deleted_at.is_none() && r.status == "active"),
        Scope::Agency(a) => agency_ok(agency::Entity::find_by_id(a).one(db).await?),
        Scope::SubAccount { agency_id, id } => {
            agency_ok(agency::Entity::find_by_id(agency_id).one(db).await?)
                && sub_account::Entity::find()
                    .filter(sub_account::Column::Id.eq(id))
                    .filter(sub_account::Column::DeletedAt.is_null())
                    .filter(sub_account::Column::Status.eq("active"))
                    .one(db)
                    .await?
                    .is_some()
        }
    })
}

/// A page of a scope's pending (and expired, not yet replaced) invitations.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    page: Page,
    with_total: bool,
) -> Result<(Vec<invitation::Model>, PageInfo, u64), Error> {
    actor.require_in(scope, &[Permission::MembersManage])?;
    kernel::db::enter_scope(db, actor, scope).await?;
    let q = invitation::Entity::find()
        .filter(invitation::Column::ScopeKind.eq(scope.kind().as_str()))
        .filter(invitation::Column::ScopeId.eq(scope.id().unwrap_or(kernel::id::PLATFORM_ID)))
        .filter(invitation::Column::Status.eq("pending"));
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, invitation::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |i| i.id);
    Ok((rows, info, total))
}
