//! Users: registration, lookup, password change.

use super::password::validate_new_password;
use crate::Identity;
use crate::entity::{session, user};
use chrono::Utc;
use kernel::auth::{Actor, Scope};
use kernel::error::{Error, UserErrorCode};
use kernel::event::EventType;
use kernel::event::{self, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

/// Longest name accepted.
pub const MAX_NAME_LEN: usize = 200;

/// Input of [`register`].
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email address (normalised to lowercase).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Password in clear.
    pub password: String,
}

/// Normalises and validates an email address.
pub fn normalize_email(field: &str, email: &str) -> Result<String, Error> {
    let email = email.trim().to_lowercase();
    if email.len() > 254 || !email_address::EmailAddress::is_valid(&email) {
        return Err(Error::user(
            field,
            UserErrorCode::Invalid,
            "enter a valid email address",
        ));
    }
    Ok(email)
}

fn validate_name(field: &str, name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::user(field, UserErrorCode::Invalid, "enter a name"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(Error::user(
            field,
            UserErrorCode::TooLong,
            format!("the name must have at most {MAX_NAME_LEN} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// Creates a user. Anyone may register; what a user may do comes from memberships.
pub async fn register<C>(
    db: &C,
    identity: &Identity,
    actor: &Actor,
    input: NewUser,
) -> Result<user::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut errors = Vec::new();
    let email = normalize_email("input.email", &input.email).map_err(|e| errors.push(e));
    let name = validate_name("input.name", &input.name).map_err(|e| errors.push(e));
    let _ = validate_new_password("input.password", &input.password).map_err(|e| errors.push(e));
    let (Ok(email), Ok(name), true) = (email, name, errors.is_empty()) else {
        return Err(Error::User(
            errors
                .into_iter()
                .flat_map(|e| match e {
                    Error::User(v) => v,
                    _ => Vec::new(),
                })
                .collect(),
        ));
    };
    let taken = || {
        Error::user(
            "input.email",
            UserErrorCode::Taken,
            "this email address is already registered",
        )
    };
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
        .is_some()
    {
        return Err(taken());
    }
    let hash = identity.hasher.hash(input.password).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let model = user::ActiveModel {
        id: Set(new_uuid()),
        email: Set(email),
        name: Set(name),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if kernel::db::is_unique_violation(&e) {
            taken()
        } else {
            e.into()
        }
    })?;
    super::credential::insert(&txn, model.id, hash).await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::UserRegistered,
            scope: Scope::Platform,
            subject: (NodeKind::User, model.id),
            payload: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// A user the actor may see: for now, only themselves. Anything else is `NOT_FOUND`.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<user::Model, Error> {
    if actor.user_id() != Some(id) {
        return Err(Error::NotFound);
    }
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// Changes the actor's password and signs out every other session.
pub async fn change_password<C>(
    db: &C,
    identity: &Identity,
    actor: &Actor,
    current: String,
    new: String,
) -> Result<user::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let user_id = actor.require_user()?;
    let kernel::auth::Principal::User { session_id, .. } = actor.principal else {
        return Err(Error::Forbidden);
    };
    // Guessing the current password with a stolen access token is throttled like sign-in.
    identity
        .throttle
        .check(&format!("password:{user_id}"), None)?;
    let user = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Unauthenticated("the user no longer exists".into()))?;
    validate_new_password("input.newPassword", &new)?;
    if !identity
        .hasher
        .verify(current, super::credential::stored_hash(db, user.id).await?)
        .await?
    {
        return Err(Error::user(
            "input.currentPassword",
            UserErrorCode::WrongPassword,
            "the current password is wrong",
        ));
    }
    let hash = identity.hasher.hash(new).await?;
    let txn = db.begin().await?;
    super::credential::replace(&txn, user.id, hash).await?;
    let mut active: user::ActiveModel = user.into();
    active.updated_at = Set(Utc::now());
    let user = active.update(&txn).await?;
    session::Entity::update_many()
        .col_expr(
            session::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .col_expr(
            session::Column::RevokedReason,
            sea_orm::sea_query::Expr::value("password_changed"),
        )
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Id.ne(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::UserPasswordChanged,
            scope: Scope::Platform,
            subject: (NodeKind::User, user_id),
            payload: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}
