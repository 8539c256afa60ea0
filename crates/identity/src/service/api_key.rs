//! API keys: the actors of partner integrations. A key belongs to a scope and carries a subset
//! of its creator's permissions there. The secret is shown once; only its hash is kept.

use super::auth::{API_KEY_ID_LEN, API_KEY_PREFIX};
use crate::entity::api_key;
use chrono::{DateTime, Utc};
use kernel::auth::{Actor, Permission, PermissionSet, Scope};
use kernel::connection::Page;
use kernel::error::{Error, UserErrorCode};
use kernel::event::EventType;
use kernel::event::{self, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use kernel::secret::{hash_token, random_token};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use uuid::Uuid;

/// Input of [`create`].
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Where the key acts.
    pub scope: Scope,
    /// A name to recognise it by.
    pub name: String,
    /// What it may do.
    pub permissions: Vec<Permission>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The permissions a key carries.
pub fn permissions_of(key: &api_key::Model) -> PermissionSet {
    PermissionSet::from_json(&key.permissions)
}

/// The scope a key belongs to.
pub fn key_scope(key: &api_key::Model) -> Result<Scope, Error> {
    Scope::from_stored(&key.scope_kind, key.scope_id, key.agency_id)
        .ok_or_else(|| Error::internal(format!("api key {} has a bad scope", key.id)))
}

/// Creates a key; returns it and its secret (shown this once).
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    input: NewApiKey,
) -> Result<(api_key::Model, String), Error> {
    // Keys act for integrations, not for people: only users create them.
    let user_id = actor.require_user()?;
    let held = actor.require_in(input.scope, &[Permission::ApiKeysManage])?;
    kernel::db::enter_scope(db, actor, input.scope).await?;
    let name = input.name.trim().to_owned();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(kernel::UserError::new(
            "input.name",
            UserErrorCode::Invalid,
            "the name must have 1 to 100 characters",
        ));
    }
    let wanted: PermissionSet = input.permissions.iter().copied().collect();
    if wanted.is_empty() {
        errors.push(kernel::UserError::new(
            "input.permissions",
            UserErrorCode::Invalid,
            "give the key at least one permission",
        ));
    } else if !held.contains_all(wanted) {
        let missing: Vec<&str> = wanted.minus(held).iter().map(Permission::as_str).collect();
        errors.push(kernel::UserError::new(
            "input.permissions",
            UserErrorCode::NotAllowed,
            format!(
                "a key cannot have permissions you do not hold here: {}",
                missing.join(", ")
            ),
        ));
    }
    if input.expires_at.is_some_and(|t| t <= Utc::now()) {
        errors.push(kernel::UserError::new(
            "input.expiresAt",
            UserErrorCode::Invalid,
            "the expiry must be in the future",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let prefix: String = {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        (0..API_KEY_ID_LEN)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect()
    };
    let secret = random_token(32);
    let key = api_key::ActiveModel {
        id: Set(new_uuid()),
        name: Set(name),
        prefix: Set(prefix.clone()),
        secret_hash: Set(hash_token(&secret)),
        scope_kind: Set(input.scope.kind().as_str().to_owned()),
        scope_id: Set(input.scope.id().unwrap_or(Uuid::nil())),
        agency_id: Set(input.scope.agency_id()),
        permissions: Set(serde_json::json!(wanted.to_names())),
        created_by: Set(user_id),
        created_at: Set(Utc::now()),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    event::record(
        db,
        actor,
        NewEvent {
            event_type: EventType::ApiKeyCreated,
            scope: input.scope,
            subject: (NodeKind::ApiKey, key.id),
            payload: serde_json::json!({ "name": key.name, "permissions": wanted.to_names() }),
        },
    )
    .await?;
    Ok((key, format!("{API_KEY_PREFIX}{prefix}_{secret}")))
}

/// A key the actor may manage, else `NOT_FOUND` (or `FORBIDDEN` inside a scope they belong to).
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<api_key::Model, Error> {
    actor.require_authenticated()?;
    let key = api_key::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    actor.require_in(key_scope(&key)?, &[Permission::ApiKeysManage])?;
    Ok(key)
}

/// Revokes a key. It stops working at once.
pub async fn revoke(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<api_key::Model, Error> {
    let key = get(db, actor, id).await?;
    if key.revoked_at.is_some() {
        return Err(Error::user(
            "id",
            UserErrorCode::AlreadyDone,
            "the key is already revoked",
        ));
    }
    let scope = key_scope(&key)?;
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = Set(Some(Utc::now()));
    let key = active.update(db).await?;
    event::record(
        db,
        actor,
        NewEvent {
            event_type: EventType::ApiKeyRevoked,
            scope,
            subject: (NodeKind::ApiKey, key.id),
            payload: serde_json::json!({}),
        },
    )
    .await?;
    Ok(key)
}

/// A page of a scope's keys, and their total count when asked for.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    page: Page,
    with_total: bool,
) -> Result<(Vec<api_key::Model>, kernel::connection::PageInfo, u64), Error> {
    actor.require_in(scope, &[Permission::ApiKeysManage])?;
    kernel::db::enter_scope(db, actor, scope).await?;
    let base = api_key::Entity::find()
        .filter(api_key::Column::ScopeKind.eq(scope.kind().as_str()))
        .filter(api_key::Column::ScopeId.eq(scope.id().unwrap_or(Uuid::nil())));
    let total = if with_total {
        base.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(base, api_key::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |k| k.id);
    Ok((rows, info, total))
}
