//! Access tokens (HS256 JWT) and authentication of a bearer credential at the edge.

use crate::entity::{api_key, session};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use kernel::auth::Principal;
use kernel::credentials::{ApiKeyFact, Credentials, SessionFact, Stamp};
use kernel::error::Error;
use lru::LruCache;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use std::hash::BuildHasher;
use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// The prefix of every API key secret.
pub const API_KEY_PREFIX: &str = "ck_";
/// Length of the visible part of an API key after `ck_`.
pub const API_KEY_ID_LEN: usize = 12;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    sid: Uuid,
    iat: i64,
    exp: i64,
    typ: String,
}

/// Signs and checks access tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: chrono::Duration,
    checked: Checked,
}

/// How many verified tokens [`Checked`] keeps (each about 450 bytes with its claims and its
/// slot), the least recently used going first.
const MAX_CHECKED: NonZeroUsize = NonZeroUsize::new(10_000).expect("not zero");

/// The access tokens this replica has verified, so that a token's signature (an HMAC-SHA-256 and
/// the decoding around it, 12 % of a lookup's instructions) is checked once, not on every
/// request. A signature's validity is a function of the token's text and the secret alone, so a
/// token whose text is the same needs no second check. Keyed by the text's hash under a seed
/// chosen at random per process; a hit is confirmed by comparing the whole text in constant
/// time, and every use still checks the expiry (with the same leeway) and the type. Only tokens
/// that verified are kept, so a client sending forged ones adds nothing.
struct Checked {
    seed: foldhash::fast::RandomState,
    tokens: Mutex<LruCache<u64, (Box<str>, Claims)>>,
}

impl Checked {
    fn new() -> Self {
        Self {
            seed: foldhash::fast::RandomState::default(),
            tokens: Mutex::new(LruCache::new(MAX_CHECKED)),
        }
    }

    /// The claims of `token` if it verified before.
    fn get(&self, key: u64, token: &str) -> Option<Claims> {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let (text, claims) = tokens.get(&key)?;
        bool::from(text.as_bytes().ct_eq(token.as_bytes())).then(|| claims.clone())
    }

    fn put(&self, key: u64, token: &str, claims: &Claims) {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.put(key, (token.into(), claims.clone()));
    }
}

impl TokenKeys {
    /// Keys from a shared secret.
    pub fn new(secret: &[u8], ttl: chrono::Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
            checked: Checked::new(),
        }
    }

    /// A new access token for a session, and when it expires.
    pub fn issue(&self, user_id: Uuid, session_id: Uuid) -> Result<(String, DateTime<Utc>), Error> {
        let now = Utc::now();
        let exp = now + self.ttl;
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: exp.timestamp(),
            typ: "access".into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::internal(format!("signing failed: {e}")))?;
        Ok((token, exp))
    }

    fn check(&self, token: &str) -> Result<Claims, Error> {
        let key = self.checked.seed.hash_one(token);
        // Verified before: only what time changes is checked again, as `decode` checks it
        // (`exp` only: `nbf` is not validated, and no token is refused early; the test
        // `a_checked_token_is_answered_from_the_memo_and_still_expires` holds `validation` to
        // that).
        if let Some(claims) = self.checked.get(key, token) {
            let leeway = i64::try_from(self.validation.leeway).unwrap_or(i64::MAX);
            if claims.exp < Utc::now().timestamp().saturating_sub(leeway) {
                return Err(expired());
            }
            return access(claims);
        }
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => {
                self.checked.put(key, token, &data.claims);
                access(data.claims)
            }
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => Err(expired()),
            Err(_) => Err(Error::Unauthenticated(
                "the access token is not valid".into(),
            )),
        }
    }
}

/// `claims` if they are an access token's.
fn access(claims: Claims) -> Result<Claims, Error> {
    if claims.typ == "access" {
        Ok(claims)
    } else {
        Err(Error::Unauthenticated("not an access token".into()))
    }
}

