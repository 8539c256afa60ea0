//! The identity operations: `(db, &Actor, input) -> Result`.

pub mod api_key;
pub mod auth;
pub mod credential;
pub mod password;
pub mod reset;
pub mod session;
pub mod throttle;
pub mod user;

use kernel::Config;
use kernel::error::Error;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The identity crate's state: token keys, hashing parameters, throttles. Built once at start.
pub struct Identity {
    pub(crate) tokens: auth::TokenKeys,
    pub(crate) hasher: password::Hasher,
    pub(crate) throttle: throttle::LoginThrottle,
    pub(crate) refresh_ttl: chrono::Duration,
    pub(crate) reset_ttl: chrono::Duration,
    /// The replica's credential cache (`kernel::credentials`): sessions, memberships, API
    /// keys and tenants' status, cleared by revocations through the bus.
    pub credentials: Arc<kernel::credentials::Credentials>,
    /// The root of [`Identity::derived_key`]: a hash of the signing secret, never the secret.
    derive_root: [u8; 32],
}

impl Identity {
    /// Builds the identity state. Without a configured secret, the access-token secret is read
    /// from the database (and generated on first start), so every replica shares it.
    pub async fn new(db: &impl ConnectionTrait, config: &Config) -> Result<Arc<Self>, Error> {
        let secret = match &config.jwt_secret {
            Some(s) if s.len() >= 32 => s.clone(),
            Some(_) => {
                return Err(Error::internal(
                    "CANOPY_JWT_SECRET must be at least 32 bytes long",
                ));
            }
            None => signing_secret(db).await.map_err(|e| {
                Error::internal(format!(
                    "cannot read the token signing secret ({}): set CANOPY_JWT_SECRET, or \
                     CANOPY_OWNER_DATABASE_URL when DATABASE_URL names the runtime role, which \
                     may not read signing_keys",
                    e.operator_message()
                ))
            })?,
        };
        let ttl =
            |secs: u64| chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000));
        Ok(Arc::new(Self {
            tokens: auth::TokenKeys::new(secret.as_bytes(), ttl(config.access_token_ttl_secs)),
            hasher: password::Hasher::new(config.argon2_memory_kib, config.argon2_iterations)?,
            throttle: throttle::LoginThrottle::new(
                config.login_attempts_per_account,
                config.login_attempts_per_ip,
            ),
            refresh_ttl: ttl(config.refresh_token_ttl_secs),
            reset_ttl: ttl(config.password_reset_ttl_secs),
            credentials: Arc::new(kernel::credentials::Credentials::new(
                std::time::Duration::from_secs(config.credential_cache_ttl_secs),
            )),
            derive_root: Sha256::new()
                .chain_update(b"canopy derived keys\0")
                .chain_update(secret.as_bytes())
                .finalize()
                .into(),
        }))
    }

    /// A key for another use than access tokens (`purpose` names it: `"form-token"`), derived
    /// from the signing secret, so every replica has the same one and none reveals the secret
    /// or another purpose's key.
    pub fn derived_key(&self, purpose: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.derive_root)
            .chain_update(purpose.as_bytes())
            .finalize()
            .into()
    }

    /// Signs an access token for an existing session (for tests and tools that need one
    /// without signing in; a token naming no live session is refused).
    pub fn access_token_for(
        &self,
        user_id: uuid::Uuid,
        session_id: uuid::Uuid,
    ) -> Result<String, Error> {
        self.tokens.issue(user_id, session_id).map(|(t, _)| t)
    }
}

/// The access-token secret kept in the database (generated on first use). On PostgreSQL only
/// the owner may read it: the CLI reads it through `CANOPY_OWNER_DATABASE_URL` at start.
pub async fn signing_secret(db: &impl ConnectionTrait) -> Result<String, Error> {
    use crate::entity::signing_key;
    // One row with a fixed id: replicas starting at once all insert, one insert wins, and
    // everyone reads that one back.
    let id = uuid::Uuid::nil();
    signing_key::Entity::insert(signing_key::ActiveModel {
        id: Set(id),
        secret: Set(kernel::secret::random_token(48)),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict_do_nothing_on([signing_key::Column::Id])
    .exec(db)
    .await?;
    let key = signing_key::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::internal("signing key missing after insert"))?;
    Ok(key.secret)
}
