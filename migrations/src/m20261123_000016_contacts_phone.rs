//! crm: an index on contacts' phone numbers (imports and duplicate detection find contacts by
//! phone).

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contacts {
    Table,
    AgencyId,
    SubAccountId,
    Phone,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("contacts_phone")
                    .table(Contacts::Table)
                    .col(Contacts::AgencyId)
                    .col(Contacts::SubAccountId)
                    .col(Contacts::Phone)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("contacts_phone")
                    .table(Contacts::Table)
                    .to_owned(),
            )
            .await
    }
}
