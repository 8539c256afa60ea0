//! Live connections per credential: one user, or one API key, holds at most
//! `CANOPY_WS_MAX_CONNECTIONS_PER_USER` WebSocket and event-stream connections at once, so a
//! single leaked or runaway credential cannot take every slot the server has.

use kernel::Principal;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Who a live connection counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Holder {
    /// A signed-in user (all their sessions together).
    User(Uuid),
    /// An API key.
    Key(Uuid),
}

/// The live connections each credential holds.
pub struct LiveQuota {
    held: Mutex<HashMap<Holder, usize>>,
    limit: usize,
}

/// One connection's place in its credential's quota, given back when dropped.
pub struct QuotaSlot {
    quota: Arc<LiveQuota>,
    holder: Holder,
}

impl LiveQuota {
    /// A quota of `limit` connections per credential.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            held: Mutex::new(HashMap::new()),
            limit,
        })
    }

    /// The most connections one credential may hold.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Takes a slot for `principal`; `None` when it holds its limit already. Principals that
    /// are neither a user nor a key (none reach a live connection) take an uncounted slot.
    pub fn take(self: &Arc<Self>, principal: &Principal) -> Option<Option<QuotaSlot>> {
        let holder = match principal {
            Principal::User { user_id, .. } => Holder::User(*user_id),
            Principal::ApiKey { key_id, .. } => Holder::Key(*key_id),
            _ => return Some(None),
        };
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.get(&holder).copied().unwrap_or(0);
        if n >= self.limit {
            return None;
        }
        held.insert(holder, n + 1);
        Some(Some(QuotaSlot {
            quota: self.clone(),
            holder,
        }))
    }
}

impl Drop for QuotaSlot {
    fn drop(&mut self) {
        let mut held = self.quota.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.holder) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.holder);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_holds_at_most_its_limit_and_gets_slots_back() {
        let quota = LiveQuota::new(2);
        let user = Principal::User {
            user_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
        };
        let other = Principal::User {
            user_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
        };
        let a = quota.take(&user).expect("first");
        let _b = quota.take(&user).expect("second");
        assert!(quota.take(&user).is_none(), "a third is refused");
        assert!(quota.take(&other).is_some(), "another user is not affected");
        drop(a);
        assert!(quota.take(&user).is_some(), "a dropped slot comes back");
        assert!(quota.take(&Principal::System).expect("uncounted").is_none());
    }
}
