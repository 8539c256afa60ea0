//! Retention: bounded, idempotent batch deletes for the retention jobs of every crate, and the
//! runtime's own (`jobs.retention`: finished jobs).

use crate::registry::{Backoff, JobResult, JobRun, Recurring, Registry};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement, Value};
use serde_json::json;

/// Rows one statement deletes at most.
pub const BATCH: u64 = 1_000;
/// Statements one run makes at most per table (what is left waits for the next run).
pub const MAX_BATCHES: u64 = 50;

/// Deletes the rows of `table` matching `condition` (SQL over the table's columns, with `$1`
/// bound to `cutoff`), `BATCH` at a time, at most `MAX_BATCHES` times. Returns how many.
pub async fn purge(
    db: &impl ConnectionTrait,
    table: &str,
    condition: &str,
    cutoff: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let sql = format!(
        "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {condition} LIMIT {BATCH})"
    );
    let mut total = 0;
    for _ in 0..MAX_BATCHES {
        let n = db
            .execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                &sql,
                [Value::from(cutoff)],
            ))
            .await?
            .rows_affected();
        total += n;
        if n < BATCH {
            break;
        }
    }
    Ok(total)
}

/// The kind that purges finished jobs.
pub const RETENTION: &str = "jobs.retention";

/// Registers `jobs.retention`, hourly: succeeded and cancelled jobs after 7 days, dead ones
/// after 30.
pub fn register(registry: &mut Registry) {
    registry.on(RETENTION, Backoff::default(), run);
    registry.every(Recurring {
        name: RETENTION,
        cron: "41 * * * *",
        timezone: "UTC",
        kind: RETENTION,
        payload: json!({}),
    });
}

async fn run(run: JobRun) -> JobResult {
    let now = Utc::now();
    let done = purge(
        &run.db,
        "jobs",
        "status IN ('succeeded', 'cancelled') AND finished_at < $1",
        now - chrono::Duration::days(7),
    )
    .await?;
    let dead = purge(
        &run.db,
        "jobs",
        "status = 'dead' AND finished_at < $1",
        now - chrono::Duration::days(30),
    )
    .await?;
    tracing::info!(finished = done, dead, "retention: old jobs purged");
    Ok(json!({ "finished": done, "dead": dead }))
}
