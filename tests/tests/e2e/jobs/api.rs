//! Jobs through the API: a scope's members list them, managers retry dead ones and cancel
//! waiting ones, and another tenant sees nothing.

use super::*;
use jobs::{Backoff, JobError, JobStatus, Registry};
use kernel::Role;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tests::spawn_app_with;

const JOBS: &str = "query($s: ID!, $f: JobFilterInput) { jobs(scopeId: $s, filter: $f) { totalCount nodes { id kind status attempts lastError result } } }";

/// A registry whose `test.flaky` jobs fail, to be retried 10 ms later, until the returned flag
/// is set, and then succeed with `{"done": true}`.
fn flaky() -> (Registry, Arc<AtomicBool>) {
    let healthy = Arc::new(AtomicBool::new(false));
    let mut registry = Registry::new();
    let h = healthy.clone();
    registry.on(
        "test.flaky",
        Backoff::Exponential {
            base: Duration::from_millis(10),
            max: Duration::from_millis(10),
        },
        move |_| {
            let ok = h.load(Ordering::SeqCst);
            async move {
                if ok {
                    Ok(json!({ "done": true }))
                } else {
                    Err(JobError::Retry("receiver down".into()))
                }
            }
        },
    );
    (registry, healthy)
}

#[tokio::test]
async fn a_dead_job_is_retried_from_the_api() {
    let app = spawn_app_with(|c| c.job_workers = 0).await;
    let w = app.world().await;
    let (registry, healthy) = flaky();
    let rt = app.job_runtime(registry, quick(2)).await;
    let id = enqueue(
        &app.db,
        NewJob::new("test.flaky", dental(&w), json!({})).attempts(2),
    )
    .await;
    until("the job is dead", || async {
        load(&app.db, id).await.status == JobStatus::Dead
    })
    .await;

    let dead = app
        .gql(
            Some(&w.owner.access),
            JOBS,
            json!({ "s": w.dental, "f": { "statuses": ["DEAD"] } }),
        )
        .await
        .ok();
    assert_eq!(dead.data("jobs.totalCount"), 1);
    let node = &dead.data("jobs.nodes")[0];
    assert_eq!(node["attempts"], 2);
    assert_eq!(node["lastError"], "receiver down");
    let gid = node["id"].as_str().expect("id").to_owned();

    healthy.store(true, Ordering::SeqCst);
    let r = app.gql(Some(&w.owner.access), "mutation($id: ID!) { jobRetry(id: $id) { job { status attempts } userErrors { code } } }", json!({ "id": gid })).await.ok();
    assert_eq!(r.data("jobRetry.job.status"), "AVAILABLE");
    until("the retried job succeeded", || async {
        load(&app.db, id).await.status == JobStatus::Succeeded
    })
    .await;
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($id: ID!) { node(id: $id) { ... on Job { status attempts result } } }",
            json!({ "id": gid }),
        )
        .await
        .ok();
    assert_eq!(r.data("node.status"), "SUCCEEDED");
    assert_eq!(r.data("node.attempts"), 1);
    assert_eq!(r.data("node.result"), "{\"done\":true}");
    // Retrying a job that is not dead is refused with a user error.
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { jobRetry(id: $id) { job { id } userErrors { code } } }",
            json!({ "id": gid }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("jobRetry"), ["NOT_ALLOWED"]);
    rt.shutdown().await;
}

