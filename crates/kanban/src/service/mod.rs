//! The kanban operations: `(db, &Actor, input) -> Result`. Reading needs `PIPELINES_READ` in
//! the sub-account inside the request's tenant, writing `PIPELINES_WRITE`.

pub mod lane;
pub mod pipeline;
pub mod stats;
pub mod ticket;

use fractional_index::FractionalIndex;
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
    let parse = |r: &str| {
        FractionalIndex::from_string(r).map_err(|_| Error::internal(format!("bad rank `{r}`")))
    };
    let lower = lower.map(parse).transpose()?;
    let upper = upper.map(parse).transpose()?;
    FractionalIndex::new(lower.as_ref(), upper.as_ref())
        .map(|r| r.to_string())
        .ok_or_else(|| Error::internal("rank keys out of order"))
}

/// `n` ranks in order, for a new list.
pub fn first_ranks(n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut r = FractionalIndex::default();
    for _ in 0..n {
        out.push(r.to_string());
        r = FractionalIndex::new_after(&r);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_fall_between_their_neighbours() {
        let r = first_ranks(3);
        assert!(r[0] < r[1] && r[1] < r[2]);
        let mid = rank_between(Some(&r[0]), Some(&r[1])).expect("between");
        assert!(r[0] < mid && mid < r[1]);
        let top = rank_between(None, Some(&r[0])).expect("before");
        assert!(top < r[0]);
        let end = rank_between(Some(&r[2]), None).expect("after");
        assert!(end > r[2]);
        assert!(rank_between(Some(&r[1]), Some(&r[0])).is_err());
        // A thousand inserts into one gap stay ordered and distinct.
        let (mut lo, hi) = (r[0].clone(), r[1].clone());
        for _ in 0..1000 {
            let m = rank_between(Some(&lo), Some(&hi)).expect("between");
            assert!(lo < m && m < hi);
            lo = m;
        }
    }
}
