//! Delivering a message (`webhook.deliver`): a signed POST to the endpoint, every attempt
//! logged, retried on Svix's schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts in
//! all); any non-2xx answer or none within 15 s counts as a failure. An endpoint that has
//! failed every delivery for 5 days is disabled and its owner notified.

use crate::entity::{EndpointStatus, MessageStatus, attempt, endpoint as ep, message};
use chrono::{DateTime, Utc};
use jobs::{Backoff, JobError, JobResult, JobRun, NewJob, Owner, Registry};
use kernel::auth::Actor;
use kernel::db::TenantGuard;
use kernel::error::Error;
use kernel::id::{GlobalId, NodeKind};
use kernel::notify::{self, NewNotification};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter,
};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The delivery job's kind.
pub const DELIVER: &str = "webhook.deliver";
/// Attempts of one message.
pub const MAX_ATTEMPTS: i32 = 8;
/// Svix's retry schedule (after the first, immediate attempt).
const SCHEDULE: [u64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// An endpoint failing everything for this long is disabled.
const DISABLE_AFTER_DAYS: i64 = 5;
/// How long an endpoint has to answer.
const TIMEOUT: Duration = Duration::from_secs(15);

/// The lane a message is delivered in: its endpoint's scope.
pub(crate) fn owner_of(e: &ep::Model) -> Owner {
    Owner::of(crate::service::scope_of(e))
}

/// Enqueues the delivery of `m` (in the caller's transaction); `series` tells redeliveries
/// apart (the number of attempts made before).
pub(crate) async fn enqueue(
    db: &impl ConnectionTrait,
    owner: Owner,
    m: &message::Model,
    series: i32,
) -> Result<(), Error> {
    jobs::enqueue(
        db,
        NewJob::new(DELIVER, owner, json!({ "message_id": m.id }))
            .key(format!("{}:{series}", m.id))
            .attempts(MAX_ATTEMPTS),
    )
    .await?;
    Ok(())
}

struct Sender {
    client: reqwest::Client,
}

/// Registers `webhook.deliver` and the dispatcher. `retry_scale` multiplies the schedule's
/// delays (1.0 in production; tests shrink it).
pub fn register(
    registry: &mut Registry,
    settings: crate::Settings,
    retry_scale: f64,
) -> Result<(), String> {
    // reqwest is built without a TLS crypto provider of its own: use rustls' ring, the one
    // lettre uses (a no-op if the process installed one already).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("Canopy-Webhooks/", env!("CARGO_PKG_VERSION")));
    if !settings.allow_private {
        builder = builder.dns_resolver(Arc::new(crate::ssrf::PublicOnly));
    }
    let sender = Arc::new(Sender {
        client: builder
            .build()
            .map_err(|e| format!("webhook client: {e}"))?,
    });
    let delays: Vec<Duration> = SCHEDULE
        .iter()
        .map(|s| Duration::from_secs(*s).mul_f64(retry_scale.max(0.0)))
        .collect();
    registry.on(DELIVER, Backoff::Schedule(delays), move |run| {
        let sender = sender.clone();
        async move { deliver(&sender, settings, run).await }
    });
    crate::dispatch::register(registry);
    Ok(())
}

fn signature(secrets: &[&str], id: &str, ts: i64, body: &str) -> Result<String, JobError> {
    let mut out = Vec::new();
    for s in secrets {
        let wh = standardwebhooks::Webhook::new(s)
            .map_err(|e| JobError::Fail(format!("the endpoint's secret is unusable: {e}")))?;
        out.push(
            wh.sign(id, ts, body.as_bytes())
                .map_err(|e| JobError::Fail(format!("cannot sign: {e}")))?,
        );
    }
    Ok(out.join(" "))
}

async fn deliver(sender: &Sender, settings: crate::Settings, run: JobRun) -> JobResult {
    let Some(agency_id) = run.owner.scope().and_then(|s| s.agency_id()) else {
        return Err(JobError::Fail("a webhook belongs to an agency".into()));
    };
    let id: Uuid = run
        .payload
        .get("message_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| JobError::Fail("the payload names no message_id".into()))?;
    // Read what to send, then let go of the database while the endpoint answers.
    let (m, e) = {
        let txn = kernel::db::begin_write(&run.db).await?;
        kernel::db::set_tenant(&txn, TenantGuard::Agency(agency_id)).await?;
        let m = message::Entity::find_by_id((agency_id, id))
            .one(&txn)
            .await?;
        let e = match &m {
            Some(m) => {
                ep::Entity::find_by_id((agency_id, m.endpoint_id))
                    .one(&txn)
                    .await?
            }
            None => None,
        };
        txn.commit().await?;
        match (m, e) {
            (Some(m), Some(e)) => (m, e),
            _ => return Ok(json!({ "delivered": false, "why": "the endpoint was deleted" })),
        }
    };
    if m.status == MessageStatus::Delivered {
        return Ok(json!({ "delivered": true, "again": false }));
    }
    if e.status == EndpointStatus::Disabled {
        record(&run, &m, &e, Outcome::Skipped).await?;
        return Err(JobError::Fail("the endpoint is disabled".into()));
    }
    let now = Utc::now();
    let mut secrets = vec![e.secret.as_str()];
    if let (Some(old), Some(until)) = (&e.previous_secret, e.previous_secret_expires_at)
        && until > now
    {
        secrets.push(old.as_str());
    }
    let msg_id = GlobalId::new(NodeKind::WebhookMessage, m.id).to_string();
    let ts = now.timestamp();
    let sig = signature(&secrets, &msg_id, ts, &m.body)?;
    // The URL was checked when it was saved; a literal private address never gets a request.
    let private = reqwest::Url::parse(&e.url).map_or(true, |u| crate::ssrf::names_private_host(&u));
    if !settings.allow_private && private {
        record(
            &run,
            &m,
            &e,
            Outcome::Failed {
                code: None,
                error: "the URL points at a private address".into(),
                ms: 0,
            },
        )
        .await?;
        return Err(JobError::Retry(
            "the URL points at a private address".into(),
        ));
    }
    let started = Instant::now();
    let sent = sender
        .client
        .post(&e.url)
        .header("content-type", "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &msg_id)
        .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, ts.to_string())
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, sig)
        .body(m.body.clone())
        .send()
        .await;
    let ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let outcome = match sent {
        Ok(r) if r.status().is_success() => Outcome::Delivered {
            code: r.status().as_u16(),
            ms,
        },
        Ok(r) => Outcome::Failed {
            code: Some(r.status().as_u16()),
            error: format!("HTTP {}", r.status().as_u16()),
            ms,
        },
        Err(err) if err.is_timeout() => Outcome::Failed {
            code: None,
            error: format!("no answer within {} s", TIMEOUT.as_secs()),
            ms,
        },
        Err(err) => Outcome::Failed {
            code: None,
            error: describe(&err),
            ms,
        },
    };
    let result = match &outcome {
        Outcome::Delivered { code, ms } => {
            Ok(json!({ "delivered": true, "status": code, "ms": ms }))
        }
        Outcome::Failed { error, .. } => Err(error.clone()),
        Outcome::Skipped => Err("skipped".into()),
    };
    let disabled = record(&run, &m, &e, outcome).await?;
    match result {
        Ok(v) => Ok(v),
        Err(error) if disabled => Err(JobError::Fail(format!(
            "{error}; the endpoint is now disabled"
        ))),
        Err(error) => Err(JobError::Retry(error)),
    }
}

/// The error chain, without the URL (which the log shows beside it).
fn describe(err: &reqwest::Error) -> String {
    let mut out = if err.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out.chars().take(500).collect()
}

enum Outcome {
    Delivered {
        code: u16,
        ms: i32,
    },
    Failed {
        code: Option<u16>,
        error: String,
        ms: i32,
    },
    Skipped,
}

/// Logs the attempt and updates the message and the endpoint, in one transaction. Returns
/// whether the endpoint was disabled now.
async fn record(
    run: &JobRun,
    m: &message::Model,
    e: &ep::Model,
    outcome: Outcome,
) -> Result<bool, JobError> {
    let now = Utc::now();
    let txn = kernel::db::begin_write(&run.db).await?;
    kernel::db::set_tenant(&txn, TenantGuard::Agency(m.agency_id)).await?;
    let attempt_no = m.attempts + 1;
    let (code, error, ms, delivered) = match &outcome {
        Outcome::Delivered { code, ms } => (Some(i32::from(*code)), None, *ms, true),
        Outcome::Failed { code, error, ms } => {
            (code.map(i32::from), Some(error.clone()), *ms, false)
        }
        Outcome::Skipped => (None, Some("the endpoint is disabled".to_owned()), 0, false),
    };
    attempt::ActiveModel {
        agency_id: Set(m.agency_id),
        id: Set(kernel::id::new_uuid()),
        message_id: Set(m.id),
        endpoint_id: Set(e.id),
        attempt: Set(attempt_no),
        status_code: Set(code),
        error: Set(error),
        latency_ms: Set(ms),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let last = run.is_last_attempt() || matches!(outcome, Outcome::Skipped);
    let status = if delivered {
        MessageStatus::Delivered
    } else if last {
        MessageStatus::Failed
    } else {
        MessageStatus::Pending
    };
    let mut q = message::Entity::update_many()
        .col_expr(message::Column::Attempts, Expr::value(attempt_no))
        .col_expr(message::Column::LastAttemptAt, Expr::value(now))
        .col_expr(message::Column::Status, Expr::value(status.to_value()));
    if delivered {
        q = q.col_expr(message::Column::DeliveredAt, Expr::value(now));
    }
    q.filter(message::Column::AgencyId.eq(m.agency_id))
        .filter(message::Column::Id.eq(m.id))
        .exec(&txn)
        .await?;
    let mut disabled = false;
    match outcome {
        Outcome::Delivered { .. } => {
            ep::Entity::update_many()
                .col_expr(
                    ep::Column::FailingSince,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(ep::Column::AgencyId.eq(e.agency_id))
                .filter(ep::Column::Id.eq(e.id))
                .exec(&txn)
                .await?;
        }
        Outcome::Failed { .. } => {
            let since = e.failing_since.unwrap_or(now);
            if since <= now - chrono::Duration::days(DISABLE_AFTER_DAYS) {
                disable(&txn, e).await?;
                disabled = true;
            } else if e.failing_since.is_none() {
                ep::Entity::update_many()
                    .col_expr(ep::Column::FailingSince, Expr::value(now))
                    .filter(ep::Column::AgencyId.eq(e.agency_id))
                    .filter(ep::Column::Id.eq(e.id))
                    .filter(ep::Column::FailingSince.is_null())
                    .exec(&txn)
                    .await?;
            }
        }
        Outcome::Skipped => {}
    }
    txn.commit().await?;
    Ok(disabled)
}

async fn disable(db: &impl ConnectionTrait, e: &ep::Model) -> Result<(), Error> {
    let reason = format!("every delivery failed for {DISABLE_AFTER_DAYS} days");
    ep::Entity::update_many()
        .col_expr(
            ep::Column::Status,
            Expr::value(EndpointStatus::Disabled.to_value()),
        )
        .col_expr(ep::Column::DisabledReason, Expr::value(reason.clone()))
        .col_expr(ep::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(ep::Column::AgencyId.eq(e.agency_id))
        .filter(ep::Column::Id.eq(e.id))
        .exec(db)
        .await?;
    notify::send(
        db,
        &Actor::system(),
        NewNotification {
            user_id: e.created_by,
            scope: crate::service::scope_of(e),
            kind: "webhook.disabled",
            text: format!("Your webhook endpoint {} was disabled: {reason}.", e.url),
            subject: Some((NodeKind::WebhookEndpoint, e.id)),
        },
    )
    .await?;
    tracing::warn!(endpoint = %e.id, url = %e.url, "webhook endpoint disabled: {reason}");
    Ok(())
}
