//! Writing the audit log (the gateway's savepoint extension, once per top-level mutation),
//! reading it (a scope's admins), and removing rows past their retention.

use crate::entity::{self as audit_log};
use kernel::audit::Collected;
use kernel::auth::{Actor, Permission, Principal, Scope};
use kernel::connection::Page;
use kernel::context::RequestContext;
use kernel::error::Error;
use kernel::id::GlobalId;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

/// Most targets kept for one row.
pub const MAX_TARGETS: usize = 20;

/// How a mutation ended, for [`record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It returned its payload (with or without user errors, which [`Collected`] holds).
    Done,
    /// It failed with this error code (`NOT_FOUND`, `FORBIDDEN`, …): nothing it did was kept.
    Failed(String),
}

/// Writes the row of one top-level mutation, `operation`, in the request's transaction:
/// `named` are the global ids its arguments held, `collected` what it did.
pub async fn record(
    db: &impl ConnectionTrait,
    rc: &RequestContext,
    operation: &str,
    named: Vec<String>,
    outcome: &Outcome,
    collected: &Collected,
) -> Result<(), Error> {
    let (actor_kind, actor_id) = rc.actor.kind_and_id();
    let on_behalf_of = match &rc.actor.principal {
        Principal::ApiKey { owner, .. } => Some(*owner),
        _ => None,
    };
    // The tenant of what it changed (its admins read what was done to it, whoever did it and
    // from wherever); a mutation that changed nothing goes to the request's tenant, if any.
    let (agency_id, sub_account_id) = match (collected.agency_id, rc.tenant) {
        (Some(a), Some(t)) if t.agency_id == a => {
            (Some(a), collected.sub_account_id.or(t.sub_account_id))
        }
        (Some(a), _) => (Some(a), collected.sub_account_id),
        (None, Some(t)) => (Some(t.agency_id), t.sub_account_id),
        (None, None) => (None, None),
    };
    let mut targets = named;
    for s in &collected.subjects {
        if !targets.contains(s) {
            targets.push(s.clone());
        }
    }
    targets.truncate(MAX_TARGETS);
    let result = match outcome {
        Outcome::Failed(code) => code.clone(),
        Outcome::Done if collected.user_errors.is_empty() => "OK".to_owned(),
        Outcome::Done => "USER_ERRORS".to_owned(),
    };
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: Set(kernel::id::new_uuid()),
        agency_id: Set(agency_id),
        sub_account_id: Set(sub_account_id),
        actor_kind: Set(actor_kind.to_owned()),
        actor_id: Set(actor_id),
        on_behalf_of: Set(on_behalf_of),
        operation: Set(operation.chars().take(100).collect()),
        targets: Set(serde_json::json!(targets)),
        result: Set(result),
        user_errors: Set(serde_json::json!(collected.user_errors)),
        ip: Set(rc.client_ip.map(|ip| ip.to_string())),
        request_id: Set(rc.request_id.chars().take(200).collect()),
        occurred_at: Set(chrono::Utc::now()),
    })
    // No `RETURNING`: a row of no agency may be written where it may not be read back.
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Which rows to list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Only rows of this user or API key.
    pub actor_id: Option<Uuid>,
    /// Only rows of this operation (`contactUpdate`).
    pub operation: Option<String>,
}

