//! Sign-in throttling per account and per client IP (governor's keyed GCRA limiters).
//!
//! The limiters live in the process: with N replicas an attacker gets N times the budget.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use kernel::error::Error;
use std::net::IpAddr;
use std::num::NonZeroU32;

/// Keys above which idle entries are swept.
const SWEEP_ABOVE: usize = 50_000;

/// The sign-in and password-reset throttle.
pub struct LoginThrottle {
    per_account: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl LoginThrottle {
    /// Allows `per_account` attempts per account and `per_ip` per IP per minute.
    pub fn new(per_account: u32, per_ip: u32) -> Self {
        Self {
            per_account: RateLimiter::keyed(per_minute(per_account)),
            per_ip: RateLimiter::keyed(per_minute(per_ip)),
        }
    }

    /// Counts one attempt for `account` from `ip`; `RATE_LIMITED` when either budget is spent.
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), Error> {
        if self.per_account.len() > SWEEP_ABOVE {
            self.per_account.retain_recent();
        }
        if self.per_ip.len() > SWEEP_ABOVE {
            self.per_ip.retain_recent();
        }
        let clock = governor::clock::DefaultClock::default();
        let limited = |not_until: governor::NotUntil<_>| Error::RateLimited {
            retry_after_secs: not_until.wait_time_from(clock.now()).as_secs().max(1),
        };
        if let Some(ip) = ip {
            self.per_ip.check_key(&ip).map_err(limited)?;
        }
        self.per_account
            .check_key(&account.to_owned())
            .map_err(limited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_budget_runs_out_and_is_per_account() {
        let t = LoginThrottle::new(3, 100);
        let ip = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..3 {
            assert!(t.check("a@x.io", ip).is_ok());
        }
        let err = t.check("a@x.io", ip).expect_err("limited");
        assert!(matches!(err, Error::RateLimited { retry_after_secs } if retry_after_secs >= 1));
        assert!(t.check("b@x.io", ip).is_ok());
    }

    #[test]
    fn ip_budget_spans_accounts() {
        let t = LoginThrottle::new(100, 2);
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        assert!(t.check("a@x.io", ip).is_ok());
        assert!(t.check("b@x.io", ip).is_ok());
        assert!(t.check("c@x.io", ip).is_err());
        assert!(t.check("c@x.io", Some(IpAddr::from([10, 0, 0, 2]))).is_ok());
    }
}
