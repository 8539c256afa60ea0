//! Sessions: sign-in, refresh with rotation and reuse detection, sign-out.

use crate::Identity;
use crate::entity::{refresh_token, session, user};
use chrono::{DateTime, Utc};
use kernel::auth::{Actor, Principal, Scope};
use kernel::error::{Error, UserErrorCode};
use kernel::event::EventType;
use kernel::event::{self, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use kernel::secret::{hash_token, random_token};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use std::net::IpAddr;
use uuid::Uuid;

/// What a sign-in or refresh hands out.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The signed-in user.
    pub user: user::Model,
    /// The session.
    pub session_id: Uuid,
    /// Short-lived bearer token.
    pub access_token: String,
    /// When the access token expires.
    pub access_token_expires_at: DateTime<Utc>,
    /// Single-use token to get the next pair.
    pub refresh_token: String,
    /// When the refresh token expires.
    pub refresh_token_expires_at: DateTime<Utc>,
}

/// Where a sign-in comes from.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// The client's IP.
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

fn invalid_credentials() -> Error {
    Error::user(
        "input",
        UserErrorCode::InvalidCredentials,
        "the email address or password is wrong",
    )
}

/// Signs in with email and password. Throttled per account and per IP; the answer for an
/// unknown email takes as long as for a wrong password and reads the same.
pub async fn create<C>(
    db: &C,
    identity: &Identity,
    actor: &Actor,
    client: Client,
    email: &str,
    password: String,
) -> Result<Tokens, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    // Capped, so throttle keys cannot be made arbitrarily large.
    let email: String = email.trim().to_lowercase().chars().take(254).collect();
    identity.throttle.check(&email, client.ip)?;
    let user = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?;
    let stored = match &user {
        Some(u) => super::credential::stored_hash(db, u.id).await?,
        None => None,
    };
    let ok = identity.hasher.verify(password, stored).await?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(invalid_credentials());
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    let session = session::ActiveModel {
        id: Set(new_uuid()),
        user_id: Set(user.id),
        created_at: Set(now),
        refreshed_at: Set(now),
        expires_at: Set(now + identity.refresh_ttl),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        user_agent: Set(client.user_agent.map(|ua| ua.chars().take(400).collect())),
        ip: Set(client.ip.map(|ip| ip.to_string())),
    }
    .insert(&txn)
    .await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::SessionCreated,
            scope: Scope::Platform,
            subject: (NodeKind::Session, session.id),
            payload: serde_json::json!({ "userId": user.id.to_string() }),
        },
    )
    .await?;
    let tokens = issue(&txn, identity, user, session.id).await?;
    txn.commit().await?;
    Ok(tokens)
}

