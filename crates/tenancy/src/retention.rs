//! Removing tenants deleted more than 30 days ago (past the restore window), with their data:
//! `tenancy.retention`, hourly. The gateway gives it every crate's tenant tables in foreign-key
//! order ([`kernel::purge::TenantTable`]).
//!
//! - An agency goes with everything whose `agency_id` is its own, its sub-accounts included.
//! - A sub-account (of a live agency) goes with its rows in every table that tells them apart.
//! - A reseller goes with its own staff, invitations, API keys, events and ledger; its agencies
//!   stay, and become the platform's own (`reseller_id` cleared).
//! - A reseller's ledger keeps its entries about a removed agency (the balance is their sum),
//!   without the agency.
//!
//! Every statement touches at most [`BATCH`] rows in its own transaction, and a run touches at
//! most [`BUDGET`] rows; a run that stops short enqueues the next one at once. The tenant's
//! own row goes last, so a run that stops anywhere leaves it to be found again: the purge is
//! idempotent and resumes where it stopped.

use crate::entity::{agency, reseller, sub_account};
use crate::service::agency::RESTORE_WINDOW_DAYS;
use chrono::{DateTime, Utc};
use jobs::{Backoff, JobResult, JobRun, NewJob, Owner, Recurring, Registry};
use kernel::db::{TenantGuard, begin_write, set_tenant};
use kernel::purge::TenantTable;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait, Value,
};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// The kind of the tenant purge.
pub const RETENTION: &str = "tenancy.retention";
/// Rows one statement deletes at most.
pub const BATCH: u64 = 1_000;
/// Rows one run deletes at most (a payload's `budget` may ask for fewer).
pub const BUDGET: u64 = 200_000;
/// Tenants of each kind one run looks at.
const TENANTS_PER_RUN: u64 = 50;

/// Tenancy's own tables, last in the order: the tree below an agency, and the scoped rows.
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable::scoped("invitations"),
    TenantTable::scoped("memberships"),
    TenantTable::child(
        "sidebar_options",
        "agency_id = $1 AND scope_kind = 'sub_account' AND scope_id = $2",
    ),
    TenantTable::data("embed_domains"),
    TenantTable::data("sub_account_counters"),
    TenantTable::child("sub_accounts", "agency_id = $1 AND id = $2"),
    TenantTable {
        table: "reseller_credit_entries",
        agency: "agency_id = $1",
        sub_account: None,
        reseller: Some("reseller_id = $1"),
        detach: Some("agency_id"),
    },
];

/// Registers the purge and its hourly schedule; `plan` is every crate's tenant tables, in the
/// order they are to be emptied.
pub fn register(registry: &mut Registry, plan: Vec<TenantTable>) {
    let plan: Arc<[TenantTable]> = plan.into();
    registry.on(RETENTION, Backoff::default(), move |run| {
        let plan = plan.clone();
        async move { purge_due(run, plan).await }
    });
    registry.every(Recurring {
        name: RETENTION,
        cron: "23 * * * *",
        timezone: "UTC",
        kind: RETENTION,
        payload: json!({}),
    });
}

/// A tenant to remove.
#[derive(Debug, Clone, Copy)]
enum Target {
    Agency(Uuid),
    SubAccount { agency_id: Uuid, id: Uuid },
    Reseller(Uuid),
}

impl Target {
    fn condition(self, t: &TenantTable) -> Option<&'static str> {
        match self {
            Target::Agency(_) => Some(t.agency),
            Target::SubAccount { .. } => t.sub_account,
            Target::Reseller(_) => t.reseller,
        }
    }

    fn values(self) -> Vec<Value> {
        match self {
            Target::Agency(id) | Target::Reseller(id) => vec![id.into()],
            Target::SubAccount { agency_id, id } => vec![agency_id.into(), id.into()],
        }
    }

    fn guard(self) -> TenantGuard {
        match self {
            Target::Agency(id) | Target::SubAccount { agency_id: id, .. } => {
                TenantGuard::Agency(id)
            }
            Target::Reseller(_) => TenantGuard::Nobody,
        }
    }

    /// Detaching (rather than deleting) applies inside an agency only.
    fn detaches(self) -> bool {
        !matches!(self, Target::Reseller(_))
    }
}