/// A scope's audit log, newest first: an agency's (its sub-accounts' included), a
/// sub-account's, or for the platform's admins the rows of no agency. Needs `AUDIT_READ` in
/// the scope.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    filter: Filter,
    page: Page,
    with_total: bool,
) -> Result<(Vec<audit_log::Model>, kernel::connection::PageInfo, u64), Error> {
    require_readable(actor, scope)?;
    let mut q = audit_log::Entity::find();
    match scope {
        Scope::Platform => q = q.filter(audit_log::Column::AgencyId.is_null()),
        Scope::Agency(a) => q = q.filter(audit_log::Column::AgencyId.eq(a)),
        Scope::SubAccount { agency_id, id } => {
            q = q
                .filter(audit_log::Column::AgencyId.eq(agency_id))
                .filter(audit_log::Column::SubAccountId.eq(id));
        }
        Scope::Reseller(_) => return Err(Error::NotFound),
    }
    if let Some(a) = filter.actor_id {
        q = q.filter(audit_log::Column::ActorId.eq(a));
    }
    if let Some(op) = filter.operation {
        q = q.filter(audit_log::Column::Operation.eq(op));
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, audit_log::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |r| r.id);
    Ok((rows, info, total))
}

/// Whether the actor may read a scope's audit log (`AUDIT_READ` there; another tenant's scope
/// is `NOT_FOUND`). Checked before anything else about a request is, so that a foreign scope
/// answers exactly as a missing one.
pub fn require_readable(actor: &Actor, scope: Scope) -> Result<(), Error> {
    match scope {
        Scope::Platform => actor
            .require_in(scope, &[Permission::AuditRead])
            .map(|_| ()),
        Scope::Agency(_) | Scope::SubAccount { .. } => {
            actor.require_inside(scope, &[Permission::AuditRead])
        }
        Scope::Reseller(_) => Err(Error::NotFound),
    }
}

/// Most rows one statement of [`expire`] removes.
const EXPIRE_BATCH: u64 = 10_000;

/// Removes rows older than `days` (none when 0), in batches; how many.
pub async fn expire(db: &impl ConnectionTrait, days: u64) -> Result<u64, Error> {
    if days == 0 {
        return Ok(0);
    }
    // A retention past what a date can hold keeps everything.
    let Some(cutoff) = i64::try_from(days)
        .ok()
        .and_then(chrono::Duration::try_days)
        .and_then(|d| chrono::Utc::now().checked_sub_signed(d))
    else {
        return Ok(0);
    };
    // Ids are UUIDv7: the smallest id of the cutoff's millisecond bounds the scan by key.
    let floor = kernel::id::uuid_floor(cutoff);
    let mut removed = 0;
    loop {
        let ids: Vec<Uuid> = audit_log::Entity::find()
            .select_only()
            .column(audit_log::Column::Id)
            .filter(audit_log::Column::Id.lt(floor))
            .limit(EXPIRE_BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if ids.is_empty() {
            return Ok(removed);
        }
        let n = audit_log::Entity::delete_many()
            .filter(audit_log::Column::Id.is_in(ids))
            .exec(db)
            .await?
            .rows_affected;
        removed += n;
        if n < EXPIRE_BATCH {
            return Ok(removed);
        }
    }
}

/// The global ids an argument value holds: every string under a key `id`, `ids`, or ending in
/// `Id` or `Ids` that parses as one (at most [`MAX_TARGETS`]).
pub fn named_ids(args: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, key_is_id: bool, out: &mut Vec<String>) {
        if out.len() >= MAX_TARGETS {
            return;
        }
        match v {
            serde_json::Value::String(s)
                if key_is_id && GlobalId::parse(s).is_ok() && !out.contains(s) =>
            {
                out.push(s.clone());
            }
            serde_json::Value::Array(items) => {
                for i in items {
                    walk(i, key_is_id, out);
                }
            }
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let id_key = k == "id" || k == "ids" || k.ends_with("Id") || k.ends_with("Ids");
                    walk(v, id_key, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(args, false, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_under_id_keys_only() {
        let c = GlobalId::new(kernel::NodeKind::Contact, Uuid::now_v7()).to_string();
        let s = GlobalId::new(kernel::NodeKind::SubAccount, Uuid::now_v7()).to_string();
        let args = serde_json::json!({
            "id": c,
            "input": { "subAccountId": s, "tagIds": [c], "name": c, "note": "not an id" }
        });
        assert_eq!(named_ids(&args), vec![c, s]);
    }
}
