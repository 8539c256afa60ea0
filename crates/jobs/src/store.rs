//! The runtime's statements: the fair claim, acknowledgements, the lease, promotion and the
//! reaper. Every transition is one statement, fenced by the worker's id (and, for failures, the
//! attempt), so a worker that lost its lease cannot overwrite what another worker did since.
//!
//! Fairness: jobs ready to run are walked by lane, `(agency_id, sub_account_id)`, through the
//! `jobs_ready` index. A claim takes the next agencies after the last one served (a loose
//! index scan, wrapping around), and inside each agency its next sub-account after the last one
//! served, so one agency's 100,000 queued jobs cost another agency one turn of waiting, not
//! 100,000 jobs.

use crate::entity::{JobStatus, job};
use chrono::{DateTime, Utc};
use kernel::Error;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    Statement, Value,
};
use uuid::Uuid;

/// A claimed job.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct Claimed {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub sub_account_id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
struct AgencyRow {
    agency_id: Uuid,
}

/// The next agencies with ready jobs after `after` (`inclusive`: from it), in id order.
pub(crate) async fn next_agencies(
    db: &impl ConnectionTrait,
    after: Uuid,
    inclusive: bool,
    limit: usize,
) -> Result<Vec<Uuid>, Error> {
    let first = if inclusive { ">=" } else { ">" };
    let sql = format!(
        "WITH RECURSIVE a(agency_id, n) AS (
           SELECT (SELECT agency_id FROM jobs WHERE status = 'available' AND agency_id {first} $1
                   ORDER BY agency_id LIMIT 1), 1
           UNION ALL
           SELECT (SELECT j.agency_id FROM jobs j WHERE j.status = 'available' AND j.agency_id > a.agency_id
                   ORDER BY j.agency_id LIMIT 1), a.n + 1
           FROM a WHERE a.agency_id IS NOT NULL AND a.n < $2
         )
         SELECT agency_id FROM a WHERE agency_id IS NOT NULL"
    );
    let rows = AgencyRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [after.into(), (limit as i64).into()],
    ))
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|r| r.agency_id).collect())
}

/// Claims up to `limit` ready jobs of one agency, from its next sub-account lane after
/// `after_lane` (wrapping around).
async fn claim_lane(
    db: &impl ConnectionTrait,
    worker: Uuid,
    agency_id: Uuid,
    after_lane: Uuid,
    limit: usize,
    lease_until: DateTime<Utc>,
) -> Result<Vec<Claimed>, Error> {
    let backend = db.get_database_backend();
    let lane = "COALESCE(
        (SELECT sub_account_id FROM jobs WHERE status = 'available' AND agency_id = $1 AND sub_account_id > $2
         ORDER BY sub_account_id LIMIT 1),
        (SELECT sub_account_id FROM jobs WHERE status = 'available' AND agency_id = $1
         ORDER BY sub_account_id LIMIT 1))";
    let set = "status = 'running', attempts = jobs.attempts + 1, locked_by = $4, lease_until = $5, updated_at = $6";
    let returning = "jobs.id, jobs.agency_id, jobs.sub_account_id, jobs.kind, jobs.payload, jobs.attempts, jobs.max_attempts, jobs.run_at";
    let sql = match backend {
        DbBackend::Postgres => format!(
            "WITH picked AS (
               SELECT id FROM jobs
               WHERE status = 'available' AND agency_id = $1 AND sub_account_id = {lane}
               ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
             UPDATE jobs SET {set} FROM picked WHERE jobs.id = picked.id RETURNING {returning}"
        ),
        // One writer at a time: the statement is its own transaction.
        _ => format!(
            "UPDATE jobs SET {set} WHERE id IN (
               SELECT id FROM jobs
               WHERE status = 'available' AND agency_id = $1 AND sub_account_id = {lane}
               ORDER BY run_at, id LIMIT $3)
             RETURNING {returning}"
        ),
    };
    let values: Vec<Value> = vec![
        agency_id.into(),
        after_lane.into(),
        (limit as i64).into(),
        worker.into(),
        lease_until.into(),
        Utc::now().into(),
    ];
    Ok(
        Claimed::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(db)
            .await?,
    )
}

