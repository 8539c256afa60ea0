//! Jobs through the API (seed 004's scheduled tasks): a scope's jobs are read by anyone who
//! holds something in that scope, and retried or cancelled by those who manage its settings.
//! Canopy's own jobs (no agency) are not visible to tenants.

use crate::entity::{JobStatus, job};
use chrono::{DateTime, Utc};
use kernel::Error;
use kernel::auth::{Actor, Permission, Scope};
use kernel::connection::{Page, PageInfo};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only these statuses.
    pub statuses: Vec<JobStatus>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only jobs due at or before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// Only jobs due at or after this time.
    pub due_after: Option<DateTime<Utc>>,
}

fn scope_of(j: &job::Model) -> Option<Scope> {
    crate::Owner::from_columns(j.agency_id, j.sub_account_id).scope()
}

/// The jobs of a scope (an agency's own, or a sub-account's), oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    filter: JobFilter,
    page: Page,
    with_total: bool,
) -> Result<(Vec<job::Model>, PageInfo, u64), Error> {
    let owner = crate::Owner::of(scope);
    if owner == crate::Owner::System {
        return Err(Error::NotFound);
    }
    let (agency_id, sub_account_id) = owner.columns();
    actor.require_inside(scope, &[])?;
    let mut q = job::Entity::find()
        .filter(job::Column::AgencyId.eq(agency_id))
        .filter(job::Column::SubAccountId.eq(sub_account_id));
    if !filter.statuses.is_empty() {
        q = q.filter(job::Column::Status.is_in(filter.statuses));
    }
    if let Some(kind) = filter.kind {
        q = q.filter(job::Column::Kind.eq(kind));
    }
    if let Some(t) = filter.due_before {
        q = q.filter(job::Column::RunAt.lte(t));
    }
    if let Some(t) = filter.due_after {
        q = q.filter(job::Column::RunAt.gte(t));
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, job::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |j| j.id);
    Ok((rows, info, total))
}

/// One job the actor may read, else `NOT_FOUND`.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<job::Model, Error> {
    actor.require_authenticated()?;
    let j = job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let scope = scope_of(&j).ok_or(Error::NotFound)?;
    actor.require_inside(scope, &[])?;
    Ok(j)
}

async fn manage(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<job::Model, Error> {
    let j = get(db, actor, id).await?;
    let scope = scope_of(&j).ok_or(Error::NotFound)?;
    actor.require_inside(scope, &[Permission::SettingsManage])?;
    Ok(j)
}

fn wrong_state(what: &str, status: JobStatus) -> Error {
    Error::user(
        "id",
        kernel::error::UserErrorCode::NotAllowed,
        format!("only {what}; this job is {}", status.to_value()),
    )
}

/// Runs a dead job again, with a fresh set of attempts.
pub async fn retry(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<job::Model, Error> {
    let j = manage(db, actor, id).await?;
    let now = Utc::now();
    let r = job::Entity::update_many()
        .col_expr(
            job::Column::Status,
            Expr::value(JobStatus::Available.to_value()),
        )
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(now))
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(j.id))
        .filter(job::Column::Status.eq(JobStatus::Dead))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Err(wrong_state("a dead job can be retried", j.status));
    }
    crate::wake();
    get(db, actor, id).await
}

/// Cancels a job that has not started.
pub async fn cancel(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<job::Model, Error> {
    let j = manage(db, actor, id).await?;
    let now = Utc::now();
    let r = job::Entity::update_many()
        .col_expr(
            job::Column::Status,
            Expr::value(JobStatus::Cancelled.to_value()),
        )
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(j.id))
        .filter(job::Column::Status.is_in([JobStatus::Scheduled, JobStatus::Available]))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Err(wrong_state(
            "a job waiting to run can be cancelled",
            j.status,
        ));
    }
    get(db, actor, id).await
}
