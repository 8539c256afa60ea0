//! The replica's credential cache: what authenticating a request and checking its tenant read
//! from the database (a session's liveness, a user's memberships, an API key, an agency's or a
//! sub-account's status), kept in memory so that a warm request reads none of it again.
//!
//! Architecture Invariant: a cached credential never outlives its revocation by more than the
//! bus's delay (milliseconds; at most a second on SQLite, whose follower polls).
//! - Every change that can make an entry stale records an event ([`Class::stale_after`] maps
//!   each to the classes it clears): this replica clears them right after the request commits,
//!   and every other replica when its bus hears of the event (on PostgreSQL a trigger announces
//!   those events on `canopy_credentials`; on SQLite the follower looks for them by rowid).
//! - An entry is filled only under the [`Stamp`] taken *before* the request's transaction ran
//!   its first statement (a SQLite read transaction's snapshot starts there; on PostgreSQL each
//!   statement sees what committed before it): a clear after the stamp (a revocation committed
//!   while the request ran) makes every fill of that request a no-op.
//! - The cache is trusted only while the bus is following: when the bus loses its connection
//!   every entry is dropped and nothing is cached until it listens and has caught up again.
//! - No entry lives longer than the time to live (`CANOPY_CREDENTIAL_CACHE_TTL_SECS`), which
//!   bounds the damage of a bus that is deaf without knowing it (until its keepalive notices).
//!
//! A clear empties a whole class (every cached session, say): revocations are rare next to
//! requests, and a class-wide clear cannot miss an entry.

use crate::auth::{Membership, Principal};
use crate::event::EventType;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Most entries of one class (when full, the class starts again empty).
pub const MAX_ENTRIES: usize = 100_000;

/// A kind of cached fact, cleared together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Live sessions (access tokens name them).
    Sessions,
    /// Users' memberships (an API key acts with its owner's).
    Memberships,
    /// API keys, by their public prefix.
    ApiKeys,
    /// Agencies' and sub-accounts' status.
    Tenants,
}

impl Class {
    /// Every class.
    pub const ALL: [Class; 4] = [
        Class::Sessions,
        Class::Memberships,
        Class::ApiKeys,
        Class::Tenants,
    ];

    /// The classes an event may make stale (none for most).
    pub fn stale_after(event: EventType) -> &'static [Class] {
        use EventType as E;
        match event {
            E::SessionRevoked
            | E::SessionReuseDetected
            | E::UserPasswordChanged
            | E::UserPasswordReset => &[Class::Sessions],
            E::MembershipGranted | E::MembershipUpdated | E::MembershipRemoved => {
                &[Class::Memberships]
            }
            E::ApiKeyRevoked => &[Class::ApiKeys],
            E::AgencySuspended
            | E::AgencyReactivated
            | E::AgencyDeleted
            | E::AgencyRestored
            | E::SubAccountSuspended
            | E::SubAccountReactivated
            | E::SubAccountDeleted
            | E::SubAccountRestored
            | E::ResellerSuspended
            | E::ResellerReactivated
            | E::ResellerDeleted
            | E::ResellerRestored => &[Class::Tenants],
            _ => &[],
        }
    }

    /// The wire names of every event that clears something (what the PostgreSQL trigger
    /// announces).
    pub fn clearing_events() -> Vec<&'static str> {
        EventType::ALL
            .iter()
            .filter(|e| !Class::stale_after(**e).is_empty())
            .map(|e| e.as_str())
            .collect()
    }
}

