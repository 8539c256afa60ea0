//! Benchmark: the job runtime, end to end, on the test database (`TEST_DATABASE_URL` for
//! PostgreSQL; SQLite otherwise).
//!
//! 1. **No-op throughput**: 20,000 no-op jobs enqueued in one transaction, then two runtimes
//!    (two replicas' workers, `JOBS_SLOTS` slots each, default 16) run them; jobs/s from start to
//!    the last one's acknowledgement.
//! 2. **Webhook deliveries**: 2,000 `webhook.deliver` jobs (the real handler: sign, POST to a
//!    local receiver that answers 200, log the attempt) for one endpoint; deliveries/s.
//! 3. **Fairness**: agency A has 100,000 jobs queued (1 ms each); agency B enqueues one job every
//!    100 ms, 50 times; B's wait (from enqueue to finish) p50/p99/max.
//!
//! `cargo bench -p tests --bench jobs`; `JOBS_BENCH=noop,webhook,fair` picks the parts.

use jobs::entity::job;
use jobs::{Backoff, NewJob, Owner, Registry, RuntimeConfig};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use std::time::{Duration, Instant};
use tests::measure::percentile;
use uuid::Uuid;

fn config() -> RuntimeConfig {
    let slots = std::env::var("JOBS_SLOTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    RuntimeConfig {
        workers: slots,
        poll: Duration::from_millis(100),
        ..RuntimeConfig::default()
    }
}

fn noop_registry() -> Registry {
    let mut r = Registry::new();
    r.on("bench.noop", Backoff::default(), |_| async {
        Ok(serde_json::Value::Null)
    });
    r.on("bench.sleep", Backoff::default(), |_| async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(serde_json::Value::Null)
    });
    r
}

async fn succeeded(app: &tests::TestApp, kind: &str) -> u64 {
    job::Entity::find()
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::Status.eq(jobs::JobStatus::Succeeded))
        .count(&app.db)
        .await
        .expect("count")
}

