//! audit: `audit_log`, one row per top-level mutation by any actor — who (and for an API key,
//! its owner), in which tenant, what operation on which targets, its result, the client's IP
//! and the request id. Written in the mutation's own transaction (a row for every change that
//! committed), appended only.
//!
//! On PostgreSQL a row is read and removed inside its agency (or by staff above it, as tree
//! rows are); rows of no agency (a sign-in, a registration) only by the platform's staff. Rows
//! are never updated. The job runner removes rows past their retention. Inserting is open: the
//! row of a mutation goes to the tenant the mutation changed, which need not be the tenant its
//! transaction was opened in (an invitation accepted, an agency created from above), and a
//! mutation whose row cannot be written is undone.

use crate::m20261122_000005_row_level_security::Reach;
use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let pg = manager.get_database_backend() == sea_orm::DbBackend::Postgres;
        let (uuid, json, time) = if pg {
            ("UUID", "JSONB", "TIMESTAMPTZ")
        } else {
            ("uuid_text", "json_text", "timestamp_with_timezone_text")
        };
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE TABLE audit_log (
                id {uuid} NOT NULL PRIMARY KEY,
                agency_id {uuid},
                sub_account_id {uuid},
                actor_kind TEXT NOT NULL,
                actor_id {uuid},
                on_behalf_of {uuid},
                operation TEXT NOT NULL,
                targets {json} NOT NULL,
                result TEXT NOT NULL,
                user_errors {json} NOT NULL,
                ip TEXT,
                request_id TEXT NOT NULL,
                occurred_at {time} NOT NULL
            );
            CREATE INDEX audit_log_agency ON audit_log (agency_id, sub_account_id, id);"
        ))
        .await?;
        if pg {
            // The tree predicate of `tenant_table` (the tenant, staff above it).
            let tree = crate::m20261122_000005_row_level_security::tenant_predicate(Reach::Tree);
            db.execute_unprepared(&format!(
                "ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
                 ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
                 CREATE POLICY audit_log_base ON audit_log AS PERMISSIVE FOR ALL USING (true) WITH CHECK (true);
                 CREATE POLICY audit_log_read ON audit_log AS RESTRICTIVE FOR SELECT
                   USING ({tree} OR (SELECT current_setting('app.job_runner', true)) = 'on');
                 CREATE POLICY audit_log_update ON audit_log AS RESTRICTIVE FOR UPDATE USING (false);
                 CREATE POLICY audit_log_delete ON audit_log AS RESTRICTIVE FOR DELETE
                   USING ({tree} OR (SELECT current_setting('app.job_runner', true)) = 'on');"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE IF EXISTS audit_log")
            .await?;
        Ok(())
    }
}
