//! The worker: claims jobs fairly into a fixed number of slots, runs their handlers, records
//! each outcome, keeps its leases alive, and stops gracefully. Every replica runs one; the
//! maintenance tick (promotion, the reaper, recurring schedules) is safe to run on all of them.

use crate::enqueue::Owner;
use crate::metrics::Metrics;
use crate::registry::{JobError, JobRun, Registry};
use crate::store::{self, Claimed};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

/// How a runtime runs.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Jobs run at once on this replica (0: run no jobs here).
    pub workers: usize,
    /// How often an idle worker looks for work enqueued by another replica.
    pub poll: Duration,
    /// How long a claim holds a job without a heartbeat (a lost worker's jobs wait this long).
    pub lease: Duration,
    /// The longest a single run may take before it counts as failed.
    pub run_timeout: Duration,
    /// How often due jobs are promoted, expired leases reaped and schedules ticked.
    pub tick: Duration,
    /// At shutdown, how long running jobs get to finish before they are put back.
    pub shutdown_grace: Duration,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            workers: 8,
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            run_timeout: Duration::from_secs(300),
            tick: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

struct Inner {
    db: DatabaseConnection,
    registry: Registry,
    config: RuntimeConfig,
    worker: Uuid,
    metrics: Arc<Metrics>,
    acks: tokio::sync::mpsc::Sender<Ack>,
}

/// A success to acknowledge, and who waits for it.
struct Ack {
    id: Uuid,
    result: serde_json::Value,
    done: tokio::sync::oneshot::Sender<Result<bool, kernel::Error>>,
}

/// Acknowledges successes in batches: whatever finished while the last batch was written goes
/// into the next statement (one commit for many jobs), and each run waits for its own.
async fn acknowledge(
    db: DatabaseConnection,
    worker: Uuid,
    mut rx: tokio::sync::mpsc::Receiver<Ack>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < 64 {
            match rx.try_recv() {
                Ok(a) => batch.push(a),
                Err(_) => break,
            }
        }
        let pairs: Vec<(Uuid, serde_json::Value)> =
            batch.iter().map(|a| (a.id, a.result.clone())).collect();
        match store::succeed_many(&db, worker, &pairs).await {
            Ok(marked) => {
                for a in batch {
                    let _ = a.done.send(Ok(marked.contains(&a.id)));
                }
            }
            Err(e) => {
                for a in batch {
                    let _ = a
                        .done
                        .send(Err(kernel::Error::internal(e.public_message())));
                }
            }
        }
    }
}

/// A running job runtime. Dropping it does not stop it: call [`Runtime::shutdown`].
pub struct Runtime {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    acker: tokio::task::JoinHandle<()>,
    inner: Arc<Inner>,
}

impl Runtime {
    /// Starts the worker, its heartbeat and the maintenance tick on `db` (on PostgreSQL, a
    /// pool whose sessions carry `app.job_runner`; see `kernel::pool::connect_job_runner`).
    pub async fn start(
        db: DatabaseConnection,
        registry: Registry,
        config: RuntimeConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self, kernel::Error> {
        crate::schedule::install(&db, &registry.schedules).await?;
        let worker = kernel::id::new_uuid();
        let (acks, ack_rx) = tokio::sync::mpsc::channel(256);
        let acker = tokio::spawn(acknowledge(db.clone(), worker, ack_rx));
        let inner = Arc::new(Inner {
            db,
            registry,
            config,
            worker,
            metrics,
            acks,
        });
        let (stop, stopped) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(maintain(inner.clone(), stopped.clone()))];
        if inner.config.workers > 0 {
            tasks.push(tokio::spawn(heartbeat(inner.clone(), stopped.clone())));
            tasks.push(tokio::spawn(work(inner.clone(), stopped)));
        }
        tracing::info!(worker = %inner.worker, slots = inner.config.workers, "job runtime started");
        Ok(Self {
            stop,
            tasks,
            acker,
            inner,
        })
    }

    /// This worker's id (as in `jobs.locked_by`).
    pub fn worker_id(&self) -> Uuid {
        self.inner.worker
    }

    /// Stops claiming, lets running jobs finish within the grace period, puts back the rest
    /// (available again, the run not counted), and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        // Every run has been acknowledged or put back by now.
        self.acker.abort();
        tracing::info!(worker = %self.inner.worker, "job runtime stopped");
    }
}

/// Sleeps `d`, or less if asked to stop. Returns whether to stop.
async fn pause(stopped: &mut watch::Receiver<bool>, d: Duration) -> bool {
    let asked = tokio::select! {
        _ = stopped.wait_for(|s| *s) => true,
        () = tokio::time::sleep(d) => false,
    };
    asked || *stopped.borrow()
}