fn expired() -> Error {
    Error::Unauthenticated("the access token has expired; refresh it".into())
}

/// Authenticates a bearer credential: an access token or an API key.
///
/// An access token is checked by its signature and its session must still be live; an API key
/// is looked up by its visible prefix and compared by hash. Both are read through the
/// replica's credential cache (`kernel::credentials`), so a warm credential costs no
/// statement, and a revoked one stops on every replica within the bus's delay.
///
/// `stamp` is the credential cache's, taken before the transaction's first statement (on
/// SQLite a read transaction's snapshot starts there): a clear after it makes this request's
/// fills no-ops, whatever snapshot its reads saw.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    identity: &crate::Identity,
    stamp: Stamp,
    bearer: &str,
) -> Result<Principal, Error> {
    Ok(authenticate_until(db, identity, stamp, bearer).await?.0)
}

/// As [`authenticate`], and also when the credential stops being valid (an access token's
/// expiry, an API key's expiry if it has one): long-lived connections end there.
pub async fn authenticate_until(
    db: &impl ConnectionTrait,
    identity: &crate::Identity,
    stamp: Stamp,
    bearer: &str,
) -> Result<(Principal, Option<DateTime<Utc>>), Error> {
    let cache = &identity.credentials;
    if let Some(rest) = bearer.strip_prefix(API_KEY_PREFIX) {
        return authenticate_api_key(db, cache, stamp, rest).await;
    }
    let claims = identity.tokens.check(bearer)?;
    require_live_session(db, cache, stamp, claims.sid, claims.sub).await?;
    Ok((
        Principal::User {
            user_id: claims.sub,
            session_id: claims.sid,
        },
        DateTime::from_timestamp(claims.exp, 0),
    ))
}

/// The session an access token names must be live: not signed out, not ended by a password
/// change or reset, not expired.
async fn require_live_session(
    db: &impl ConnectionTrait,
    cache: &Credentials,
    stamp: Stamp,
    session_id: Uuid,
    user_id: Uuid,
) -> Result<(), Error> {
    let fact = match cache.session(session_id) {
        Some(f) => Some(f),
        None => {
            let now = Utc::now();
            let fact = session::Entity::find_by_id(session_id)
                .one(db)
                .await?
                .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
                .map(|s| SessionFact {
                    user_id: s.user_id,
                    expires_at: s.expires_at,
                });
            if let Some(f) = fact {
                cache.put_session(stamp, session_id, f);
            }
            fact
        }
    };
    match fact {
        Some(f) if f.user_id == user_id => Ok(()),
        _ => Err(Error::Unauthenticated(
            "the session has ended; sign in again".into(),
        )),
    }
}

