//! The kanban operations: `(db, &Actor, input) -> Result`. Reading needs `PIPELINES_READ` in
//! the sub-account inside the request's tenant, writing `PIPELINES_READ` and `PIPELINES_WRITE`
//! (`tenancy::guard::Access::Write`).

pub mod lane;
mod metrics;
pub mod pipeline;
pub mod stats;
pub mod task;
pub mod ticket;
pub mod workspace;

use kernel::auth::{Actor, Scope};
use kernel::error::Error;
use kernel::id::NodeKind;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// Tells the new assignee of a ticket or task (when it changed, and it is not the actor).
pub async fn notify_assigned(
    db: &impl ConnectionTrait,
    actor: &Actor,
    (agency_id, sub_account_id): (Uuid, Uuid),
    (assignee, before): (Option<Uuid>, Option<Uuid>),
    subject: (NodeKind, Uuid),
    title: &str,
) -> Result<(), Error> {
    let Some(user) = assignee.filter(|a| Some(*a) != before) else {
        return Ok(());
    };
    let (kind, what) = if subject.0 == NodeKind::Ticket {
        ("ticket.assigned", "deal")
    } else {
        ("task.assigned", "task")
    };
    kernel::notify::send(
        db,
        actor,
        kernel::notify::NewNotification {
            user_id: user,
            scope: Scope::SubAccount {
                agency_id,
                id: sub_account_id,
            },
            kind,
            text: format!("You were assigned the {what} “{title}”"),
            subject: Some(subject),
        },
    )
    .await
}

/// Checks a name of 1 to 100 characters.
pub fn check_name(errors: &mut Vec<kernel::error::UserError>, field: &str, name: &str) -> String {
    tenancy::service::validate::name(errors, field, name, 100)
}
