//! jobs: the durable job runtime's tables.
//!
//! - `jobs`: one row per job, in the state machine `scheduled` (waiting for `run_at`) ->
//!   `available` -> `running` (claimed under a lease) -> `succeeded` | `dead` | `cancelled`.
//!   `agency_id` / `sub_account_id` say whose job it is; the nil UUID stands for "none" (a
//!   system job, or an agency-level one), so that lanes compare with `=` on both databases.
//!   `(agency_id, kind, idempotency_key)` is unique: enqueueing the same key twice makes one job.
//! - `job_schedules`: recurring schedules (cron with a time zone); `next_run_at` advances by
//!   compare-and-set, so each run is enqueued once however many replicas tick.
//!
//! On PostgreSQL, `jobs` is a tenant table behind row-level security. The runner reads across
//! tenants through one narrow, named setting, `app.job_runner`, set only on the runner's own
//! pool (never the owner role).

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    AgencyId,
    SubAccountId,
    Kind,
    Payload,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LeaseUntil,
    LockedBy,
    IdempotencyKey,
    LastError,
    Result,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum JobSchedules {
    Table,
    Name,
    Cron,
    Timezone,
    Kind,
    Payload,
    NextRunAt,
    LastRunAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(uuid(Jobs::Id).primary_key())
                    .col(uuid(Jobs::AgencyId))
                    .col(uuid(Jobs::SubAccountId))
                    .col(string_len(Jobs::Kind, 64))
                    .col(json_binary(Jobs::Payload))
                    .col(string_len(Jobs::Status, 12))
                    .col(integer(Jobs::Attempts))
                    .col(integer(Jobs::MaxAttempts))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(uuid_null(Jobs::LockedBy))
                    .col(string_len_null(Jobs::IdempotencyKey, 200))
                    .col(text_null(Jobs::LastError))
                    .col(json_binary_null(Jobs::Result))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobSchedules::Table)
                    .col(string_len(JobSchedules::Name, 64).primary_key())
                    .col(string_len(JobSchedules::Cron, 100))
                    .col(string_len(JobSchedules::Timezone, 64))
                    .col(string_len(JobSchedules::Kind, 64))
                    .col(json_binary(JobSchedules::Payload))
                    .col(timestamp_with_time_zone(JobSchedules::NextRunAt))
                    .col(timestamp_with_time_zone_null(JobSchedules::LastRunAt))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Partial indexes (both databases): the claim walks `jobs_ready` lane by lane, the
        // promoter `jobs_due`, the reaper `jobs_leased`; the API lists by scope.
        db.execute_unprepared(
            "CREATE INDEX jobs_ready ON jobs (agency_id, sub_account_id, run_at, id) WHERE status = 'available';
             CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'scheduled';
             CREATE INDEX jobs_leased ON jobs (lease_until) WHERE status = 'running';
             CREATE INDEX jobs_scope ON jobs (agency_id, sub_account_id, id);
             CREATE UNIQUE INDEX jobs_idempotency ON jobs (agency_id, kind, idempotency_key);",
        )
        .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let tenant =
                "agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::uuid)
               OR (SELECT current_setting('app.job_runner', true)) = 'on'";
            // A request may also enqueue a system job (nil agency: a password-reset email) that
            // it cannot read back.
            db.execute_unprepared(&format!(
                "ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
                 ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
                 CREATE POLICY jobs_base ON jobs AS PERMISSIVE FOR ALL USING (true) WITH CHECK (true);
                 CREATE POLICY jobs_read ON jobs AS RESTRICTIVE FOR SELECT USING ({tenant});
                 CREATE POLICY jobs_update ON jobs AS RESTRICTIVE FOR UPDATE USING ({tenant}) WITH CHECK ({tenant});
                 CREATE POLICY jobs_delete ON jobs AS RESTRICTIVE FOR DELETE USING ({tenant});
                 CREATE POLICY jobs_insert ON jobs AS RESTRICTIVE FOR INSERT
                   WITH CHECK ({tenant} OR agency_id = '00000000-0000-0000-0000-000000000000'::uuid);"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobSchedules::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await
    }
}
