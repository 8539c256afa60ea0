//! kernel: an index for a sub-account's activity feed (newest events of one sub-account).

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    AgencyId,
    SubAccountId,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("events_sub_account_id")
                    .table(Events::Table)
                    .col(Events::AgencyId)
                    .col(Events::SubAccountId)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("events_sub_account_id")
                    .table(Events::Table)
                    .to_owned(),
            )
            .await
    }
}
