//! A side effect for job tests: one row per job in `job_effects`, written idempotently (keyed by
//! the job's id), as a real handler makes its effect.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

/// Creates `job_effects` (as the test database's owner).
pub async fn create_table(db: &impl ConnectionTrait) {
    let id_type = match db.get_database_backend() {
        DbBackend::Postgres => "uuid",
        _ => "blob",
    };
    db.execute_unprepared(&format!(
        "CREATE TABLE job_effects (job_id {id_type} PRIMARY KEY, attempt integer NOT NULL)"
    ))
    .await
    .expect("create job_effects");
}

/// Writes the effect of job `id` once: a second run with the same id changes nothing.
pub async fn write(
    db: &impl ConnectionTrait,
    id: Uuid,
    attempt: i32,
) -> Result<(), sea_orm::DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO job_effects (job_id, attempt) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING",
        [id.into(), attempt.into()],
    ))
    .await
    .map(|_| ())
}

/// How many effects were written.
pub async fn count(db: &impl ConnectionTrait) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM job_effects",
        ))
        .await
        .expect("count effects")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}
