//! GraphQL object types of the identity crate.

use crate::entity::{api_key, user};
use async_graphql::{Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kernel::auth::{Permission, Scope, ScopeKind};
use kernel::id::{NodeKind, gid, scope_gid};

/// A person with a Canopy login. What they may do comes from their memberships.
#[derive(Clone)]
pub struct User(pub user::Model);

/// A person with a Canopy login. What they may do comes from their memberships.
#[Object]
impl User {
    /// The user's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::User, self.0.id)
    }
    /// The email address they sign in with (lowercase).
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// When the user registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the user last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A node of the tenancy tree that owns memberships, keys and events.
#[derive(SimpleObject, Clone)]
pub struct ScopeRef {
    /// What kind of scope it is.
    pub kind: ScopeKind,
    /// The global id of the platform, reseller, agency or sub-account.
    pub id: ID,
}

impl From<Scope> for ScopeRef {
    fn from(s: Scope) -> Self {
        Self {
            kind: s.kind(),
            id: scope_gid(s),
        }
    }
}

/// Whether an API key works.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyStatus {
    /// The key works.
    Active,
    /// The key was revoked.
    Revoked,
    /// The key is past its expiry.
    Expired,
}

/// A key a partner integration authenticates with (`Authorization: Bearer ck_…`).
#[derive(Clone)]
pub struct ApiKey(pub api_key::Model);

/// A key a partner integration authenticates with (`Authorization: Bearer ck_…`). The secret
/// is shown once, when the key is created.
#[Object]
impl ApiKey {
    /// The key's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::ApiKey, self.0.id)
    }
    /// A name to recognise the key by.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The visible start of the secret (`ck_<prefix>_…`), to tell keys apart.
    async fn prefix(&self) -> String {
        format!("{}{}", crate::service::auth::API_KEY_PREFIX, self.0.prefix)
    }
    /// Where the key acts.
    async fn scope(&self) -> async_graphql::Result<ScopeRef> {
        Ok(crate::service::api_key::key_scope(&self.0)
            .map_err(async_graphql::Error::from)?
            .into())
    }
    /// What the key may do there.
    async fn permissions(&self) -> Vec<Permission> {
        crate::service::api_key::permissions_of(&self.0)
            .iter()
            .collect()
    }
    /// Whether the key works now.
    async fn status(&self) -> ApiKeyStatus {
        if self.0.revoked_at.is_some() {
            ApiKeyStatus::Revoked
        } else if self.0.expires_at.is_some_and(|t| t <= Utc::now()) {
            ApiKeyStatus::Expired
        } else {
            ApiKeyStatus::Active
        }
    }
    /// When the key was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the key stops working, if ever.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// When the key was revoked, if it was.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

kernel::connection_types!(ApiKeyConnection, ApiKeyEdge, ApiKey, "API keys");