async fn authenticate_api_key(
    db: &impl ConnectionTrait,
    cache: &Credentials,
    stamp: Stamp,
    rest: &str,
) -> Result<(Principal, Option<DateTime<Utc>>), Error> {
    let invalid = || Error::Unauthenticated("the API key is not valid".into());
    let (prefix, secret) = rest.split_once('_').ok_or_else(invalid)?;
    if prefix.len() != API_KEY_ID_LEN || secret.is_empty() {
        return Err(invalid());
    }
    let hash = kernel::secret::hash_token(secret);
    let fact = match cache.api_key(prefix) {
        Some(f) => f,
        None => {
            kernel::db::open(db, kernel::db::Opening::ApiKeyPrefix(prefix.to_owned())).await?;
            let key = api_key::Entity::find()
                .filter(api_key::Column::Prefix.eq(prefix))
                .one(db)
                .await?
                .ok_or_else(invalid)?;
            if key.secret_hash != hash {
                return Err(invalid());
            }
            if key.revoked_at.is_some() {
                return Err(Error::Unauthenticated(
                    "the API key has been revoked".into(),
                ));
            }
            let fact = ApiKeyFact {
                principal: Principal::ApiKey {
                    key_id: key.id,
                    owner: key.created_by,
                    scope: super::api_key::key_scope(&key)?,
                    permissions: super::api_key::permissions_of(&key),
                },
                secret_hash: key.secret_hash,
                expires_at: key.expires_at,
            };
            cache.put_api_key(stamp, prefix, fact.clone());
            fact
        }
    };
    if fact.secret_hash != hash {
        return Err(invalid());
    }
    if fact.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(Error::Unauthenticated("the API key has expired".into()));
    }
    Ok((fact.principal, fact.expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() {
        let keys = TokenKeys::new(&[7u8; 32], chrono::Duration::minutes(5));
        let (u, s) = (Uuid::now_v7(), Uuid::now_v7());
        let (token, _) = keys.issue(u, s).expect("issue");
        let claims = keys.check(&token).expect("valid");
        assert_eq!((claims.sub, claims.sid), (u, s));

        let expired = TokenKeys::new(&[7u8; 32], chrono::Duration::minutes(-10));
        let (old, _) = expired.issue(u, s).expect("issue");
        assert!(keys.check(&old).is_err());

        let other = TokenKeys::new(&[8u8; 32], chrono::Duration::minutes(5));
        assert!(
            other.check(&token).is_err(),
            "another secret must not verify"
        );
    }

    #[test]
    fn a_checked_token_is_answered_from_the_memo_and_still_expires() {
        let keys = TokenKeys::new(&[7u8; 32], chrono::Duration::minutes(5));
        // The memo re-checks `exp` only: `decode` must check nothing else that time changes.
        let v = &keys.validation;
        assert!(v.validate_exp && !v.validate_nbf && v.reject_tokens_expiring_in_less_than == 0);
        let (u, s) = (Uuid::now_v7(), Uuid::now_v7());
        let (token, _) = keys.issue(u, s).expect("issue");
        keys.check(&token).expect("valid");
        let key = keys.checked.seed.hash_one(token.as_str());
        let kept = keys.checked.get(key, &token).expect("kept once verified");
        // Another text of the same length under the same key (a collision) is not taken for it.
        let mut other: Vec<u8> = token.clone().into_bytes();
        let at = other.len() - 10;
        other[at] = if other[at] == b'A' { b'B' } else { b'A' };
        let other = String::from_utf8(other).expect("ascii");
        assert!(keys.checked.get(key, &other).is_none());
        // Kept claims are held to the same expiry and leeway (5 s) as `decode`'s, and the type.
        let now = Utc::now().timestamp();
        let refused = |exp: i64, typ: &str| {
            let claims = Claims {
                exp,
                typ: typ.into(),
                ..kept.clone()
            };
            keys.checked.put(key, &token, &claims);
            keys.check(&token).err()
        };
        assert!(refused(now - 3, "access").is_none(), "within the leeway");
        let e = refused(now - 7, "access").expect("expired");
        assert!(
            matches!(&e, Error::Unauthenticated(m) if m.contains("expired")),
            "{e:?}"
        );
        assert!(
            refused(now + 60, "refresh").is_some(),
            "not an access token"
        );
        // A forged token is never kept.
        let other = TokenKeys::new(&[8u8; 32], chrono::Duration::minutes(5));
        let (forged, _) = other.issue(u, s).expect("issue");
        assert!(keys.check(&forged).is_err());
        let forged_key = keys.checked.seed.hash_one(forged.as_str());
        assert!(keys.checked.get(forged_key, &forged).is_none());
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = TokenKeys::new(&[7u8; 32], chrono::Duration::minutes(5));
        // header {"alg":"none","typ":"JWT"}, a valid-looking payload, no signature
        let forged = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIwMTkzMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDAiLCJzaWQiOiIwMTkzMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDAiLCJpYXQiOjAsImV4cCI6OTk5OTk5OTk5OSwidHlwIjoiYWNjZXNzIn0.";
        assert!(keys.check(forged).is_err());
    }
}