async fn maintain(inner: Arc<Inner>, mut stopped: watch::Receiver<bool>) {
    let mut last_gauges = std::time::Instant::now() - Duration::from_secs(3600);
    loop {
        if let Err(e) = tick(&inner).await {
            tracing::warn!(error = %e.operator_message(), "job maintenance failed");
        }
        if last_gauges.elapsed() >= Duration::from_secs(5) {
            last_gauges = std::time::Instant::now();
            if let Err(e) = inner.metrics.refresh_depth(&inner.db).await {
                tracing::warn!(error = %e.operator_message(), "job queue depth not read");
            }
        }
        if pause(&mut stopped, inner.config.tick).await {
            return;
        }
    }
}

async fn tick(inner: &Inner) -> Result<(), kernel::Error> {
    let promoted = store::promote(&inner.db, 5_000).await?;
    let reaped = store::reap(&inner.db).await?;
    if reaped > 0 {
        tracing::warn!(reaped, "jobs of a lost worker taken back");
    }
    let enqueued = crate::schedule::tick(&inner.db).await?;
    if promoted + enqueued > 0 {
        crate::wake();
    }
    for (name, ticker) in &inner.registry.tickers {
        if let Err(e) = ticker(inner.db.clone()).await {
            tracing::warn!(ticker = name, error = %e.operator_message(), "tick failed");
        }
    }
    Ok(())
}

async fn heartbeat(inner: Arc<Inner>, mut stopped: watch::Receiver<bool>) {
    let every = inner.config.lease / 3;
    loop {
        if pause(&mut stopped, every).await {
            return;
        }
        let until = Utc::now() + inner.config.lease;
        if let Err(e) = store::heartbeat(&inner.db, inner.worker, until).await {
            tracing::warn!(error = %e.operator_message(), "job lease not extended");
        }
    }
}

/// Which lanes were served last: the claim continues after them.
#[derive(Default)]
struct Turns {
    agency: Uuid,
    lanes: HashMap<Uuid, Uuid>,
}

async fn work(inner: Arc<Inner>, mut stopped: watch::Receiver<bool>) {
    let slots = inner.config.workers;
    // One agency never takes the last quarter of the slots while others wait their turn.
    let per_agency = slots - (slots / 4);
    let mut running: JoinSet<Uuid> = JoinSet::new();
    let mut by_agency: HashMap<Uuid, usize> = HashMap::new();
    let mut turns = Turns::default();
    let mut wake = crate::WAKE.subscribe();
    loop {
        if *stopped.borrow() {
            break;
        }
        let free = slots - running.len();
        let mut claimed = 0;
        if free > 0 {
            wake.mark_unchanged();
            match claim(&inner, &mut turns, &by_agency, free, per_agency).await {
                Ok(jobs) => {
                    claimed = jobs.len();
                    for job in jobs {
                        *by_agency.entry(job.agency_id).or_default() += 1;
                        running.spawn(run(inner.clone(), job));
                    }
                }
                Err(e) => tracing::warn!(error = %e.operator_message(), "claiming jobs failed"),
            }
        }
        if claimed > 0 && running.len() < slots {
            continue;
        }
        // Wait for a free slot, new work, the poll interval or the stop.
        let idle = tokio::time::sleep(inner.config.poll);
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => break,
            Some(done) = running.join_next(), if !running.is_empty() => {
                finished(&mut by_agency, done);
            }
            _ = wake.changed(), if running.len() < slots => {}
            () = idle => {}
        }
        while let Some(done) = running.try_join_next() {
            finished(&mut by_agency, done);
        }
        // With few slots free, let a moment's completions gather: one claim for several.
        if !running.is_empty() && slots - running.len() < slots.div_ceil(2) {
            tokio::time::sleep(Duration::from_millis(2)).await;
            while let Some(done) = running.try_join_next() {
                finished(&mut by_agency, done);
            }
        }
    }
    // Shutdown: let running jobs finish within the grace period, then put back the rest.
    let grace = tokio::time::sleep(inner.config.shutdown_grace);
    tokio::pin!(grace);
    while !running.is_empty() {
        tokio::select! {
            _ = running.join_next() => {}
            () = &mut grace => {
                running.abort_all();
                while running.join_next().await.is_some() {}
            }
        }
    }
    match store::release(&inner.db, inner.worker).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(released = n, "unfinished jobs put back at shutdown"),
        Err(e) => {
            tracing::warn!(error = %e.operator_message(), "jobs not put back; their leases will expire")
        }
    }
}

