//! crm: tags of a sub-account and their attachment to contacts. Both data tables, keyed by
//! agency first, with composite foreign keys, behind tenant-only row-level security.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tags {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    Name,
    NameKey,
    Color,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContactTags {
    Table,
    AgencyId,
    ContactId,
    TagId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    AgencyId,
    Id,
}

#[derive(DeriveIden)]
enum SubAccounts {
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
                    .table(Tags::Table)
                    .col(uuid(Tags::AgencyId))
                    .col(uuid(Tags::Id))
                    .col(uuid(Tags::SubAccountId))
                    .col(string_len(Tags::Name, 50))
                    .col(string_len(Tags::NameKey, 50))
                    .col(string_len_null(Tags::Color, 7))
                    .col(timestamp_with_time_zone(Tags::CreatedAt))
                    .col(timestamp_with_time_zone(Tags::UpdatedAt))
                    .primary_key(Index::create().col(Tags::AgencyId).col(Tags::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tags::Table, (Tags::AgencyId, Tags::SubAccountId))
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tags_sub_account_name")
                    .table(Tags::Table)
                    .col(Tags::AgencyId)
                    .col(Tags::SubAccountId)
                    .col(Tags::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactTags::Table)
                    .col(uuid(ContactTags::AgencyId))
                    .col(uuid(ContactTags::ContactId))
                    .col(uuid(ContactTags::TagId))
                    .col(timestamp_with_time_zone(ContactTags::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContactTags::AgencyId)
                            .col(ContactTags::ContactId)
                            .col(ContactTags::TagId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ContactTags::Table,
                                (ContactTags::AgencyId, ContactTags::ContactId),
                            )
                            .to(Contacts::Table, (Contacts::AgencyId, Contacts::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ContactTags::Table,
                                (ContactTags::AgencyId, ContactTags::TagId),
                            )
                            .to(Tags::Table, (Tags::AgencyId, Tags::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("contact_tags_tag")
                    .table(ContactTags::Table)
                    .col(ContactTags::AgencyId)
                    .col(ContactTags::TagId)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared(&tenant_table("tags", Reach::Data))
                .await?;
            db.execute_unprepared(&tenant_table("contact_tags", Reach::Data))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ContactTags::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Tags::Table).to_owned())
            .await
    }
}