async fn issue(
    db: &impl ConnectionTrait,
    identity: &Identity,
    user: user::Model,
    session_id: Uuid,
) -> Result<Tokens, Error> {
    let now = Utc::now();
    let refresh = format!("rt_{}", random_token(32));
    let refresh_expires = now + identity.refresh_ttl;
    refresh_token::ActiveModel {
        id: Set(new_uuid()),
        session_id: Set(session_id),
        token_hash: Set(hash_token(&refresh)),
        created_at: Set(now),
        expires_at: Set(refresh_expires),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    let (access, access_expires) = identity.tokens.issue(user.id, session_id)?;
    Ok(Tokens {
        user,
        session_id,
        access_token: access,
        access_token_expires_at: access_expires,
        refresh_token: refresh,
        refresh_token_expires_at: refresh_expires,
    })
}

fn invalid_refresh() -> Error {
    refresh_error("the refresh token is not valid; sign in again")
}

/// Refresh failures are `userErrors` (`INVALID_TOKEN`): the client's remedy is to sign in
/// again. Being a payload, not a top-level error, also keeps what the failure wrote (the
/// revocation of a session whose token was replayed).
fn refresh_error(message: &str) -> Error {
    Error::user("input.refreshToken", UserErrorCode::InvalidToken, message)
}

/// Trades a refresh token for a new pair. Each refresh token works once: presenting a used one
/// means it was stolen or replayed, and the whole session (every token of the family) is
/// revoked. That revocation is kept: the failure is a user error, not a rolled-back one.
pub async fn refresh<C>(
    db: &C,
    identity: &Identity,
    actor: &Actor,
    token: &str,
) -> Result<Tokens, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let now = Utc::now();
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
        .ok_or_else(invalid_refresh)?;
    let session = session::Entity::find_by_id(row.session_id)
        .one(db)
        .await?
        .ok_or_else(invalid_refresh)?;
    if session.revoked_at.is_some() {
        return Err(invalid_refresh());
    }
    // Claim the token atomically: of two concurrent refreshes with one token, one wins and the
    // other is treated as a replay.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        revoke_session(db, session.id, "refresh_token_reuse").await?;
        event::record(
            db,
            actor,
            NewEvent {
                event_type: EventType::SessionReuseDetected,
                scope: Scope::Platform,
                subject: (NodeKind::Session, session.id),
                payload: serde_json::json!({ "userId": session.user_id.to_string() }),
            },
        )
        .await?;
        tracing::warn!(session = %session.id, "refresh token replayed; session revoked");
        return Err(refresh_error(
            "this refresh token was already used; the session has been revoked for safety",
        ));
    }
    if row.expires_at <= now || session.expires_at <= now {
        return Err(refresh_error("the session has expired; sign in again"));
    }
    let user = user::Entity::find_by_id(session.user_id)
        .one(db)
        .await?
        .ok_or_else(invalid_refresh)?;
    let txn = db.begin().await?;
    let mut active: session::ActiveModel = session.into();
    active.refreshed_at = Set(now);
    active.expires_at = Set(now + identity.refresh_ttl);
    let session = active.update(&txn).await?;
    let tokens = issue(&txn, identity, user, session.id).await?;
    txn.commit().await?;
    Ok(tokens)
}

async fn revoke_session(db: &impl ConnectionTrait, id: Uuid, reason: &str) -> Result<bool, Error> {
    Ok(session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Signs out: the session named by `refresh_token`, else the actor's current session; with
/// `everywhere`, every session of the user. Returns how many sessions were revoked.
pub async fn revoke(
    db: &impl ConnectionTrait,
    actor: &Actor,
    refresh_token: Option<&str>,
    everywhere: bool,
) -> Result<u64, Error> {
    let (user_id, session_id) = match (refresh_token, &actor.principal) {
        (Some(token), _) => {
            // Only a live token names a session: an old, used or expired one proves nothing.
            let now = Utc::now();
            let row = refresh_token::Entity::find()
                .filter(refresh_token::Column::TokenHash.eq(hash_token(token)))
                .one(db)
                .await?
                .filter(|t| t.used_at.is_none() && t.expires_at > now)
                .ok_or_else(invalid_refresh)?;
            let s = session::Entity::find_by_id(row.session_id)
                .one(db)
                .await?
                .filter(|s| s.revoked_at.is_none())
                .ok_or_else(invalid_refresh)?;
            (s.user_id, s.id)
        }
        (
            None,
            Principal::User {
                user_id,
                session_id,
            },
        ) => (*user_id, *session_id),
        (None, Principal::Anonymous) => {
            return Err(Error::Unauthenticated(
                "sign in, or pass the session's refresh token".into(),
            ));
        }
        (None, _) => return Err(Error::Forbidden),
    };
    let mut q = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(session::Column::RevokedReason, Expr::value("signed_out"))
        .filter(session::Column::RevokedAt.is_null());
    q = if everywhere {
        q.filter(session::Column::UserId.eq(user_id))
    } else {
        q.filter(session::Column::Id.eq(session_id))
    };
    let revoked = q.exec(db).await?.rows_affected;
    if revoked > 0 {
        // Live connections of the ended sessions hear of it and close (`gateway::live`).
        event::record(
            db,
            actor,
            NewEvent {
                event_type: EventType::SessionRevoked,
                scope: Scope::Platform,
                subject: (NodeKind::Session, session_id),
                payload: serde_json::json!({
                    "userId": user_id.to_string(),
                    "everywhere": everywhere,
                }),
            },
        )
        .await?;
    }
    Ok(revoked)
}
