//! Password reset: a single-use token sent by email (queued with `mail`), never returned by the API.

use super::password::validate_new_password;
use crate::Identity;
use crate::entity::{password_reset, session, user};
use chrono::Utc;
use kernel::auth::{Actor, Scope};
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

/// Asks for a reset email. The answer is the same whether or not the address is registered,
/// and so is the work: an unknown address gets an email saying it has no account.
pub async fn request<C>(
    db: &C,
    identity: &Identity,
    ip: Option<IpAddr>,
    email: &str,
) -> Result<(), Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let email: String = email.trim().to_lowercase().chars().take(254).collect();
    identity.throttle.check(&format!("reset:{email}"), ip)?;
    let now = Utc::now();
    let user = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?;
    let txn = db.begin().await?;
    let Some(user) = user else {
        if email_address::EmailAddress::is_valid(&email) {
            mail::queue(
                &txn,
                mail::Email {
                    owner: jobs::Owner::System,
                    to: email,
                    subject: "Your Canopy password reset request".into(),
                    body: "Someone asked to reset the password of a Canopy account with this \
                           address, but there is no account with it. If it was not you, ignore \
                           this email.\n"
                        .into(),
                    from: None,
                    redact: Vec::new(),
                    attachments: Vec::new(),
                },
            )
            .await?;
        }
        txn.commit().await?;
        return Ok(());
    };
    let token = random_token(32);
    password_reset::ActiveModel {
        id: Set(new_uuid()),
        user_id: Set(user.id),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + identity.reset_ttl),
        used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    mail::queue(
        &txn,
        mail::Email {
            owner: jobs::Owner::System,
            to: user.email.clone(),
            subject: "Reset your Canopy password".into(),
            body: format!(
                "Hello {},\n\nsomeone asked to reset the password of your Canopy account. \
                 If it was you, use this code within {} minutes:\n\n    {token}\n\n\
                 If it was not you, ignore this email; your password is unchanged.\n",
                user.name,
                identity.reset_ttl.num_minutes()
            ),
            from: None,
            redact: vec![token.clone()],
            attachments: Vec::new(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sets a new password with a reset token, and signs out every session of the user.
pub async fn confirm<C>(
    db: &C,
    identity: &Identity,
    actor: &Actor,
    token: &str,
    new_password: String,
) -> Result<user::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    validate_new_password("input.newPassword", &new_password)?;
    let invalid = || {
        Error::user(
            "input.token",
            UserErrorCode::InvalidToken,
            "this reset code is not valid or has expired; ask for a new one",
        )
    };
    let now = Utc::now();
    let reset = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(hash_token(token.trim())))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    if reset.used_at.is_some() || reset.expires_at <= now {
        return Err(invalid());
    }
    let hash = identity.hasher.hash(new_password).await?;
    let txn = db.begin().await?;
    let claimed = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Err(invalid());
    }
    let user = user::Entity::find_by_id(reset.user_id)
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    super::credential::replace(&txn, user.id, hash).await?;
    let mut active: user::ActiveModel = user.into();
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(
            session::Column::RevokedReason,
            Expr::value("password_reset"),
        )
        .filter(session::Column::UserId.eq(user.id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::UserPasswordReset,
            scope: Scope::Platform,
            subject: (NodeKind::User, user.id),
            payload: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}
