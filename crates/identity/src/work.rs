//! Identity's background work: `identity.retention`, hourly, purges what can no longer be
//! used — expired sessions (their refresh tokens go with them), sessions revoked over 30 days
//! ago, expired refresh tokens and expired or used password-reset codes. Bounded batches; a
//! second run finds nothing more to do.

use chrono::Utc;
use jobs::retention::purge;
use jobs::{Backoff, JobResult, JobRun, Recurring, Registry};
use serde_json::json;

/// The retention job's kind.
pub const RETENTION: &str = "identity.retention";

/// Registers the retention job and its hourly schedule.
pub fn register(registry: &mut Registry) {
    registry.on(RETENTION, Backoff::default(), run);
    registry.every(Recurring {
        name: RETENTION,
        cron: "17 * * * *",
        timezone: "UTC",
        kind: RETENTION,
        payload: json!({}),
    });
}

async fn run(run: JobRun) -> JobResult {
    let now = Utc::now();
    let db = &run.db;
    let refresh_tokens = purge(db, "refresh_tokens", "expires_at < $1", now).await?;
    let sessions = purge(db, "sessions", "expires_at < $1", now).await?
        + purge(
            db,
            "sessions",
            "revoked_at < $1",
            now - chrono::Duration::days(30),
        )
        .await?;
    let resets = purge(
        db,
        "password_resets",
        "expires_at < $1 OR used_at IS NOT NULL",
        now,
    )
    .await?;
    tracing::info!(
        sessions,
        refresh_tokens,
        password_resets = resets,
        "retention: expired credentials purged"
    );
    Ok(json!({ "sessions": sessions, "refresh_tokens": refresh_tokens, "password_resets": resets }))
}
