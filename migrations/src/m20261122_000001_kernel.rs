//! kernel: the event log (outbox).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    AgencyId,
    SubAccountId,
    ScopeKind,
    ScopeId,
    EventType,
    SubjectType,
    SubjectId,
    ActorKind,
    ActorId,
    Payload,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(pk_uuid(Events::Id))
                    .col(uuid_null(Events::AgencyId))
                    .col(uuid_null(Events::SubAccountId))
                    .col(string_len(Events::ScopeKind, 16))
                    .col(uuid_null(Events::ScopeId))
                    .col(string_len(Events::EventType, 64))
                    .col(string_len(Events::SubjectType, 64))
                    .col(uuid(Events::SubjectId))
                    .col(string_len(Events::ActorKind, 16))
                    .col(uuid_null(Events::ActorId))
                    .col(json_binary(Events::Payload))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_agency_id_id")
                    .table(Events::Table)
                    .col(Events::AgencyId)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_subject")
                    .table(Events::Table)
                    .col(Events::SubjectId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}
