//! Jobs in GraphQL: the `Job` node, a scope's `jobs`, and `jobRetry` / `jobCancel`.

use crate::entity::{JobStatus, job};
use crate::service::{self, JobFilter};
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use kernel::connection::{Page, wants_total_count};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind, gid};

/// A background job: an email to send, a reminder to deliver, a webhook to call.
#[derive(Clone)]
pub struct Job(pub job::Model);

/// A background job: an email to send, a reminder to deliver, a webhook to call.
#[Object]
impl Job {
    /// The job's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Job, self.0.id)
    }
    /// What it does (`email.send`, `task.reminder`, `webhook.deliver`).
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// Where it stands.
    async fn status(&self) -> JobStatus {
        self.0.status
    }
    /// Its input, as a JSON object: the ids it works on.
    async fn payload(&self) -> String {
        self.0.payload.to_string()
    }
    /// When it is (or was) due to run.
    async fn run_at(&self) -> DateTime<Utc> {
        self.0.run_at
    }
    /// How many times it has started.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// How many runs it gets before it is dead.
    async fn max_attempts(&self) -> i32 {
        self.0.max_attempts
    }
    /// The error of its last failed run, if any.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// What its successful run returned, as JSON.
    async fn result(&self) -> Option<String> {
        self.0.result.as_ref().map(ToString::to_string)
    }
    /// When it was enqueued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it succeeded, died or was cancelled.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

kernel::connection_types!(JobConnection, JobEdge, Job, "background jobs");
kernel::payload!(JobPayload, job: Job, "The job.");

/// Which jobs to list.
#[derive(InputObject, Default)]
pub struct JobFilterInput {
    /// Only jobs in one of these statuses.
    pub statuses: Option<Vec<JobStatus>>,
    /// Only jobs of this kind (`email.send`).
    pub kind: Option<String>,
    /// Only jobs due at or before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// Only jobs due at or after this time.
    pub due_after: Option<DateTime<Utc>>,
}

/// Job queries.
#[derive(Default)]
pub struct JobsQuery;

#[Object]
impl JobsQuery {
    /// The background jobs of an agency (its own) or of a sub-account, oldest first. Anyone
    /// who holds something in the scope may read them.
    #[allow(clippy::too_many_arguments)]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the agency or sub-account.")] scope_id: ID,
        #[graphql(desc = "Which jobs.")] filter: Option<JobFilterInput>,
        #[graphql(desc = "Return the first n jobs (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return jobs after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n jobs (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return jobs before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<JobConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &scope_id).await?;
        let page = Page::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        if f.kind.as_ref().is_some_and(|k| k.len() > 64) {
            return Err(kernel::Error::bad_input(
                Some("filter.kind"),
                "a job kind is at most 64 characters",
            )
            .into());
        }
        let filter = JobFilter {
            statuses: f.statuses.unwrap_or_default(),
            kind: f.kind,
            due_before: f.due_before,
            due_after: f.due_after,
        };
        let (rows, info, total) = service::list(
            &**tx,
            &rc.actor,
            scope,
            filter,
            page,
            wants_total_count(ctx),
        )
        .await?;
        Ok(JobConnection::build(
            rows.into_iter().map(Job).collect(),
            info,
            total,
            |j| j.0.id,
        ))
    }
}

/// Job mutations.
#[derive(Default)]
pub struct JobsMutation;

#[Object]
impl JobsMutation {
    /// Runs a dead job again, with a fresh set of attempts. Needs `SETTINGS_MANAGE` in the
    /// job's scope.
    async fn job_retry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job's global id.")] id: ID,
    ) -> async_graphql::Result<JobPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Job)?;
        service::retry(&**tx, &rc.actor, id)
            .await
            .map(Job)
            .into_payload()
    }

    /// Cancels a job that has not started yet. Needs `SETTINGS_MANAGE` in the job's scope.
    async fn job_cancel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job's global id.")] id: ID,
    ) -> async_graphql::Result<JobPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Job)?;
        service::cancel(&**tx, &rc.actor, id)
            .await
            .map(Job)
            .into_payload()
    }
}
