//! The task workspace's background work: delivering reminders (`task.reminder`).
//!
//! A reminder is a job at its time, keyed by the reminder, owned by its sub-account. At that
//! time it notifies its user (live, through `notificationAdded`) and, if asked, emails them,
//! once: the notification, the email and the reminder's `delivered_at` commit together, and a
//! second run finds it delivered.

use crate::entity::{task, task_reminder};
use chrono::Utc;
use jobs::{Backoff, JobError, JobResult, JobRun, NewJob, Owner, Registry};
use kernel::auth::{Actor, Permission, Scope};
use kernel::db::TenantGuard;
use kernel::error::Error;
use kernel::id::NodeKind;
use kernel::notify::{self, NewNotification};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

/// The kind of a reminder's delivery.
pub const REMINDER: &str = "task.reminder";

fn key(r: &task_reminder::Model) -> String {
    format!("reminder:{}", r.id)
}

/// Registers the workspace's handlers.
pub fn register(registry: &mut Registry) {
    registry.on(REMINDER, Backoff::default(), deliver);
}

/// Enqueues a reminder's delivery at its time (in the caller's transaction).
pub(crate) async fn schedule(
    db: &impl ConnectionTrait,
    r: &task_reminder::Model,
    sub_account_id: Uuid,
) -> Result<(), Error> {
    jobs::enqueue(
        db,
        NewJob::new(
            REMINDER,
            Owner::SubAccount {
                agency_id: r.agency_id,
                id: sub_account_id,
            },
            json!({ "reminder_id": r.id }),
        )
        .at(r.remind_at)
        .key(key(r)),
    )
    .await?;
    Ok(())
}

/// Cancels a deleted reminder's delivery.
pub(crate) async fn unschedule(
    db: &impl ConnectionTrait,
    r: &task_reminder::Model,
) -> Result<(), Error> {
    jobs::cancel_by_key(db, Owner::Agency(r.agency_id), REMINDER, &key(r)).await?;
    Ok(())
}

async fn deliver(run: JobRun) -> JobResult {
    let Owner::SubAccount { agency_id, .. } = run.owner else {
        return Err(JobError::Fail("a reminder belongs to a sub-account".into()));
    };
    let id: Uuid = run
        .payload
        .get("reminder_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| JobError::Fail("the payload names no reminder_id".into()))?;
    let txn = kernel::db::begin_write(&run.db).await?;
    kernel::db::set_tenant(&txn, TenantGuard::Agency(agency_id)).await?;
    let outcome = deliver_in(&txn, run.owner, agency_id, id).await?;
    txn.commit().await?;
    Ok(outcome)
}

async fn deliver_in(
    db: &impl ConnectionTrait,
    owner: Owner,
    agency_id: Uuid,
    id: Uuid,
) -> JobResult {
    let skipped = |why: &str| Ok(json!({ "delivered": false, "why": why }));
    let Some(r) = task_reminder::Entity::find_by_id((agency_id, id))
        .one(db)
        .await?
    else {
        return skipped("the reminder was deleted");
    };
    if r.delivered_at.is_some() {
        return skipped("already delivered");
    }
    let Some(t) = task::Entity::find_by_id((agency_id, r.task_id))
        .one(db)
        .await?
    else {
        return skipped("the task was deleted");
    };
    // Delivered once: whoever marks it first delivers it.
    let won = task_reminder::Entity::update_many()
        .col_expr(task_reminder::Column::DeliveredAt, Expr::value(Utc::now()))
        .filter(task_reminder::Column::AgencyId.eq(agency_id))
        .filter(task_reminder::Column::Id.eq(id))
        .filter(task_reminder::Column::DeliveredAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !won {
        return skipped("already delivered");
    }
    let scope = Scope::SubAccount {
        agency_id,
        id: t.sub_account_id,
    };
    // Someone who no longer works there is not told about its tasks.
    if !tenancy::user_can(db, r.user_id, Permission::PipelinesRead, scope).await? {
        return skipped("the user no longer works in the sub-account");
    }
    let text = format!("Reminder: {}", t.title);
    notify::send(
        db,
        &Actor::system(),
        NewNotification {
            user_id: r.user_id,
            scope,
            kind: "task.reminder",
            text: text.clone(),
            subject: Some((NodeKind::Task, t.id)),
        },
    )
    .await?;
    let mut emailed = false;
    if r.by_email
        && let Some(user) = identity::entity::user::Entity::find_by_id(r.user_id)
            .one(db)
            .await?
    {
        let due = t
            .due_at
            .map(|d| format!("\nIt is due {}.\n", d.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        mail::queue(
            db,
            mail::Email {
                owner,
                to: user.email,
                subject: text,
                body: format!(
                    "Hello {},\n\nthis is the reminder you asked for about the task \"{}\".\n{due}",
                    user.name, t.title
                ),
                from: tenancy::service::branding::sender_for(db, scope).await?,
                redact: Vec::new(),
                attachments: Vec::new(),
            },
        )
        .await?;
        emailed = true;
    }
    Ok(json!({ "delivered": true, "emailed": emailed }))
}
