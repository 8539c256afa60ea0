//! webhooks: partners' endpoints, one message per endpoint and event, every delivery attempt,
//! and the dispatcher's cursor over the event log. Tenant data tables keyed by agency first;
//! on PostgreSQL the job runner (`app.job_runner`) may also read every tenant's endpoints, to
//! know which agencies listen.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    FilterSubAccountId,
    Url,
    Description,
    EventTypes,
    Permissions,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    CreatedBy,
    Status,
    DisabledReason,
    FailingSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookMessages {
    Table,
    AgencyId,
    Id,
    EndpointId,
    EventId,
    EventType,
    Body,
    Status,
    Attempts,
    CreatedAt,
    LastAttemptAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    AgencyId,
    Id,
    MessageId,
    EndpointId,
    Attempt,
    StatusCode,
    Error,
    LatencyMs,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDispatch {
    Table,
    Name,
    DispatchedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(uuid(WebhookEndpoints::AgencyId))
                    .col(uuid(WebhookEndpoints::Id))
                    .col(uuid_null(WebhookEndpoints::SubAccountId))
                    .col(uuid_null(WebhookEndpoints::FilterSubAccountId))
                    .col(string_len(WebhookEndpoints::Url, 2000))
                    .col(string_len_null(WebhookEndpoints::Description, 500))
                    .col(json_binary(WebhookEndpoints::EventTypes))
                    .col(json_binary(WebhookEndpoints::Permissions))
                    .col(string_len(WebhookEndpoints::Secret, 100))
                    .col(string_len_null(WebhookEndpoints::PreviousSecret, 100))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::PreviousSecretExpiresAt,
                    ))
                    .col(uuid(WebhookEndpoints::CreatedBy))
                    .col(string_len(WebhookEndpoints::Status, 12))
                    .col(text_null(WebhookEndpoints::DisabledReason))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::FailingSince,
                    ))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(WebhookEndpoints::AgencyId)
                            .col(WebhookEndpoints::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookMessages::Table)
                    .col(uuid(WebhookMessages::AgencyId))
                    .col(uuid(WebhookMessages::Id))
                    .col(uuid(WebhookMessages::EndpointId))
                    .col(uuid(WebhookMessages::EventId))
                    .col(string_len(WebhookMessages::EventType, 64))
                    .col(text(WebhookMessages::Body))
                    .col(string_len(WebhookMessages::Status, 12))
                    .col(integer(WebhookMessages::Attempts))
                    .col(timestamp_with_time_zone(WebhookMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookMessages::LastAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(WebhookMessages::DeliveredAt))
                    .primary_key(
                        Index::create()
                            .col(WebhookMessages::AgencyId)
                            .col(WebhookMessages::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                WebhookMessages::Table,
                                (WebhookMessages::AgencyId, WebhookMessages::EndpointId),
                            )
                            .to(
                                WebhookEndpoints::Table,
                                (WebhookEndpoints::AgencyId, WebhookEndpoints::Id),
                            ),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(uuid(WebhookAttempts::AgencyId))
                    .col(uuid(WebhookAttempts::Id))
                    .col(uuid(WebhookAttempts::MessageId))
                    .col(uuid(WebhookAttempts::EndpointId))
                    .col(integer(WebhookAttempts::Attempt))
                    .col(integer_null(WebhookAttempts::StatusCode))
                    .col(text_null(WebhookAttempts::Error))
                    .col(integer(WebhookAttempts::LatencyMs))
                    .col(timestamp_with_time_zone(WebhookAttempts::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(WebhookAttempts::AgencyId)
                            .col(WebhookAttempts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                WebhookAttempts::Table,
                                (WebhookAttempts::AgencyId, WebhookAttempts::MessageId),
                            )
                            .to(
                                WebhookMessages::Table,
                                (WebhookMessages::AgencyId, WebhookMessages::Id),
                            ),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDispatch::Table)
                    .col(string_len(WebhookDispatch::Name, 32).primary_key())
                    .col(timestamp_with_time_zone(WebhookDispatch::DispatchedUntil))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX webhook_messages_event ON webhook_messages (agency_id, endpoint_id, event_id);
             CREATE INDEX webhook_messages_endpoint ON webhook_messages (agency_id, endpoint_id, id);
             CREATE INDEX webhook_attempts_message ON webhook_attempts (agency_id, message_id, id);
             CREATE INDEX webhook_endpoints_scope ON webhook_endpoints (agency_id, sub_account_id, id);",
        )
        .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            for t in ["webhook_messages", "webhook_attempts"] {
                db.execute_unprepared(&tenant_table(t, Reach::Data)).await?;
            }
            let tenant =
                "agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::uuid)";
            db.execute_unprepared(&format!(
                "ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
                 ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
                 CREATE POLICY webhook_endpoints_base ON webhook_endpoints AS PERMISSIVE FOR ALL USING (true) WITH CHECK (true);
                 CREATE POLICY webhook_endpoints_read ON webhook_endpoints AS RESTRICTIVE FOR SELECT
                   USING ({tenant} OR (SELECT current_setting('app.job_runner', true)) = 'on');
                 CREATE POLICY webhook_endpoints_insert ON webhook_endpoints AS RESTRICTIVE FOR INSERT
                   WITH CHECK ({tenant});
                 CREATE POLICY webhook_endpoints_update ON webhook_endpoints AS RESTRICTIVE FOR UPDATE
                   USING ({tenant}) WITH CHECK ({tenant});
                 CREATE POLICY webhook_endpoints_delete ON webhook_endpoints AS RESTRICTIVE FOR DELETE
                   USING ({tenant});"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            WebhookDispatch::Table.into_iden(),
            WebhookAttempts::Table.into_iden(),
            WebhookMessages::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
