//! Rate budgets for the API: points per window per API key, user, client network and agency,
//! and a daily quota per API key. A request spends one point plus one per
//! [`Rules::cost_per_point`] of its cost (its complexity), so a heavy query counts as many.
//!
//! Windows are fixed (the burst window, 10 s by default, and the UTC day). On PostgreSQL the
//! budgets are shared by every replica: each spends from its own view at once, and every
//! [`SYNC_EVERY`] adds what it spent to one row per key and window (`rate_budgets`, unlogged)
//! and reads back what every replica has spent, in one statement for all keys. Replicas can
//! overspend a budget between two syncs, by at most what they admit in that time; no request
//! waits for the database. On SQLite (one process) the budgets live in the process.
//!
//! No well-kept crate keeps a budget shared across replicas without a round trip per request
//! (governor, which `throttle` uses, is per process), hence this module.

use crate::error::Error;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a replica shares what it spent (PostgreSQL).
pub const SYNC_EVERY: Duration = Duration::from_millis(200);
/// Most keys one replica tracks (when full, the oldest windows go first: they are swept).
const MAX_KEYS: usize = 200_000;

/// The budgets' sizes (`CANOPY_RATE_*`).
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Length of the burst window, seconds.
    pub window_secs: u64,
    /// Points per window for one API key or one user.
    pub per_credential: u64,
    /// Points per window for one client network (every request, signed in or not).
    pub per_ip: u64,
    /// Points per window for one agency (every credential acting in it).
    pub per_agency: u64,
    /// Points per UTC day for one API key.
    pub per_key_daily: u64,
    /// Cost (complexity) that adds one point to a request's one.
    pub cost_per_point: u64,
}

impl Rules {
    /// The rules the configuration sets.
    pub fn of(config: &crate::Config) -> Self {
        Self {
            window_secs: config.rate_window_secs.max(1),
            per_credential: config.rate_per_credential,
            per_ip: config.rate_per_ip,
            per_agency: config.rate_per_agency,
            per_key_daily: config.rate_per_key_daily,
            cost_per_point: config.rate_cost_per_point.max(1),
        }
    }

    /// What a request of this cost spends.
    pub fn points(&self, cost: usize) -> u64 {
        1 + cost as u64 / self.cost_per_point
    }
}

/// Whom a budget belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// An API key (burst and daily).
    ApiKey(uuid::Uuid),
    /// A signed-in user.
    User(uuid::Uuid),
    /// A client network (`throttle::network`).
    Ip(std::net::IpAddr),
    /// An agency.
    Agency(uuid::Uuid),
}

/// A window of a budget: whose, which window, and its limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    name: String,
    /// When the window ends, seconds since the epoch.
    ends: i64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Spent {
    /// What every replica had spent at the last sync (this one's synced spending included).
    shared: u64,
    /// What this replica spent since.
    pending: u64,
}

/// Where a request stands against the tightest budget it spent from (the `RateLimit-*`
/// headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The budget's size, points.
    pub limit: u64,
    /// Points left in its window.
    pub remaining: u64,
    /// Seconds until its window ends.
    pub reset_secs: u64,
    /// The window, seconds (the policy).
    pub window_secs: u64,
}

/// A refusal: which budget is spent, and when it refills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The spent budget (remaining 0).
    pub standing: Standing,
}

impl Refusal {
    /// `RATE_LIMITED`, to retry when the window ends.
    pub fn error(&self) -> Error {
        Error::RateLimited {
            retry_after_secs: self.standing.reset_secs.max(1),
        }
    }
}

/// The budgets of one replica (see the module docs).
pub struct Budgets {
    rules: Rules,
    spent: Mutex<HashMap<Key, Spent>>,
}

impl Budgets {
    /// Empty budgets under `rules`.
    pub fn new(rules: Rules) -> Arc<Self> {
        Arc::new(Self {
            rules,
            spent: Mutex::new(HashMap::new()),
        })
    }

    /// The rules.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Spends `points` from every budget of `subjects` (nothing if any is short): where the
    /// request stands against the tightest, or why it is refused.
    pub fn spend(&self, subjects: &[Subject], points: u64) -> Result<Standing, Refusal> {
        let now = chrono::Utc::now().timestamp();
        // A budget of 0 is off.
        let windows: Vec<(Key, u64, u64)> = subjects
            .iter()
            .flat_map(|s| self.windows_of(s, now))
            .filter(|(_, limit, _)| *limit > 0)
            .collect();
        let mut spent = self
            .spent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if spent.len() > MAX_KEYS {
            spent.retain(|k, _| k.ends > now);
        }
        let mut tightest: Option<Standing> = None;
        for (key, limit, window_secs) in &windows {
            let s = spent.get(key).copied().unwrap_or_default();
            let used = s.shared + s.pending;
            let standing = Standing {
                limit: *limit,
                remaining: limit.saturating_sub(used),
                reset_secs: u64::try_from(key.ends - now).unwrap_or(0).max(1),
                window_secs: *window_secs,
            };
            if used + points > *limit {
                return Err(Refusal {
                    standing: Standing {
                        remaining: 0,
                        ..standing
                    },
                });
            }
            let after = Standing {
                remaining: standing.remaining - points,
                ..standing
            };
            if tightest.is_none_or(|t| after.remaining < t.remaining) {
                tightest = Some(after);
            }
        }
        for (key, _, _) in windows {
            spent.entry(key).or_default().pending += points;
        }
        Ok(tightest.unwrap_or(Standing {
            limit: 0,
            remaining: 0,
            reset_secs: 0,
            window_secs: self.rules.window_secs,
        }))
    }

