//! The runtime itself, driven with test handlers on the test's database.

use super::*;
use jobs::{Backoff, JobError, JobStatus, Recurring, Registry};
use sea_orm::TransactionTrait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tests::spawn_app_with;

fn no_server_workers(c: &mut kernel::Config) {
    c.job_workers = 0;
}

/// A registry whose `test.count` handler counts runs per job.
fn counting() -> (Registry, Arc<Mutex<HashMap<Uuid, usize>>>) {
    let runs = Arc::new(Mutex::new(HashMap::new()));
    let mut r = Registry::new();
    let seen = runs.clone();
    r.on("test.count", Backoff::default(), move |run| {
        let seen = seen.clone();
        async move {
            *seen.lock().expect("lock").entry(run.id).or_default() += 1;
            Ok(serde_json::json!({ "attempt": run.attempt }))
        }
    });
    (r, runs)
}

#[tokio::test]
async fn a_job_runs_once_and_keeps_its_result() {
    let app = spawn_app_with(no_server_workers).await;
    let w = app.world().await;
    let (registry, runs) = counting();
    let rt = app.job_runtime(registry, quick(4)).await;
    let id = enqueue(
        &app.db,
        NewJob::new("test.count", dental(&w), serde_json::json!({})),
    )
    .await;
    until("the job succeeded", || async {
        load(&app.db, id).await.status == JobStatus::Succeeded
    })
    .await;
    let j = load(&app.db, id).await;
    assert_eq!(j.attempts, 1);
    assert_eq!(j.result, Some(serde_json::json!({ "attempt": 1 })));
    assert_eq!(runs.lock().expect("lock").get(&id), Some(&1));
    rt.shutdown().await;
}

#[tokio::test]
async fn the_same_key_enqueues_one_job() {
    let app = spawn_app_with(no_server_workers).await;
    let job = || NewJob::new("test.count", Owner::System, serde_json::json!({})).key("once");
    assert!(
        jobs::enqueue(&app.db, job())
            .await
            .expect("enqueue")
            .is_some()
    );
    assert!(
        jobs::enqueue(&app.db, job())
            .await
            .expect("enqueue")
            .is_none()
    );
    assert_eq!(app.count("jobs").await, 1);
}

#[tokio::test]
async fn a_rolled_back_transaction_enqueues_nothing() {
    let app = spawn_app_with(no_server_workers).await;
    let tx = app.db.begin().await.expect("begin");
    jobs::enqueue(
        &tx,
        NewJob::new("test.count", Owner::System, serde_json::json!({})),
    )
    .await
    .expect("enqueue");
    tx.rollback().await.expect("rollback");
    assert_eq!(app.count("jobs").await, 0);
}

#[tokio::test]
async fn a_delayed_job_waits_for_its_time() {
    let app = spawn_app_with(no_server_workers).await;
    let (registry, runs) = counting();
    let rt = app.job_runtime(registry, quick(2)).await;
    let at = Utc::now() + chrono::Duration::milliseconds(600);
    let id = enqueue(
        &app.db,
        NewJob::new("test.count", Owner::System, serde_json::json!({})).at(at),
    )
    .await;
    assert_eq!(load(&app.db, id).await.status, JobStatus::Scheduled);
    until("the job ran", || async {
        load(&app.db, id).await.status == JobStatus::Succeeded
    })
    .await;
    assert!(Utc::now() >= at);
    assert_eq!(runs.lock().expect("lock").get(&id), Some(&1));
    rt.shutdown().await;
}

#[tokio::test]
async fn a_failing_job_backs_off_and_then_is_dead() {
    let app = spawn_app_with(no_server_workers).await;
    let mut registry = Registry::new();
    let fast = Backoff::Exponential {
        base: Duration::from_millis(30),
        max: Duration::from_millis(100),
    };
    registry.on("test.flaky", fast, |run| async move {
        Err::<serde_json::Value, _>(JobError::Retry(format!("boom {}", run.attempt)))
    });
    let rt = app.job_runtime(registry, quick(2)).await;
    let id = enqueue(
        &app.db,
        NewJob::new("test.flaky", Owner::System, serde_json::json!({})).attempts(3),
    )
    .await;
    until("the job is dead", || async {
        load(&app.db, id).await.status == JobStatus::Dead
    })
    .await;
    let j = load(&app.db, id).await;
    assert_eq!(j.attempts, 3);
    assert_eq!(j.last_error.as_deref(), Some("boom 3"));
    assert!(j.finished_at.is_some());
    rt.shutdown().await;
}

#[tokio::test]
async fn a_permanent_failure_is_dead_at_once() {
    let app = spawn_app_with(no_server_workers).await;
    let mut registry = Registry::new();
    registry.on("test.bounce", Backoff::default(), |_| async {
        Err::<serde_json::Value, _>(JobError::Fail("550 no such user".into()))
    });
    let rt = app.job_runtime(registry, quick(2)).await;
    let id = enqueue(
        &app.db,
        NewJob::new("test.bounce", Owner::System, serde_json::json!({})),
    )
    .await;
    until("the job is dead", || async {
        load(&app.db, id).await.status == JobStatus::Dead
    })
    .await;
    assert_eq!(load(&app.db, id).await.attempts, 1);
    rt.shutdown().await;
}