/// Waits until no job of `kind` is left to run (counted through the partial indexes of the
/// waiting and running states, so the polling costs little) and `n` succeeded.
async fn wait_all(app: &tests::TestApp, kind: &str, n: u64) {
    loop {
        let left = job::Entity::find()
            .filter(job::Column::Kind.eq(kind))
            .filter(job::Column::Status.is_in([
                jobs::JobStatus::Available,
                jobs::JobStatus::Running,
                jobs::JobStatus::Scheduled,
            ]))
            .count(&app.db)
            .await
            .expect("count");
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(succeeded(app, kind).await, n, "every {kind} job succeeded");
}

async fn noop(backend: &str) {
    const N: u64 = 20_000;
    let app = tests::spawn_app_with(|c| c.job_workers = 0).await;
    let tx = app.db.begin().await.expect("begin");
    for i in 0..N {
        let owner = Owner::Agency(Uuid::from_u128(1 + u128::from(i % 10)));
        jobs::enqueue(&tx, NewJob::new("bench.noop", owner, json!({})))
            .await
            .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let t = Instant::now();
    let a = app.job_runtime(noop_registry(), config()).await;
    let b = app.job_runtime(noop_registry(), config()).await;
    wait_all(&app, "bench.noop", N).await;
    let s = t.elapsed().as_secs_f64();
    println!(
        "{backend}: no-op: {N} jobs in {s:.2} s = {:.0} jobs/s (2 runtimes x {} slots)",
        N as f64 / s,
        config().workers
    );
    a.shutdown().await;
    b.shutdown().await;
}

async fn webhook(backend: &str) {
    const N: u64 = 2_000;
    let app = tests::spawn_app_with(|c| c.job_workers = 0).await;
    let w = app.world().await;
    let rx = tests::receiver::Receiver::start().await;
    let r = app
        .gql(Some(&w.owner.access), "mutation($s: ID!, $u: String!) { webhookEndpointCreate(input: { scopeId: $s, url: $u, eventTypes: [\"tag.created\"] }) { endpoint { id } } }", json!({ "s": w.dental, "u": rx.url }))
        .await
        .ok();
    let endpoint = kernel::GlobalId::parse(
        r.data("webhookEndpointCreate.endpoint.id")
            .as_str()
            .expect("id"),
    )
    .expect("gid")
    .uuid;
    let agency = kernel::GlobalId::parse(&w.agency).expect("gid").uuid;
    let sub = kernel::GlobalId::parse(&w.dental).expect("gid").uuid;
    let tx = app.db.begin().await.expect("begin");
    for _ in 0..N {
        let id = kernel::id::new_uuid();
        webhooks::entity::message::Entity::insert(webhooks::entity::message::ActiveModel {
            agency_id: sea_orm::Set(agency),
            id: sea_orm::Set(id),
            endpoint_id: sea_orm::Set(endpoint),
            event_id: sea_orm::Set(kernel::id::new_uuid()),
            event_type: sea_orm::Set("tag.created".into()),
            body: sea_orm::Set(json!({ "type": "tag.created", "data": { "n": id } }).to_string()),
            status: sea_orm::Set(webhooks::entity::MessageStatus::Pending),
            attempts: sea_orm::Set(0),
            created_at: sea_orm::Set(chrono::Utc::now()),
            last_attempt_at: sea_orm::Set(None),
            delivered_at: sea_orm::Set(None),
        })
        .exec_without_returning(&tx)
        .await
        .expect("message");
        jobs::enqueue(
            &tx,
            NewJob::new(
                webhooks::DELIVER,
                Owner::SubAccount {
                    agency_id: agency,
                    id: sub,
                },
                json!({ "message_id": id }),
            ),
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let registry = || {
        let mut r = Registry::new();
        webhooks::register(
            &mut r,
            webhooks::Settings {
                allow_private: true,
            },
            1.0,
        )
        .expect("register");
        r
    };
    let t = Instant::now();
    let a = app.job_runtime(registry(), config()).await;
    let b = app.job_runtime(registry(), config()).await;
    wait_all(&app, webhooks::DELIVER, N).await;
    let s = t.elapsed().as_secs_f64();
    assert!(rx.received().len() as u64 >= N);
    println!(
        "{backend}: webhook deliveries: {N} in {s:.2} s = {:.0} deliveries/s (signed, POSTed, logged)",
        N as f64 / s
    );
    a.shutdown().await;
    b.shutdown().await;
}

async fn fair(backend: &str) {
    const BACKLOG: u64 = 100_000;
    const PROBES: usize = 50;
    let app = tests::spawn_app_with(|c| c.job_workers = 0).await;
    let a_owner = Owner::Agency(Uuid::from_u128(0xA));
    let t = Instant::now();
    let mut left = BACKLOG;
    while left > 0 {
        let tx = app.db.begin().await.expect("begin");
        for _ in 0..left.min(10_000) {
            jobs::enqueue(&tx, NewJob::new("bench.sleep", a_owner, json!({})))
                .await
                .expect("enqueue");
        }
        tx.commit().await.expect("commit");
        left = left.saturating_sub(10_000);
    }
    println!(
        "{backend}: fairness: {BACKLOG} jobs of agency A queued in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let ra = app.job_runtime(noop_registry(), config()).await;
    let rb = app.job_runtime(noop_registry(), config()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut ids = Vec::new();
    for _ in 0..PROBES {
        let id = jobs::enqueue(
            &app.db,
            NewJob::new("bench.noop", Owner::Agency(Uuid::from_u128(0xB)), json!({})),
        )
        .await
        .expect("enqueue")
        .expect("a job");
        ids.push(id);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_all(&app, "bench.noop", PROBES as u64).await;
    let mut waits: Vec<f64> = Vec::new();
    for id in ids {
        let j = job::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .expect("q")
            .expect("job");
        let done = j.finished_at.expect("finished");
        waits.push((done - j.created_at).num_microseconds().unwrap_or(0) as f64 / 1000.0);
    }
    let a_done = succeeded(&app, "bench.sleep").await;
    waits.sort_by(f64::total_cmp);
    println!(
        "{backend}: fairness: agency B's job waited p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms while A had {} of {BACKLOG} still queued",
        percentile(&waits, 0.5),
        percentile(&waits, 0.99),
        waits.last().copied().unwrap_or_default(),
        BACKLOG - a_done
    );
    ra.shutdown().await;
    rb.shutdown().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let parts = std::env::var("JOBS_BENCH").unwrap_or_else(|_| "noop,webhook,fair".into());
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    rt.block_on(async {
        for part in parts.split(',') {
            match part.trim() {
                "noop" => noop(backend).await,
                "webhook" => webhook(backend).await,
                "fair" => fair(backend).await,
                other => eprintln!("unknown part {other:?}"),
            }
        }
    });
}
