//! Delivery: what the job runtime needs to act on what wave 1 only recorded.
//!
//! - `email_outbox` learns whose mail it is (`agency_id`), its sender (`from_name`,
//!   `from_address`: a brand's white-label sender), its state (`queued` -> `sent` | `bounced`),
//!   the last delivery error, and which codes to blank from the body once it is handed over
//!   (`redact`). Mail queued before this migration is enqueued for delivery.
//! - `agencies` and `resellers` get an optional white-label sender address.
//! - `task_reminders` learn whether to email as well as notify (`by_email`).

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    AgencyId,
    FromName,
    FromAddress,
    Status,
    LastError,
    Redact,
}

#[derive(DeriveIden)]
enum Agencies {
    Table,
    SenderEmail,
}

#[derive(DeriveIden)]
enum Resellers {
    Table,
    SenderEmail,
}

#[derive(DeriveIden)]
enum TaskReminders {
    Table,
    ByEmail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        let outbox = [
            uuid_null(EmailOutbox::AgencyId),
            string_len_null(EmailOutbox::FromName, 100),
            string_len_null(EmailOutbox::FromAddress, 254),
            string_len(EmailOutbox::Status, 12)
                .default("queued")
                .to_owned(),
            text_null(EmailOutbox::LastError),
            json_binary_null(EmailOutbox::Redact),
        ];
        for col in outbox {
            let mut col = col;
            manager
                .alter_table(
                    Table::alter()
                        .table(EmailOutbox::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Agencies::Table)
                    .add_column(string_len_null(Agencies::SenderEmail, 254))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Resellers::Table)
                    .add_column(string_len_null(Resellers::SenderEmail, 254))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(TaskReminders::Table)
                    .add_column(boolean(TaskReminders::ByEmail).default(false))
                    .to_owned(),
            )
            .await?;
        // Mail that waited for a sender: mark what was sent, enqueue the rest.
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE email_outbox SET status = 'sent' WHERE sent_at IS NOT NULL")
            .await?;
        let (id, nil, oid, json, now) = match manager.get_database_backend() {
            sea_orm::DbBackend::Postgres => (
                "gen_random_uuid()",
                "'00000000-0000-0000-0000-000000000000'::uuid",
                "o.id::text",
                "::jsonb",
                "now()",
            ),
            _ => (
                "randomblob(16)",
                "zeroblob(16)",
                "lower(hex(o.id))",
                "",
                "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
            ),
        };
        db.execute_unprepared(&format!(
            "INSERT INTO jobs (id, agency_id, sub_account_id, kind, payload, status, attempts,
                               max_attempts, run_at, idempotency_key, created_at, updated_at)
             SELECT {id}, {nil}, {nil}, 'email.send', ('{{\"outbox_id\":\"' || {oid} || '\"}}'){json},
                    'available', 0, 8, {now}, 'outbox:' || {oid}, {now}, {now}
             FROM email_outbox o WHERE o.sent_at IS NULL"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "delivery columns are not removed: restore a backup instead".into(),
        ))
    }
}