/// A live session as cached: whose it is and when it ends.
#[derive(Debug, Clone, Copy)]
pub struct SessionFact {
    /// The session's user.
    pub user_id: Uuid,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// A usable API key as cached (revoked keys are never cached).
#[derive(Debug, Clone)]
pub struct ApiKeyFact {
    /// SHA-256 of its secret part.
    pub secret_hash: String,
    /// What it authenticates as.
    pub principal: Principal,
    /// When it expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
}

tokio::task_local! {
    /// The replica's cache and the request's [`Stamp`] while a GraphQL query's resolvers run
    /// (the gateway sets them: [`in_request`]; not for a mutation, which may delete what the
    /// cache still holds until its commit).
    static REQUEST: (Arc<Credentials>, Stamp);
}

/// Runs `work` (a request's execution) with `cache` and `stamp` reachable through
/// [`with_request`]. Work it spawns (a data loader's batch) does not see them and reads the
/// database instead.
pub async fn in_request<F: std::future::Future>(
    cache: Arc<Credentials>,
    stamp: Stamp,
    work: F,
) -> F::Output {
    REQUEST.scope((cache, stamp), work).await
}

/// `f` of the request's cache and stamp, inside [`in_request`]; `None` outside (a job, a
/// subscription, a spawned task), where callers read the database. The access primitive reads
/// a sub-account's existence here (`tenancy::guard::enter`).
pub fn with_request<T>(f: impl FnOnce(&Credentials, Stamp) -> T) -> Option<T> {
    REQUEST.try_with(|(cache, stamp)| f(cache, *stamp)).ok()
}

/// The epoch under which a fill was read (see the module docs); `None` when the cache is not
/// trusted.
#[derive(Debug, Clone, Copy)]
pub struct Stamp(Option<u64>);

struct Entry<T> {
    value: T,
    at: Instant,
    /// When it stops being true whatever happens (a support grant's end), if it does.
    until: Option<DateTime<Utc>>,
}

#[derive(Default)]
struct Maps {
    sessions: HashMap<Uuid, Entry<SessionFact>>,
    memberships: HashMap<Uuid, Entry<Arc<Vec<Membership>>>>,
    api_keys: HashMap<String, Entry<ApiKeyFact>>,
    /// `(agency, None)` for an agency, `(agency, Some(sub-account))` for a sub-account: whether
    /// it is active (deleted ones are not cached).
    tenants: HashMap<(Uuid, Option<Uuid>), Entry<bool>>,
}

impl Maps {
    fn clear(&mut self, class: Class) {
        match class {
            Class::Sessions => self.sessions.clear(),
            Class::Memberships => self.memberships.clear(),
            Class::ApiKeys => self.api_keys.clear(),
            Class::Tenants => self.tenants.clear(),
        }
    }
}

/// The cache (see the module docs).
pub struct Credentials {
    ttl: Duration,
    epoch: AtomicU64,
    trusted: AtomicBool,
    maps: RwLock<Maps>,
}

impl Credentials {
    /// An empty cache keeping entries for `ttl` (zero turns it off), not trusted until the bus
    /// says it follows ([`Credentials::trust`]).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            epoch: AtomicU64::new(0),
            trusted: AtomicBool::new(false),
            maps: RwLock::new(Maps::default()),
        }
    }

    /// Taken before reading what a fill will hold.
    pub fn stamp(&self) -> Stamp {
        let trusted = self.trusted.load(Ordering::Acquire) && !self.ttl.is_zero();
        Stamp(trusted.then(|| self.epoch.load(Ordering::Acquire)))
    }

    /// Whether the bus follows (entries may be used and filled) or not (every entry dropped).
    pub fn trust(&self, following: bool) {
        let mut maps = self.write();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        *maps = Maps::default();
        self.trusted.store(following, Ordering::Release);
    }

    /// Clears what `event` may have made stale.
    pub fn clear_after(&self, event: EventType) {
        self.clear(Class::stale_after(event));
    }

    /// Clears what the event of this wire name may have made stale (an unknown name, from a
    /// newer replica, clears everything).
    pub fn clear_after_wire(&self, event: &str) {
        match EventType::parse(event.trim()) {
            Some(e) => self.clear_after(e),
            None => self.clear(&Class::ALL),
        }
    }

    /// Empties `classes`.
    pub fn clear(&self, classes: &[Class]) {
        if classes.is_empty() {
            return;
        }
        let mut maps = self.write();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for c in classes {
            maps.clear(*c);
        }
    }

    /// A live session, if cached.
    pub fn session(&self, id: Uuid) -> Option<SessionFact> {
        let fact = self.get(|m| m.sessions.get(&id))?;
        (fact.expires_at > Utc::now()).then_some(fact)
    }

    /// Caches a live session.
    pub fn put_session(&self, stamp: Stamp, id: Uuid, fact: SessionFact) {
        self.put(stamp, |m| insert(&mut m.sessions, id, fact));
    }

    /// A user's memberships, if cached.
    pub fn memberships(&self, user_id: Uuid) -> Option<Arc<Vec<Membership>>> {
        self.get(|m| m.memberships.get(&user_id))
    }

    /// Caches a user's memberships, until the first of them ends (`until`) if one does.
    pub fn put_memberships(
        &self,
        stamp: Stamp,
        user_id: Uuid,
        memberships: Vec<Membership>,
        until: Option<DateTime<Utc>>,
    ) {
        self.put(stamp, |m| {
            insert_until(&mut m.memberships, user_id, Arc::new(memberships), until);
        });
    }

    /// A usable API key by its public prefix, if cached.
    pub fn api_key(&self, prefix: &str) -> Option<ApiKeyFact> {
        self.get(|m| m.api_keys.get(prefix))
    }

    /// Caches a usable API key.
    pub fn put_api_key(&self, stamp: Stamp, prefix: &str, fact: ApiKeyFact) {
        self.put(stamp, |m| insert(&mut m.api_keys, prefix.to_owned(), fact));
    }

    /// Whether an agency (`sub_account` `None`) or a sub-account is active, if cached.
    pub fn tenant(&self, agency_id: Uuid, sub_account: Option<Uuid>) -> Option<bool> {
        self.get(|m| m.tenants.get(&(agency_id, sub_account)))
    }

    /// Caches an agency's or a sub-account's status (only for one that exists, not deleted).
    pub fn put_tenant(
        &self,
        stamp: Stamp,
        agency_id: Uuid,
        sub_account: Option<Uuid>,
        active: bool,
    ) {
        self.put(stamp, |m| {
            insert(&mut m.tenants, (agency_id, sub_account), active);
        });
    }

    fn get<T: Clone>(&self, find: impl FnOnce(&Maps) -> Option<&Entry<T>>) -> Option<T> {
        if !self.trusted.load(Ordering::Acquire) {
            return None;
        }
        let maps = self
            .maps
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        find(&maps)
            .filter(|e| e.at.elapsed() < self.ttl && e.until.is_none_or(|t| t > Utc::now()))
            .map(|e| e.value.clone())
    }

    fn put(&self, stamp: Stamp, fill: impl FnOnce(&mut Maps)) {
        let Some(epoch) = stamp.0 else {
            return;
        };
        let mut maps = self.write();
        // Under the lock that clears take: no clear can slip between the check and the fill.
        if self.epoch.load(Ordering::Acquire) == epoch && self.trusted.load(Ordering::Acquire) {
            fill(&mut maps);
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.maps
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn insert<K: Hash + Eq, T>(map: &mut HashMap<K, Entry<T>>, key: K, value: T) {
    insert_until(map, key, value, None);
}

fn insert_until<K: Hash + Eq, T>(
    map: &mut HashMap<K, Entry<T>>,
    key: K,
    value: T,
    until: Option<DateTime<Utc>>,
) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(
        key,
        Entry {
            value,
            at: Instant::now(),
            until,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> Credentials {
        let c = Credentials::new(Duration::from_secs(30));
        c.trust(true);
        c
    }

    #[test]
    fn a_fill_read_before_a_clear_is_dropped() {
        let c = trusted();
        let (user, agency) = (Uuid::now_v7(), Uuid::now_v7());
        let stamp = c.stamp();
        c.clear_after(EventType::MembershipRemoved);
        c.put_memberships(stamp, user, Vec::new(), None);
        assert!(c.memberships(user).is_none());
        c.put_memberships(c.stamp(), user, Vec::new(), None);
        assert!(c.memberships(user).is_some());
        // A support grant's end ends the entry.
        let ended = Utc::now() - chrono::Duration::seconds(1);
        c.put_memberships(c.stamp(), agency, Vec::new(), Some(ended));
        assert!(c.memberships(agency).is_none());
        c.put_memberships(c.stamp(), user, Vec::new(), None);
        c.put_tenant(c.stamp(), agency, None, true);
        // A membership change leaves tenants; a suspension clears them.
        c.clear_after(EventType::MembershipRemoved);
        assert_eq!(c.tenant(agency, None), Some(true));
        assert!(c.memberships(user).is_none());
        c.clear_after(EventType::SubAccountSuspended);
        assert_eq!(c.tenant(agency, None), None);
    }

    #[test]
    fn nothing_is_cached_or_served_while_the_bus_is_deaf() {
        let c = trusted();
        let id = Uuid::now_v7();
        let fact = SessionFact {
            user_id: Uuid::now_v7(),
            expires_at: Utc::now() + chrono::Duration::hours(1),
        };
        c.put_session(c.stamp(), id, fact);
        assert!(c.session(id).is_some());
        c.trust(false);
        assert!(c.session(id).is_none());
        c.put_session(c.stamp(), id, fact);
        c.trust(true);
        assert!(c.session(id).is_none(), "filled while deaf");
    }

    #[test]
    fn expired_sessions_and_a_zero_ttl_serve_nothing() {
        let c = trusted();
        let id = Uuid::now_v7();
        let gone = SessionFact {
            user_id: Uuid::now_v7(),
            expires_at: Utc::now() - chrono::Duration::seconds(1),
        };
        c.put_session(c.stamp(), id, gone);
        assert!(c.session(id).is_none());
        let off = Credentials::new(Duration::ZERO);
        off.trust(true);
        off.put_tenant(off.stamp(), id, None, true);
        assert_eq!(off.tenant(id, None), None);
    }

    #[test]
    fn revocations_clear_their_class_and_unknown_events_clear_all() {
        let c = trusted();
        assert!(Class::clearing_events().contains(&"session.revoked"));
        assert!(!Class::clearing_events().contains(&"contact.created"));
        let key = ApiKeyFact {
            secret_hash: "h".into(),
            principal: Principal::Anonymous,
            expires_at: None,
        };
        c.put_api_key(c.stamp(), "abc", key.clone());
        c.clear_after_wire("contact.created");
        assert!(c.api_key("abc").is_some());
        c.clear_after_wire("api_key.revoked");
        assert!(c.api_key("abc").is_none());
        c.put_api_key(c.stamp(), "abc", key);
        c.clear_after_wire("something.from_a_newer_replica");
        assert!(c.api_key("abc").is_none());
    }
}