    /// The windows a subject spends from at `now`: (key, limit, window length).
    fn windows_of(&self, subject: &Subject, now: i64) -> Vec<(Key, u64, u64)> {
        let w = self.rules.window_secs as i64;
        let burst_end = (now.div_euclid(w) + 1) * w;
        let burst = |name: String, limit: u64| {
            (
                Key {
                    name,
                    ends: burst_end,
                },
                limit,
                self.rules.window_secs,
            )
        };
        match subject {
            Subject::ApiKey(id) => {
                let day_end = (now.div_euclid(86_400) + 1) * 86_400;
                vec![
                    burst(format!("key:{id}"), self.rules.per_credential),
                    (
                        Key {
                            name: format!("key-day:{id}"),
                            ends: day_end,
                        },
                        self.rules.per_key_daily,
                        86_400,
                    ),
                ]
            }
            Subject::User(id) => vec![burst(format!("user:{id}"), self.rules.per_credential)],
            Subject::Ip(ip) => vec![burst(
                format!("ip:{}", crate::throttle::network(*ip)),
                self.rules.per_ip,
            )],
            Subject::Agency(id) => vec![burst(format!("agency:{id}"), self.rules.per_agency)],
        }
    }

    /// Shares what this replica spent and learns what all have (PostgreSQL; one statement for
    /// every key of a window not yet over), and forgets windows that are over.
    pub async fn sync(&self, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        let now = chrono::Utc::now().timestamp();
        let sent: Vec<(Key, u64)> = {
            let mut spent = self
                .spent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            spent.retain(|k, _| k.ends > now);
            spent.iter().map(|(k, s)| (k.clone(), s.pending)).collect()
        };
        if sent.is_empty() || db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let names: Vec<String> = sent.iter().map(|(k, _)| k.name.clone()).collect();
        let ends: Vec<i64> = sent.iter().map(|(k, _)| k.ends).collect();
        let adds: Vec<i64> = sent
            .iter()
            .map(|(_, n)| i64::try_from(*n).unwrap_or(i64::MAX))
            .collect();
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO rate_budgets (key, window_end, spent) \
                 SELECT k, to_timestamp(e), n FROM UNNEST($1::text[], $2::bigint[], $3::bigint[]) AS t(k, e, n) \
                 ON CONFLICT (key, window_end) DO UPDATE SET spent = rate_budgets.spent + EXCLUDED.spent \
                 RETURNING key, extract(epoch FROM window_end)::bigint AS ends, spent",
                [names.into(), ends.into(), adds.into()],
            ))
            .await?;
        let sent: HashMap<Key, u64> = sent.into_iter().collect();
        let mut spent = self
            .spent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for r in rows {
            let (Ok(name), Ok(ends), Ok(total)) = (
                r.try_get::<String>("", "key"),
                r.try_get::<i64>("", "ends"),
                r.try_get::<i64>("", "spent"),
            ) else {
                continue;
            };
            let key = Key { name, ends };
            let synced = sent.get(&key).copied().unwrap_or(0);
            if let Some(s) = spent.get_mut(&key) {
                s.pending = s.pending.saturating_sub(synced);
                s.shared = u64::try_from(total).unwrap_or(0);
            }
        }
        Ok(())
    }

    /// Removes windows that ended over a minute ago from the shared table (PostgreSQL).
    pub async fn sweep(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "DELETE FROM rate_budgets WHERE window_end < now() - interval '1 minute'",
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        // An hour: a test never straddles two windows but once an hour, for microseconds.
        Rules {
            window_secs: 3600,
            per_credential: 10,
            per_ip: 30,
            per_agency: 15,
            per_key_daily: 12,
            cost_per_point: 100,
        }
    }

    #[test]
    fn a_burst_meets_its_budget_and_a_refusal_spends_nothing() {
        let b = Budgets::new(rules());
        let user = Subject::User(uuid::Uuid::now_v7());
        for i in 0..10 {
            let s = b.spend(std::slice::from_ref(&user), 1).expect("within");
            assert_eq!(s.remaining, 9 - i);
            assert!(s.reset_secs >= 1 && s.reset_secs <= 3600);
        }
        let refused = b.spend(std::slice::from_ref(&user), 1).expect_err("spent");
        assert_eq!(refused.standing.remaining, 0);
        assert!(matches!(refused.error(), Error::RateLimited { .. }));
        // Another user, and the same network's budget, untouched by the refusal.
        let other = Subject::User(uuid::Uuid::now_v7());
        assert!(b.spend(&[other], 1).is_ok());
    }

    #[test]
    fn cost_adds_points_and_every_budget_must_hold() {
        let r = rules();
        assert_eq!(r.points(0), 1);
        assert_eq!(r.points(250), 3);
        let b = Budgets::new(r);
        let agency = Subject::Agency(uuid::Uuid::now_v7());
        let key = Subject::ApiKey(uuid::Uuid::now_v7());
        // The agency's 15 is the tightest after 8 + 7; the key's day (12) refuses next.
        assert_eq!(
            b.spend(&[key.clone(), agency.clone()], 8)
                .expect("ok")
                .remaining,
            2
        );
        let u = Subject::User(uuid::Uuid::now_v7());
        assert_eq!(b.spend(&[u, agency.clone()], 7).expect("ok").remaining, 0);
        assert!(
            b.spend(std::slice::from_ref(&key), 5).is_err(),
            "the key's burst holds 2 more"
        );
        assert_eq!(b.spend(&[key], 2).expect("ok").remaining, 0);
    }
}