/// Claims, for each `(agency, after_lane, limit)`, up to `limit` ready jobs of that agency from
/// its next sub-account lane after `after_lane`. On PostgreSQL one statement (one commit) for
/// every lane; on SQLite one statement per lane (its commits do not wait for the disk).
pub(crate) async fn claim_lanes(
    db: &impl ConnectionTrait,
    worker: Uuid,
    plan: &[(Uuid, Uuid, usize)],
    lease_until: DateTime<Utc>,
) -> Result<Vec<Claimed>, Error> {
    // No lane to serve (no agency has work, or every one holds its share): no statement, and
    // none with an empty `VALUES` list, which is a syntax error.
    if plan.is_empty() {
        return Ok(Vec::new());
    }
    if db.get_database_backend() != DbBackend::Postgres || plan.len() == 1 {
        let mut out = Vec::new();
        for (agency, after, limit) in plan {
            out.extend(claim_lane(db, worker, *agency, *after, *limit, lease_until).await?);
        }
        return Ok(out);
    }
    let mut values: Vec<Value> = vec![worker.into(), lease_until.into(), Utc::now().into()];
    let mut rows = Vec::with_capacity(plan.len());
    for (agency, after, limit) in plan {
        let n = values.len();
        rows.push(format!(
            "(${}::uuid, ${}::uuid, ${}::bigint)",
            n + 1,
            n + 2,
            n + 3
        ));
        values.push((*agency).into());
        values.push((*after).into());
        values.push((*limit as i64).into());
    }
    let sql = format!(
        "WITH plan(agency_id, after_lane, n) AS (VALUES {}),
         picked AS (
           SELECT j.id FROM plan CROSS JOIN LATERAL (
             SELECT id FROM jobs
             WHERE status = 'available' AND agency_id = plan.agency_id AND sub_account_id = COALESCE(
               (SELECT sub_account_id FROM jobs WHERE status = 'available' AND agency_id = plan.agency_id
                  AND sub_account_id > plan.after_lane ORDER BY sub_account_id LIMIT 1),
               (SELECT sub_account_id FROM jobs WHERE status = 'available' AND agency_id = plan.agency_id
                  ORDER BY sub_account_id LIMIT 1))
             ORDER BY run_at, id LIMIT plan.n FOR UPDATE SKIP LOCKED) j)
         UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1, locked_by = $1,
           lease_until = $2, updated_at = $3
         FROM picked WHERE jobs.id = picked.id
         RETURNING jobs.id, jobs.agency_id, jobs.sub_account_id, jobs.kind, jobs.payload,
           jobs.attempts, jobs.max_attempts, jobs.run_at",
        rows.join(", ")
    );
    Ok(Claimed::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .all(db)
    .await?)
}

/// The filter that fences a transition to the run that claimed it.
fn held(
    q: sea_orm::UpdateMany<job::Entity>,
    id: Uuid,
    worker: Uuid,
    attempt: i32,
) -> sea_orm::UpdateMany<job::Entity> {
    q.filter(job::Column::Id.eq(id))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Attempts.eq(attempt))
        .filter(job::Column::Status.eq(JobStatus::Running))
}

fn status(s: JobStatus) -> sea_orm::sea_query::SimpleExpr {
    Expr::value(s.to_value())
}

/// Marks many runs succeeded in one statement (`(id, result)` pairs, all held by `worker`).
/// Returns the ids it marked: a missing one lost its lease to another worker.
pub(crate) async fn succeed_many(
    db: &impl ConnectionTrait,
    worker: Uuid,
    done: &[(Uuid, serde_json::Value)],
) -> Result<Vec<Uuid>, Error> {
    #[derive(FromQueryResult)]
    struct Marked {
        id: Uuid,
    }
    if done.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = vec![Utc::now().into(), worker.into()];
    let mut cases = String::new();
    let mut ids = Vec::with_capacity(done.len());
    for (id, result) in done {
        let (i, r) = (values.len() + 1, values.len() + 2);
        values.push((*id).into());
        values.push(result.clone().into());
        cases.push_str(&format!(" WHEN ${i} THEN ${r}"));
        ids.push(format!("${i}"));
    }
    let sql = format!(
        "UPDATE jobs SET status = 'succeeded', result = CASE id{cases} END, finished_at = $1,
           updated_at = $1, locked_by = NULL, lease_until = NULL
         WHERE locked_by = $2 AND status = 'running' AND id IN ({})
         RETURNING id",
        ids.join(", ")
    );
    Ok(Marked::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|m| m.id)
    .collect())
}

