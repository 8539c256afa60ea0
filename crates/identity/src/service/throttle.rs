//! Sign-in throttling per account and per client IP (`kernel::throttle`).
//!
//! The limiters live in the process: with N replicas an attacker gets N times the budget.

use kernel::error::Error;
use kernel::throttle::PerMinute;
use std::net::IpAddr;

/// The sign-in and password-reset throttle.
pub struct LoginThrottle {
    per_account: PerMinute<String>,
    per_ip: PerMinute<IpAddr>,
}

impl LoginThrottle {
    /// Allows `per_account` attempts per account and `per_ip` per IP per minute.
    pub fn new(per_account: u32, per_ip: u32) -> Self {
        Self {
            per_account: PerMinute::new(per_account),
            per_ip: PerMinute::new(per_ip),
        }
    }

    /// Counts one attempt for `account` from `ip`; `RATE_LIMITED` when either budget is spent.
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), Error> {
        if let Some(ip) = ip {
            self.per_ip.check(&ip)?;
        }
        self.per_account.check(&account.to_owned())
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
