//! Enqueueing: a job is a row written in the caller's transaction, so a rolled-back change
//! leaves no job and a committed one cannot lose it.

use crate::entity::{JobStatus, job};
use chrono::{DateTime, Utc};
use kernel::Error;
use kernel::auth::Scope;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

/// Attempts a job gets unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

/// Whose job it is: the lane it takes turns in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Canopy's own (retention, schedules, platform email).
    System,
    /// An agency's (the agency-level lane of that agency).
    Agency(Uuid),
    /// A sub-account's.
    SubAccount {
        /// The agency.
        agency_id: Uuid,
        /// The sub-account.
        id: Uuid,
    },
}

impl Owner {
    /// The owner of work done for a scope (platform and reseller work is the system's).
    pub fn of(scope: Scope) -> Self {
        match scope {
            Scope::Agency(id) => Owner::Agency(id),
            Scope::SubAccount { agency_id, id } => Owner::SubAccount { agency_id, id },
            _ => Owner::System,
        }
    }

    /// The stored pair: `(agency_id, sub_account_id)`, with the nil UUID for "none".
    pub fn columns(self) -> (Uuid, Uuid) {
        match self {
            Owner::System => (Uuid::nil(), Uuid::nil()),
            Owner::Agency(a) => (a, Uuid::nil()),
            Owner::SubAccount { agency_id, id } => (agency_id, id),
        }
    }

    /// From the stored pair.
    pub fn from_columns(agency_id: Uuid, sub_account_id: Uuid) -> Self {
        match (agency_id.is_nil(), sub_account_id.is_nil()) {
            (true, _) => Owner::System,
            (false, true) => Owner::Agency(agency_id),
            (false, false) => Owner::SubAccount {
                agency_id,
                id: sub_account_id,
            },
        }
    }

    /// The scope, for a tenant's job.
    pub fn scope(self) -> Option<Scope> {
        match self {
            Owner::System => None,
            Owner::Agency(a) => Some(Scope::Agency(a)),
            Owner::SubAccount { agency_id, id } => Some(Scope::SubAccount { agency_id, id }),
        }
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Which handler runs it (`email.send`).
    pub kind: String,
    /// Whose it is.
    pub owner: Owner,
    /// The handler's input: ids, not copies of data (the handler reads the current state).
    pub payload: serde_json::Value,
    /// When to run it (`None`: now).
    pub run_at: Option<DateTime<Utc>>,
    /// A key that makes enqueueing idempotent: a second job with the same owner, kind and key
    /// is not created.
    pub idempotency_key: Option<String>,
    /// Runs before it is dead (at least 1).
    pub max_attempts: i32,
}

impl NewJob {
    /// A job to run now, with the default attempts and no key.
    pub fn new(kind: impl Into<String>, owner: Owner, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            owner,
            payload,
            run_at: None,
            idempotency_key: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// Runs at `at` instead of now.
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// Enqueued at most once per key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Gives up after this many runs.
    pub fn attempts(mut self, max: i32) -> Self {
        self.max_attempts = max.max(1);
        self
    }
}

/// Enqueues a job on `db` (the caller's transaction). Returns its id, or `None` when a job
/// with the same key existed already.
pub async fn enqueue(db: &impl ConnectionTrait, job: NewJob) -> Result<Option<Uuid>, Error> {
    let now = Utc::now();
    let run_at = job.run_at.unwrap_or(now);
    let (agency_id, sub_account_id) = job.owner.columns();
    let id = kernel::id::new_uuid();
    let row = job::ActiveModel {
        id: Set(id),
        agency_id: Set(agency_id),
        sub_account_id: Set(sub_account_id),
        kind: Set(job.kind),
        payload: Set(job.payload),
        status: Set(if run_at <= now {
            JobStatus::Available
        } else {
            JobStatus::Scheduled
        }),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts.max(1)),
        run_at: Set(run_at),
        lease_until: Set(None),
        locked_by: Set(None),
        idempotency_key: Set(job.idempotency_key),
        last_error: Set(None),
        result: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    };
    // No RETURNING: a request may enqueue a system job it is not allowed to read back.
    let inserted = job::Entity::insert(row)
        // No conflict target: only `jobs_idempotency` can conflict (the id is new), and SQLite
        // checks a named target against the schema its connection cached, which a pool
        // connection opened during the migrations has stale.
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    crate::wake();
    Ok((inserted == 1).then_some(id))
}

/// Cancels the not-yet-running job of `owner` with this kind and key (a deleted reminder's
/// delivery). Returns whether one was cancelled.
pub async fn cancel_by_key(
    db: &impl ConnectionTrait,
    owner: Owner,
    kind: &str,
    key: &str,
) -> Result<bool, Error> {
    let (agency_id, _) = owner.columns();
    let now = Utc::now();
    let r = job::Entity::update_many()
        .col_expr(
            job::Column::Status,
            Expr::value(JobStatus::Cancelled.to_value()),
        )
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::AgencyId.eq(agency_id))
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::IdempotencyKey.eq(key))
        .filter(job::Column::Status.is_in([JobStatus::Scheduled, JobStatus::Available]))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}