#[tokio::test]
async fn a_killed_workers_job_runs_again_and_its_effect_happens_once() {
    let app = spawn_app_with(no_server_workers).await;
    tests::effects::create_table(&app.db).await;
    let id = enqueue(
        &app.db,
        NewJob::new("test.effect", Owner::System, serde_json::json!({})),
    )
    .await;
    // A worker process writes the effect and is killed before it acknowledges.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_job_worker"))
        .arg(app.config.database_url())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the worker process");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the worker ran the job in time")
        .expect("read")
        .expect("a line");
    assert_eq!(line, format!("EFFECT {id}"));
    child.kill().await.expect("kill -9 the worker");
    assert_eq!(load(&app.db, id).await.status, JobStatus::Running);

    // Another worker takes the job once the dead one's lease (2 s) expires.
    let mut registry = Registry::new();
    let db = app.job_connection().await;
    registry.on("test.effect", Backoff::default(), move |run| {
        let db = db.clone();
        async move {
            tests::effects::write(&db, run.id, run.attempt).await?;
            Ok(serde_json::json!({}))
        }
    });
    let rt = app.job_runtime(registry, quick(1)).await;
    until("the job succeeded", || async {
        load(&app.db, id).await.status == JobStatus::Succeeded
    })
    .await;
    assert_eq!(load(&app.db, id).await.attempts, 2, "it ran twice");
    assert_eq!(
        tests::effects::count(&app.db).await,
        1,
        "its effect happened once"
    );
    rt.shutdown().await;
}

#[tokio::test]
async fn two_replicas_run_a_thousand_jobs_once_each() {
    let app = spawn_app_with(no_server_workers).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let registry = || {
        let mut r = Registry::new();
        let runs = runs.clone();
        r.on("test.once", Backoff::default(), move |_| {
            runs.fetch_add(1, Ordering::SeqCst);
            async { Ok(serde_json::Value::Null) }
        });
        r
    };
    let a = app.job_runtime(registry(), quick(4)).await;
    let b = app.job_runtime(registry(), quick(4)).await;
    let tx = app.db.begin().await.expect("begin");
    for i in 0..1000 {
        let agency = Uuid::from_u128(1 + i % 7);
        jobs::enqueue(
            &tx,
            NewJob::new("test.once", Owner::Agency(agency), serde_json::json!({})),
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    jobs::wake();
    until("every job succeeded", || async {
        in_status(&app.db, JobStatus::Succeeded).await == 1000
    })
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 1000, "no job ran twice");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn one_agencys_backlog_does_not_hold_up_another_agencys_job() {
    let app = spawn_app_with(no_server_workers).await;
    let mut registry = Registry::new();
    registry.on("test.slow", Backoff::default(), |_| async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok(serde_json::Value::Null)
    });
    let busy = Owner::Agency(Uuid::from_u128(1));
    let tx = app.db.begin().await.expect("begin");
    for _ in 0..2000 {
        jobs::enqueue(&tx, NewJob::new("test.slow", busy, serde_json::json!({})))
            .await
            .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let rt = app.job_runtime(registry, quick(4)).await;
    until("the backlog started", || async {
        in_status(&app.db, JobStatus::Succeeded).await >= 20
    })
    .await;
    let quiet = enqueue(
        &app.db,
        NewJob::new(
            "test.slow",
            Owner::Agency(Uuid::from_u128(2)),
            serde_json::json!({}),
        ),
    )
    .await;
    until("the other agency's job ran", || async {
        load(&app.db, quiet).await.status == JobStatus::Succeeded
    })
    .await;
    let waiting = in_status(&app.db, JobStatus::Available).await;
    assert!(
        waiting > 1000,
        "it ran with {waiting} of the backlog still waiting"
    );
    rt.shutdown().await;
}

#[tokio::test]
async fn a_schedule_enqueues_each_run_once_across_replicas() {
    let app = spawn_app_with(no_server_workers).await;
    let registry = || {
        let (mut r, _) = counting();
        r.every(Recurring {
            name: "test.every-second",
            cron: "* * * * * *",
            timezone: "Europe/Berlin",
            kind: "test.count",
            payload: serde_json::json!({}),
        });
        r
    };
    let a = app.job_runtime(registry(), quick(2)).await;
    let b = app.job_runtime(registry(), quick(2)).await;
    until("three runs were enqueued", || async {
        job::Entity::find()
            .filter(job::Column::Kind.eq("test.count"))
            .count(&app.db)
            .await
            .expect("count")
            >= 3
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
    // The schedule's jobs only: the server's own hourly schedules (retention at :17, :23, :41)
    // may have enqueued theirs meanwhile.
    let keys: Vec<String> = job::Entity::find()
        .filter(job::Column::Kind.eq("test.count"))
        .all(&app.db)
        .await
        .expect("jobs")
        .into_iter()
        .filter_map(|j| j.idempotency_key)
        .collect();
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(keys.len(), distinct.len(), "one job per second: {keys:?}");
    // Every run is keyed by its due time, a whole second.
    for k in &keys {
        let at = k
            .strip_prefix("test.every-second@")
            .expect("the schedule's key");
        let at = chrono::DateTime::parse_from_rfc3339(at).expect("a time");
        assert_eq!(at.timestamp_subsec_nanos(), 0, "{k}");
    }
}

#[tokio::test]
async fn shutdown_puts_back_what_did_not_finish() {
    let app = spawn_app_with(no_server_workers).await;
    let started = Arc::new(tokio::sync::Notify::new());
    let mut registry = Registry::new();
    let s = started.clone();
    registry.on("test.long", Backoff::default(), move |_| {
        let s = s.clone();
        async move {
            s.notify_one();
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(serde_json::Value::Null)
        }
    });
    let rt = app.job_runtime(registry, quick(1)).await;
    let id = enqueue(
        &app.db,
        NewJob::new("test.long", Owner::System, serde_json::json!({})),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(30), started.notified())
        .await
        .expect("the job started");
    let t = std::time::Instant::now();
    rt.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "shutdown kept its deadline"
    );
    let j = load(&app.db, id).await;
    assert_eq!(j.status, JobStatus::Available);
    assert_eq!(j.attempts, 0, "the interrupted run is not counted");
    assert_eq!(j.locked_by, None);
}
