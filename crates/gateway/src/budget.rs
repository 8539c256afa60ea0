//! The rate budgets at the edge (`kernel::budget`): which budgets a request spends from, the
//! `RateLimit-*` headers every `/graphql` answer carries (IETF draft
//! `draft-ietf-httpapi-ratelimit-headers`: `RateLimit-Limit`, `RateLimit-Remaining`,
//! `RateLimit-Reset`, `RateLimit-Policy`), and the replica's sharing of what it spent.

use axum::http::HeaderValue;
use axum::response::Response;
use kernel::budget::{Budgets, Standing, Subject};
use kernel::{Actor, Principal};
use std::sync::Arc;

/// The budgets a request spends from once its credential and tenant are known: its API key's
/// or user's, and its agency's.
pub fn subjects(actor: &Actor) -> Vec<Subject> {
    let mut subjects = Vec::with_capacity(2);
    match &actor.principal {
        Principal::ApiKey { key_id, .. } => subjects.push(Subject::ApiKey(*key_id)),
        Principal::User { user_id, .. } => subjects.push(Subject::User(*user_id)),
        _ => {}
    }
    if let Some(agency) = actor.tenant {
        subjects.push(Subject::Agency(agency));
    }
    subjects
}

/// The tighter of two standings (the one with fewer points left; a budget that is off, limit
/// 0, is never the tighter).
pub fn tighter(a: Standing, b: Standing) -> Standing {
    if b.limit > 0 && (a.limit == 0 || b.remaining < a.remaining) {
        b
    } else {
        a
    }
}

/// Adds the `RateLimit-*` headers of `standing` to a response.
pub fn headers(mut resp: Response, standing: Standing) -> Response {
    if standing.limit == 0 {
        return resp;
    }
    let h = resp.headers_mut();
    h.insert("ratelimit-limit", HeaderValue::from(standing.limit));
    h.insert("ratelimit-remaining", HeaderValue::from(standing.remaining));
    h.insert("ratelimit-reset", HeaderValue::from(standing.reset_secs));
    if let Ok(v) = HeaderValue::from_str(&format!("{};w={}", standing.limit, standing.window_secs))
    {
        h.insert("ratelimit-policy", v);
    }
    resp
}

/// Shares this replica's spending with the others every `kernel::budget::SYNC_EVERY`, and
/// sweeps ended windows every minute, on a connection of its own (PostgreSQL only: on SQLite
/// one process holds every budget). The task, to abort when the server stops.
pub async fn share(
    config: &kernel::Config,
    budgets: Arc<Budgets>,
) -> Option<tokio::task::JoinHandle<()>> {
    if !config.database_url().starts_with("postgres") {
        return None;
    }
    let db = match kernel::pool::connect_budgets(config).await {
        Ok(db) => db,
        Err(e) => {
            tracing::warn!(error = %e, "rate budgets: cannot connect; budgets stay per replica");
            return None;
        }
    };
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(kernel::budget::SYNC_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut swept = std::time::Instant::now();
        loop {
            tick.tick().await;
            if let Err(e) = budgets.sync(&db).await {
                tracing::warn!(error = %e, "rate budgets: sharing failed");
            }
            if swept.elapsed() > std::time::Duration::from_secs(60) {
                swept = std::time::Instant::now();
                if let Err(e) = Budgets::sweep(&db).await {
                    tracing::warn!(error = %e, "rate budgets: sweeping failed");
                }
            }
        }
    }))
}