fn finished(by_agency: &mut HashMap<Uuid, usize>, done: Result<Uuid, tokio::task::JoinError>) {
    if let Ok(agency) = done
        && let Some(n) = by_agency.get_mut(&agency)
    {
        *n = n.saturating_sub(1);
        if *n == 0 {
            by_agency.remove(&agency);
        }
    }
}

/// One claim round: the next agencies after the last served, `free` slots shared among them.
async fn claim(
    inner: &Inner,
    turns: &mut Turns,
    by_agency: &HashMap<Uuid, usize>,
    free: usize,
    per_agency: usize,
) -> Result<Vec<Claimed>, kernel::Error> {
    let want = free.min(16);
    let mut agencies = store::next_agencies(&inner.db, turns.agency, false, want).await?;
    if agencies.len() < want {
        for a in store::next_agencies(&inner.db, Uuid::nil(), true, want - agencies.len()).await? {
            if !agencies.contains(&a) {
                agencies.push(a);
            }
        }
    }
    let lease_until = Utc::now() + inner.config.lease;
    // The free slots shared among them; alone, an agency may use every slot, beside others not
    // their reserve.
    let n = agencies.len();
    let mut plan = Vec::with_capacity(n);
    let mut left = free;
    for (i, agency) in agencies.into_iter().enumerate() {
        if left == 0 {
            break;
        }
        let share = left.div_ceil(n - i);
        let held = by_agency.get(&agency).copied().unwrap_or(0);
        let room = per_agency.max(1).saturating_sub(held);
        let limit = if n == 1 { left } else { share.min(room) };
        turns.agency = agency;
        if limit == 0 {
            continue;
        }
        let after = turns.lanes.get(&agency).copied().unwrap_or_else(Uuid::nil);
        plan.push((agency, after, limit));
        left -= limit;
    }
    let out = store::claim_lanes(&inner.db, inner.worker, &plan, lease_until).await?;
    if turns.lanes.len() > 10_000 {
        turns.lanes.clear();
    }
    for job in &out {
        turns.lanes.insert(job.agency_id, job.sub_account_id);
    }
    Ok(out)
}

/// Runs one claimed job and records its outcome. Returns its agency (for the slot count).
async fn run(inner: Arc<Inner>, job: Claimed) -> Uuid {
    let agency = job.agency_id;
    let kind = inner.registry.kinds.get(&job.kind).cloned();
    let run = JobRun {
        id: job.id,
        kind: job.kind.clone(),
        owner: Owner::from_columns(job.agency_id, job.sub_account_id),
        payload: job.payload,
        attempt: job.attempts,
        max_attempts: job.max_attempts,
        run_at: job.run_at,
        db: inner.db.clone(),
    };
    let started = std::time::Instant::now();
    let outcome = match &kind {
        None => Err(JobError::Retry(format!(
            "no handler for job kind {:?} on this worker",
            job.kind
        ))),
        Some(k) => {
            match tokio::time::timeout(inner.config.run_timeout, (k.handler)(run.clone())).await {
                Ok(r) => r,
                Err(_) => Err(JobError::Retry(format!(
                    "timed out after {} s",
                    inner.config.run_timeout.as_secs()
                ))),
            }
        }
    };
    inner.metrics.observe(
        &job.kind,
        &outcome,
        started.elapsed(),
        run.is_last_attempt(),
    );
    let recorded = match outcome {
        Ok(result) => {
            let (done, wait) = tokio::sync::oneshot::channel();
            let ack = Ack {
                id: job.id,
                result,
                done,
            };
            match inner.acks.send(ack).await {
                Ok(()) => wait
                    .await
                    .unwrap_or_else(|_| Err(kernel::Error::internal("the acknowledger stopped"))),
                Err(_) => Err(kernel::Error::internal("the acknowledger stopped")),
            }
        }
        Err(e) => {
            let retry_at = match (&e, &kind) {
                (JobError::Retry(_), Some(k)) if !run.is_last_attempt() => Some(
                    Utc::now()
                        + chrono::Duration::from_std(k.backoff.delay(job.attempts))
                            .unwrap_or_default(),
                ),
                (JobError::Retry(_), None) if !run.is_last_attempt() => {
                    Some(Utc::now() + chrono::Duration::seconds(60))
                }
                _ => None,
            };
            if retry_at.is_none() {
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e.message(), "job is dead");
            } else {
                tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e.message(), "job failed; it will be retried");
            }
            store::fail(
                &inner.db,
                job.id,
                inner.worker,
                job.attempts,
                e.message(),
                retry_at,
            )
            .await
        }
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(job = %job.id, "job outcome not recorded: its lease was lost to another worker")
        }
        Err(e) => {
            tracing::warn!(job = %job.id, error = %e.operator_message(), "job outcome not recorded; the lease will expire and it runs again")
        }
    }
    agency
}
