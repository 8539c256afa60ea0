//! The kanban operations: `(db, &Actor, input) -> Result`. Reading needs `PIPELINES_READ` in
//! the sub-account inside the request's tenant, writing `PIPELINES_WRITE`.

pub mod lane;
pub mod pipeline;
pub mod stats;
pub mod task;
pub mod ticket;
pub mod workspace;

use kernel::auth::{Actor, Permission, Scope};
use kernel::error::Error;
use kernel::event::{self, NewEvent};
use kernel::id::NodeKind;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// `NOT_FOUND` unless the request acts inside the agency and the actor holds something in the
/// sub-account; `FORBIDDEN` without `permission` there.
pub fn authorize(
    actor: &Actor,
    agency_id: Uuid,
    sub_account_id: Uuid,
    permission: Permission,
) -> Result<(), Error> {
    crm::service::contact::authorize(actor, agency_id, sub_account_id, permission)
}

/// A rank strictly between two neighbours (either may be missing: an end of the list).
pub fn rank_between(lower: Option<&str>, upper: Option<&str>) -> Result<String, Error> {
    kernel::rank::between(lower, upper)
}

/// `n` short, evenly spaced ranks in order (a new list, a bulk load, a respaced lane).
pub fn first_ranks(n: usize) -> Vec<String> {
    kernel::rank::spaced(n)
}

/// Records a kanban event in the sub-account, with the pipeline in its payload (live boards
/// follow a pipeline).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    (agency_id, sub_account_id): (Uuid, Uuid),
    event_type: &'static str,
    subject: (NodeKind, Uuid),
    pipeline_id: Uuid,
    mut payload: serde_json::Value,
) -> Result<(), Error> {
    payload["pipelineId"] = kernel::id::gid(NodeKind::Pipeline, pipeline_id)
        .to_string()
        .into();
    event::record(
        db,
        actor,
        NewEvent {
            event_type,
            scope: Scope::SubAccount {
                agency_id,
                id: sub_account_id,
            },
            subject,
            payload,
        },
    )
    .await
    .map(|_| ())
}

/// Checks a name of 1 to 100 characters.
pub fn check_name(errors: &mut Vec<kernel::error::UserError>, field: &str, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(kernel::error::UserError::new(
            field,
            kernel::error::UserErrorCode::Invalid,
            "a name has 1 to 100 characters",
        ));
    }
    name.to_owned()
}
