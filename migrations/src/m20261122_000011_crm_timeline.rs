//! crm: the timeline of a contact: notes and logged interactions (emails, texts, calls,
//! meetings). A data table keyed by agency first, behind tenant-only row-level security.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContactActivities {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    ContactId,
    Kind,
    Direction,
    Status,
    Subject,
    Body,
    AuthorId,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    AgencyId,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ContactActivities::Table)
                    .col(uuid(ContactActivities::AgencyId))
                    .col(uuid(ContactActivities::Id))
                    .col(uuid(ContactActivities::SubAccountId))
                    .col(uuid(ContactActivities::ContactId))
                    .col(string_len(ContactActivities::Kind, 16))
                    .col(string_len_null(ContactActivities::Direction, 16))
                    .col(string_len_null(ContactActivities::Status, 16))
                    .col(string_len_null(ContactActivities::Subject, 300))
                    .col(text(ContactActivities::Body))
                    .col(uuid_null(ContactActivities::AuthorId))
                    .col(timestamp_with_time_zone(ContactActivities::OccurredAt))
                    .col(timestamp_with_time_zone(ContactActivities::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContactActivities::AgencyId)
                            .col(ContactActivities::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ContactActivities::Table,
                                (ContactActivities::AgencyId, ContactActivities::ContactId),
                            )
                            .to(Contacts::Table, (Contacts::AgencyId, Contacts::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("contact_activities_contact")
                    .table(ContactActivities::Table)
                    .col(ContactActivities::AgencyId)
                    .col(ContactActivities::ContactId)
                    .col(ContactActivities::Id)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&tenant_table("contact_activities", Reach::Data))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ContactActivities::Table).to_owned())
            .await
    }
}