/// The workers are woken after the commit of a request that made a job ready: with no poll
/// and no tick of its runtime in the test's time, that wake runs the retried job. (The other
/// tests of this process wake the same workers, so run alone it is exact; `jobs`'s unit test
/// of `deferring_wakes` is exact always.)
#[tokio::test]
async fn a_job_a_mutation_makes_ready_runs_without_waiting_for_a_poll() {
    let app = spawn_app_with(|c| c.job_workers = 0).await;
    let w = app.world().await;
    let (registry, healthy) = flaky();
    let hour = Duration::from_secs(3600);
    let config = RuntimeConfig {
        poll: hour,
        tick: hour,
        ..quick(1)
    };
    let rt = app.job_runtime(registry, config).await;
    let id = enqueue(
        &app.db,
        NewJob::new("test.flaky", dental(&w), json!({})).attempts(1),
    )
    .await;
    until("the job is dead", || async {
        load(&app.db, id).await.status == JobStatus::Dead
    })
    .await;
    // The worker looks for work once more after each run (on SQLite, a look that waits for a
    // writer's commit would find the retried job): let it settle first.
    tokio::time::sleep(Duration::from_millis(500)).await;

    healthy.store(true, Ordering::SeqCst);
    let gid = kernel::GlobalId::new(kernel::NodeKind::Job, id).to_string();
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { jobRetry(id: $id) { userErrors { code } } }",
            json!({ "id": gid }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("jobRetry"), Vec::<String>::new());
    // Well within a minute: other schedules of the server's may wake the workers after that.
    let ran = tokio::time::timeout(Duration::from_secs(10), async {
        while load(&app.db, id).await.status != JobStatus::Succeeded {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(ran.is_ok(), "the retried job waited for a poll");
    rt.shutdown().await;
}

#[tokio::test]
async fn a_waiting_job_can_be_cancelled_and_then_never_runs() {
    let app = spawn_app_with(|c| c.job_workers = 0).await;
    let w = app.world().await;
    let later = Utc::now() + chrono::Duration::hours(1);
    let id = enqueue(
        &app.db,
        NewJob::new("test.count", dental(&w), json!({})).at(later),
    )
    .await;
    let gid = kernel::id::gid(kernel::NodeKind::Job, id);
    let r = app
        .gql(
            Some(&w.owner.access),
            JOBS,
            json!({ "s": w.dental, "f": { "dueBefore": later.to_rfc3339() } }),
        )
        .await
        .ok();
    assert_eq!(r.data("jobs.nodes")[0]["status"], "SCHEDULED");
    let r = app
        .gql(
            Some(&w.owner.access),
            JOBS,
            json!({ "s": w.dental, "f": { "dueBefore": Utc::now().to_rfc3339() } }),
        )
        .await
        .ok();
    assert_eq!(r.data("jobs.totalCount"), 0, "not due yet");
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { jobCancel(id: $id) { job { status finishedAt } } }",
            json!({ "id": gid }),
        )
        .await
        .ok();
    assert_eq!(r.data("jobCancel.job.status"), "CANCELLED");
    assert_eq!(load(&app.db, id).await.status, JobStatus::Cancelled);
}

#[tokio::test]
async fn members_read_a_scopes_jobs_managers_change_them_and_other_tenants_see_nothing() {
    let app = spawn_app_with(|c| c.job_workers = 0).await;
    let w = app.world().await;
    let id = enqueue(
        &app.db,
        NewJob::new("test.count", dental(&w), json!({}))
            .at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;
    let gid = kernel::id::gid(kernel::NodeKind::Job, id);
    let staff = app
        .member("staff@dental.test", &w.dental, Role::SubaccountUser)
        .await;
    let r = app
        .gql(Some(&staff.access), JOBS, json!({ "s": w.dental }))
        .await
        .ok();
    assert_eq!(r.data("jobs.totalCount"), 1);
    let r = app
        .gql(
            Some(&staff.access),
            "mutation($id: ID!) { jobCancel(id: $id) { job { id } } }",
            json!({ "id": gid }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    // The gardens sub-account's member does not see Dental's job.
    let gardener = app
        .member("staff@gardens.test", &w.gardens, Role::SubaccountUser)
        .await;
    let r = app
        .gql(
            Some(&gardener.access),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gid }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(Some(&gardener.access), JOBS, json!({ "s": w.dental }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    // The agency's own list holds its agency-level jobs, not its sub-accounts'.
    let r = app
        .gql(Some(&w.owner.access), JOBS, json!({ "s": w.agency }))
        .await
        .ok();
    assert_eq!(r.data("jobs.totalCount"), 0);
    assert_eq!(load(&app.db, id).await.status, JobStatus::Scheduled);
}

#[tokio::test]
async fn metrics_count_job_runs_by_kind() {
    let app = spawn_app_with(|c| c.metrics = true).await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    app.gql(Some(&owner.access), "mutation($s: ID!) { invitationCreate(input: { scopeId: $s, email: \"m@hire.test\", role: AGENCY_USER }) { invitation { id } } }", json!({ "s": agency }))
        .await
        .ok();
    app.mail_to("m@hire.test").await;
    let mut body = String::new();
    for _ in 0..200 {
        body = app
            .http
            .get(format!("{}/metrics", app.url))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        if body.contains("canopy_jobs_runs_total{kind=\"email.send\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        body.contains("canopy_jobs_runs_total{kind=\"email.send\"} 1"),
        "{body}"
    );
    assert!(
        !body.contains("canopy_jobs_failures_total{kind=\"email.send\"}"),
        "{body}"
    );
    // Queue depth is read every 5 s: a job waiting for its time shows up.
    jobs::enqueue(
        &app.db,
        NewJob::new("test.later", Owner::System, json!({}))
            .at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await
    .expect("enqueue");
    let depth = "canopy_jobs_depth{kind=\"test.later\",status=\"scheduled\"} 1";
    for _ in 0..600 {
        body = app
            .http
            .get(format!("{}/metrics", app.url))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        if body.contains(depth) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(body.contains(depth), "{body}");
}
