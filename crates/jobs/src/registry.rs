//! What runs a job: handlers registered by kind, each with its retry policy, and the recurring
//! schedules. The domains register theirs; the runtime knows no kind by name.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

use crate::enqueue::Owner;

/// One run of a job, as its handler sees it.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// The job's id: with [`JobRun::attempt`], the key of an idempotent effect.
    pub id: Uuid,
    /// Its kind.
    pub kind: String,
    /// Whose it is.
    pub owner: Owner,
    /// Its payload.
    pub payload: serde_json::Value,
    /// This run's number, from 1.
    pub attempt: i32,
    /// Runs it gets in all.
    pub max_attempts: i32,
    /// When it was due.
    pub run_at: DateTime<Utc>,
    /// The runtime's pool (on PostgreSQL it may read every tenant's jobs, and nothing else
    /// without a tenant set: a handler sets the job's tenant before it reads tenant data).
    pub db: sea_orm::DatabaseConnection,
}

impl JobRun {
    /// Whether this is its last allowed run.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// Why a run did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Try again later (by the kind's backoff): a timeout, a 4xx SMTP reply, a 500.
    Retry(String),
    /// Give up now: the job goes dead (a 5xx SMTP reply, a payload naming nothing).
    Fail(String),
}

impl JobError {
    /// The message.
    pub fn message(&self) -> &str {
        match self {
            JobError::Retry(m) | JobError::Fail(m) => m,
        }
    }
}

impl From<kernel::Error> for JobError {
    fn from(e: kernel::Error) -> Self {
        match e {
            kernel::Error::NotFound => JobError::Fail("not found".into()),
            other => JobError::Retry(other.public_message()),
        }
    }
}

impl From<sea_orm::DbErr> for JobError {
    fn from(e: sea_orm::DbErr) -> Self {
        JobError::Retry(format!("database: {e}"))
    }
}

/// What a successful run returns: shown as the job's result.
pub type JobResult = Result<serde_json::Value, JobError>;

/// A handler: runs one job.
pub type Handler = Arc<dyn Fn(JobRun) -> BoxFuture<'static, JobResult> + Send + Sync>;

/// When a failed job runs again.
#[derive(Debug, Clone)]
pub enum Backoff {
    /// `base * 2^(attempt-1)`, at most `max`, with up to 25% random jitter either way.
    Exponential {
        /// The first delay.
        base: Duration,
        /// The longest delay.
        max: Duration,
    },
    /// A fixed schedule: the n-th retry waits `delays[n-1]` (the last one repeats), with up to
    /// 10% jitter (Svix's webhook schedule).
    Schedule(Vec<Duration>),
}

impl Backoff {
    /// The delay before the run after `attempt` (1-based) failed.
    pub fn delay(&self, attempt: i32) -> Duration {
        let attempt = attempt.max(1) as u32;
        let (d, jitter) = match self {
            Backoff::Exponential { base, max } => {
                let factor = 2u32.saturating_pow((attempt - 1).min(20));
                (base.saturating_mul(factor).min(*max), 0.25)
            }
            Backoff::Schedule(delays) => {
                let i = (attempt as usize - 1).min(delays.len().saturating_sub(1));
                (delays.get(i).copied().unwrap_or_default(), 0.10)
            }
        };
        let spread: f64 = rand::random_range(-jitter..=jitter);
        d.mul_f64((1.0 + spread).max(0.0))
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::Exponential {
            base: Duration::from_secs(5),
            max: Duration::from_secs(3600),
        }
    }
}

/// A registered kind.
#[derive(Clone)]
pub(crate) struct Kind {
    pub handler: Handler,
    pub backoff: Backoff,
}

/// A recurring schedule.
#[derive(Debug, Clone)]
pub struct Recurring {
    /// Its unique name (`retention`).
    pub name: &'static str,
    /// A cron expression (5 fields, or 6 with seconds first).
    pub cron: &'static str,
    /// The IANA time zone the expression is read in (`Europe/Berlin`).
    pub timezone: &'static str,
    /// The kind of job each run enqueues (a system job).
    pub kind: &'static str,
    /// Its payload.
    pub payload: serde_json::Value,
}

/// Work done on every maintenance tick of every replica (the webhook dispatcher): it must be
/// idempotent, since replicas tick at the same time. Returns how much it did.
pub type Ticker = Arc<
    dyn Fn(sea_orm::DatabaseConnection) -> BoxFuture<'static, Result<u64, kernel::Error>>
        + Send
        + Sync,
>;

/// Every kind a runtime can run, the recurring schedules, and the tickers.
#[derive(Clone, Default)]
pub struct Registry {
    pub(crate) kinds: HashMap<String, Kind>,
    pub(crate) schedules: Vec<Recurring>,
    pub(crate) tickers: Vec<(&'static str, Ticker)>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler of `kind`, retried with `backoff`.
    pub fn on<F, Fut>(&mut self, kind: &'static str, backoff: Backoff, handler: F) -> &mut Self
    where
        F: Fn(JobRun) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = JobResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |run| Box::pin(handler(run)));
        self.kinds
            .insert(kind.to_owned(), Kind { handler, backoff });
        self
    }

    /// Adds a recurring schedule.
    pub fn every(&mut self, schedule: Recurring) -> &mut Self {
        self.schedules.push(schedule);
        self
    }

    /// Runs `f` on every maintenance tick (about once a second) of every replica.
    pub fn tick<F, Fut>(&mut self, name: &'static str, f: F) -> &mut Self
    where
        F: Fn(sea_orm::DatabaseConnection) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<u64, kernel::Error>> + Send + 'static,
    {
        let ticker: Ticker = Arc::new(move |db| Box::pin(f(db)));
        self.tickers.push((name, ticker));
        self
    }

    /// The registered kinds.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_backoff_doubles_with_jitter_and_caps() {
        let b = Backoff::Exponential {
            base: Duration::from_secs(10),
            max: Duration::from_secs(60),
        };
        let first = b.delay(1).as_secs_f64();
        assert!((7.5..=12.5).contains(&first), "{first}");
        let third = b.delay(3).as_secs_f64();
        assert!((30.0..=50.0).contains(&third), "{third}");
        assert!(b.delay(30).as_secs_f64() <= 75.0);
    }

    #[test]
    fn a_schedule_repeats_its_last_delay() {
        let b = Backoff::Schedule(vec![Duration::ZERO, Duration::from_secs(100)]);
        assert_eq!(b.delay(1), Duration::ZERO);
        let later = b.delay(7).as_secs_f64();
        assert!((90.0..=110.0).contains(&later), "{later}");
    }
}