/// Marks a run failed: scheduled again at `retry_at`, or dead when `retry_at` is `None`.
pub(crate) async fn fail(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: Uuid,
    attempt: i32,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<bool, Error> {
    let now = Utc::now();
    let error: String = error.chars().take(2000).collect();
    let mut q = job::Entity::update_many()
        .col_expr(job::Column::LastError, Expr::value(error))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .col_expr(job::Column::LockedBy, Expr::value(Option::<Uuid>::None))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    q = match retry_at {
        Some(at) if at <= now => q
            .col_expr(job::Column::Status, status(JobStatus::Available))
            .col_expr(job::Column::RunAt, Expr::value(at)),
        Some(at) => q
            .col_expr(job::Column::Status, status(JobStatus::Scheduled))
            .col_expr(job::Column::RunAt, Expr::value(at)),
        None => q
            .col_expr(job::Column::Status, status(JobStatus::Dead))
            .col_expr(job::Column::FinishedAt, Expr::value(now)),
    };
    Ok(held(q, id, worker, attempt).exec(db).await?.rows_affected == 1)
}

/// Extends the lease of every job `worker` holds.
pub(crate) async fn heartbeat(
    db: &impl ConnectionTrait,
    worker: Uuid,
    lease_until: DateTime<Utc>,
) -> Result<u64, Error> {
    Ok(job::Entity::update_many()
        .col_expr(job::Column::LeaseUntil, Expr::value(lease_until))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Status.eq(JobStatus::Running))
        .exec(db)
        .await?
        .rows_affected)
}

/// Puts back what `worker` still holds (at shutdown): available again, the run not counted.
pub(crate) async fn release(db: &impl ConnectionTrait, worker: Uuid) -> Result<u64, Error> {
    Ok(job::Entity::update_many()
        .col_expr(job::Column::Status, status(JobStatus::Available))
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).sub(1),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Option::<Uuid>::None))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Status.eq(JobStatus::Running))
        .exec(db)
        .await?
        .rows_affected)
}

/// Jobs whose worker vanished (lease expired): dead if that was their last attempt, else
/// available again. Returns how many were taken back.
pub(crate) async fn reap(db: &impl ConnectionTrait) -> Result<u64, Error> {
    let now = Utc::now();
    let expired = || {
        job::Entity::update_many()
            .col_expr(job::Column::LockedBy, Expr::value(Option::<Uuid>::None))
            .col_expr(
                job::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                job::Column::LastError,
                Expr::value("the worker running it stopped answering (lease expired)"),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Status.eq(JobStatus::Running))
            .filter(job::Column::LeaseUntil.lt(now))
    };
    let dead = expired()
        .col_expr(job::Column::Status, status(JobStatus::Dead))
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .filter(Expr::col(job::Column::Attempts).gte(Expr::col(job::Column::MaxAttempts)))
        .exec(db)
        .await?
        .rows_affected;
    let back = expired()
        .col_expr(job::Column::Status, status(JobStatus::Available))
        .exec(db)
        .await?
        .rows_affected;
    Ok(dead + back)
}

/// Makes due scheduled jobs available, a bounded batch at a time. Returns how many.
pub(crate) async fn promote(db: &impl ConnectionTrait, batch: u64) -> Result<u64, Error> {
    let now = Utc::now();
    let r = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "UPDATE jobs SET status = 'available', updated_at = $1 WHERE id IN (
               SELECT id FROM jobs WHERE status = 'scheduled' AND run_at <= $1
               ORDER BY run_at LIMIT $2)",
            [now.into(), (batch as i64).into()],
        ))
        .await?;
    Ok(r.rows_affected())
}