async fn purge_due(run: JobRun, plan: Arc<[TenantTable]>) -> JobResult {
    let db = &run.db;
    let cutoff = Utc::now() - chrono::Duration::days(RESTORE_WINDOW_DAYS);
    // An operator (or a test) may ask for a smaller run; never a larger one.
    let asked = run
        .payload
        .get("budget")
        .and_then(serde_json::Value::as_u64);
    let budget_per_run = asked.map_or(BUDGET, |b| b.clamp(1, BUDGET));
    let mut budget = budget_per_run;
    let mut removed = json!({ "agencies": 0, "sub_accounts": 0, "resellers": 0 });
    let mut rows = 0u64;
    let mut finished = true;
    // Agencies first: their sub-accounts go with them and are not looked at twice.
    'kinds: for kind in ["agencies", "sub_accounts", "resellers"] {
        let targets = match kind {
            "agencies" => {
                let columns = (agency::Column::Id, agency::Column::DeletedAt);
                let ids = due_ids::<agency::Entity>(db, columns, cutoff).await?;
                ids.into_iter().map(Target::Agency).collect()
            }
            "sub_accounts" => due_sub_accounts(db, cutoff).await?,
            _ => {
                let columns = (reseller::Column::Id, reseller::Column::DeletedAt);
                let ids = due_ids::<reseller::Entity>(db, columns, cutoff).await?;
                ids.into_iter().map(Target::Reseller).collect()
            }
        };
        for target in targets {
            let (n, done) = purge(db, &plan, target, cutoff, &mut budget).await?;
            rows += n;
            if !done {
                finished = false;
                break 'kinds;
            }
            removed[kind] = json!(removed[kind].as_u64().unwrap_or(0) + 1);
            tracing::info!(
                ?target,
                rows = n,
                "retention: deleted tenant removed with its data"
            );
        }
    }
    if !finished {
        // Resume at once; keyed by this run, so a retried run does not enqueue twice.
        jobs::enqueue(
            db,
            NewJob::new(
                RETENTION,
                Owner::System,
                json!({ "continues": run.id, "budget": budget_per_run }),
            )
            .key(format!("continues:{}", run.id)),
        )
        .await?;
        jobs::wake();
    }
    removed["rows"] = json!(rows);
    removed["finished"] = json!(finished);
    Ok(removed)
}

/// The ids of `E`'s rows deleted before `cutoff`, oldest first (tables without row-level
/// security: agencies, resellers).
async fn due_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    (id, deleted_at): (E::Column, E::Column),
    cutoff: DateTime<Utc>,
) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    E::find()
        .select_only()
        .column(id)
        .filter(deleted_at.lt(cutoff))
        .order_by_asc(deleted_at)
        .limit(TENANTS_PER_RUN)
        .into_tuple()
        .all(db)
        .await
}

async fn due_sub_accounts(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Target>, kernel::Error> {
    // The tree rows of every agency (row-level security on PostgreSQL).
    let txn = db.begin().await?;
    set_tenant(&txn, TenantGuard::CrossTenant).await?;
    let found: Vec<(Uuid, Uuid)> = sub_account::Entity::find()
        .select_only()
        .column(sub_account::Column::AgencyId)
        .column(sub_account::Column::Id)
        .filter(sub_account::Column::DeletedAt.lt(cutoff))
        .order_by_asc(sub_account::Column::DeletedAt)
        .limit(TENANTS_PER_RUN)
        .into_tuple()
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(found
        .into_iter()
        .map(|(agency_id, id)| Target::SubAccount { agency_id, id })
        .collect())
}

/// Empties the tenant's tables in order, then removes its row. Returns the rows touched and
/// whether it finished within the budget.
async fn purge(
    db: &DatabaseConnection,
    plan: &[TenantTable],
    target: Target,
    cutoff: DateTime<Utc>,
    budget: &mut u64,
) -> Result<(u64, bool), kernel::Error> {
    let backend = db.get_database_backend();
    // Each row's physical address: every table has one, whatever its key.
    let row = if backend == DbBackend::Postgres {
        "ctid"
    } else {
        "rowid"
    };
    let mut total = 0;
    for t in plan {
        let Some(condition) = target.condition(t) else {
            continue;
        };
        let table = t.table;
        loop {
            if *budget == 0 {
                return Ok((total, false));
            }
            let limit = BATCH.min(*budget);
            let selected = format!("SELECT {row} FROM {table} WHERE {condition} LIMIT {limit}");
            let sql = match t.detach {
                Some(column) if target.detaches() => {
                    format!("UPDATE {table} SET {column} = NULL WHERE {row} IN ({selected})")
                }
                _ => format!("DELETE FROM {table} WHERE {row} IN ({selected})"),
            };
            let n = in_tenant(db, target, &sql, target.values()).await?;
            total += n;
            *budget = budget.saturating_sub(n);
            if n < limit {
                break;
            }
        }
    }
    // The tenant's own row, last (a sub-account's went with `sub_accounts`), and only if it is
    // still due (not restored meanwhile, which the restore window forbids anyway).
    let last = match target {
        Target::Agency(id) => Some((
            "DELETE FROM agencies WHERE id = $1 AND deleted_at < $2",
            vec![id.into(), cutoff.into()],
        )),
        Target::Reseller(id) => {
            total += in_tenant(
                db,
                target,
                "UPDATE agencies SET reseller_id = NULL WHERE reseller_id = $1",
                vec![id.into()],
            )
            .await?;
            Some((
                "DELETE FROM resellers WHERE id = $1 AND deleted_at < $2",
                vec![id.into(), cutoff.into()],
            ))
        }
        Target::SubAccount { .. } => None,
    };
    if let Some((sql, values)) = last {
        total += in_tenant(db, target, sql, values).await?;
    }
    Ok((total, true))
}

/// One statement in its own write transaction, inside the tenant's row-level security.
async fn in_tenant(
    db: &DatabaseConnection,
    target: Target,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, kernel::Error> {
    let txn = begin_write(db).await?;
    set_tenant(&txn, target.guard()).await?;
    let n = txn
        .execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(n)
}
