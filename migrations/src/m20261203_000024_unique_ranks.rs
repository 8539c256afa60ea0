//! Every ordered list gets a unique rank: `(agency_id, parent, rank)` is unique in pipelines
//! (per sub-account), lanes (per pipeline), task groups and workspace links (per sub-account),
//! checklist items (per task) and sidebar entries (per scope), as tickets' already is (per
//! lane). The services place items under the list's lock (`kernel::db::lock_list`); the index
//! is the backstop.
//!
//! Ranks made equal before (concurrent creates on PostgreSQL) are told apart first: in each
//! group of equal ranks, ordered by creation, every row after the first gets a suffix `0` +
//! four hex digits (odd, so the key never ends in `0`). A suffix keeps the row after its twin
//! and before the next distinct rank.
//!
//! On PostgreSQL the rewrite runs with `FORCE ROW LEVEL SECURITY` lifted for its own statement
//! (an owner that is not a superuser would otherwise see no row), in one implicit transaction.
//! Tasks are not here: their `rank` is not an order yet (tasks list in creation order).

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each ranked list: its table and the column naming the list it belongs to.
pub const LISTS: [(&str, &str); 6] = [
    ("pipelines", "sub_account_id"),
    ("lanes", "pipeline_id"),
    ("task_groups", "sub_account_id"),
    ("workspace_links", "sub_account_id"),
    ("task_checklist_items", "task_id"),
    ("sidebar_options", "scope_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let pg = manager.get_database_backend() == sea_orm::DbBackend::Postgres;
        for (table, parent) in LISTS {
            let suffix = if pg {
                "'0' || lpad(to_hex(2 * d.n - 1), 4, '0')"
            } else {
                "'0' || printf('%04x', 2 * d.n - 1)"
            };
            let rewrite = format!(
                "UPDATE {table} SET rank = {table}.rank || {suffix}
                 FROM (SELECT id, row_number() OVER (PARTITION BY agency_id, {parent}, rank ORDER BY created_at, id) - 1 AS n FROM {table}) d
                 WHERE {table}.id = d.id AND d.n > 0"
            );
            let index = format!(
                "CREATE UNIQUE INDEX {table}_rank_unique ON {table} (agency_id, {parent}, rank)"
            );
            let sql = if pg {
                format!(
                    "ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; {rewrite}; \
                     ALTER TABLE {table} FORCE ROW LEVEL SECURITY; {index};"
                )
            } else {
                format!("{rewrite}; {index};")
            };
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, _) in LISTS {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {table}_rank_unique"))
                .await?;
        }
        Ok(())
    }
}
