//! Per-key budgets per minute (governor's keyed GCRA limiters): sign-in attempts, form
//! submissions.
//!
//! A budget lives in the process: with N replicas a sender gets N times the budget.

use crate::error::Error;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use std::hash::Hash;
use std::num::NonZeroU32;

/// Keys above which idle entries are swept.
const SWEEP_ABOVE: usize = 50_000;

/// A budget of `n` a minute per key (bursts up to `n`).
pub struct PerMinute<K: Hash + Eq + Clone>(DefaultKeyedRateLimiter<K>);

impl<K: Hash + Eq + Clone> PerMinute<K> {
    /// `n` a minute per key (at least 1).
    pub fn new(n: u32) -> Self {
        let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        Self(RateLimiter::keyed(Quota::per_minute(n)))
    }

    /// Spends one from `key`'s budget; `RATE_LIMITED` (with the wait) when it is spent.
    pub fn check(&self, key: &K) -> Result<(), Error> {
        if self.0.len() > SWEEP_ABOVE {
            self.0.retain_recent();
        }
        self.0
            .check_key(key)
            .map_err(|not_until| Error::RateLimited {
                retry_after_secs: not_until
                    .wait_time_from(governor::clock::DefaultClock::default().now())
                    .as_secs()
                    .max(1),
            })
    }
}

/// The address a sender is counted by: an IPv4 address, or an IPv6 address's /64 network (one
/// subscriber's usual allocation, which hands out addresses by the billion).
pub fn network(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => {
            let mut o = v6.octets();
            o[8..].fill(0);
            std::net::IpAddr::V6(o.into())
        }
        v4 => v4,
    }
}
