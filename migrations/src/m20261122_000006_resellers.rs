//! tenancy: resellers (white-label partners) and their credit ledger.
//!
//! A reseller's balance is the sum of its ledger; every credit movement is a row.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Resellers {
    Table,
    Id,
    Name,
    BrandName,
    LogoUrl,
    PrimaryColor,
    WhiteLabelDomain,
    RevenueShareBps,
    AgencyPriceCredits,
    ManagerAgencyId,
    Status,
    DeletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ResellerCreditEntries {
    Table,
    Id,
    ResellerId,
    Amount,
    Kind,
    AgencyId,
    Note,
    ActorId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Resellers::Table)
                    .col(pk_uuid(Resellers::Id))
                    .col(string_len(Resellers::Name, 200))
                    .col(string_len(Resellers::BrandName, 200))
                    .col(string_len_null(Resellers::LogoUrl, 2000))
                    .col(string_len_null(Resellers::PrimaryColor, 7))
                    .col(string_len_null(Resellers::WhiteLabelDomain, 253).unique_key())
                    .col(integer(Resellers::RevenueShareBps).default(0))
                    .col(big_integer(Resellers::AgencyPriceCredits).default(1))
                    .col(uuid_null(Resellers::ManagerAgencyId))
                    .col(string_len(Resellers::Status, 16))
                    .col(timestamp_with_time_zone_null(Resellers::DeletedAt))
                    .col(timestamp_with_time_zone(Resellers::CreatedAt))
                    .col(timestamp_with_time_zone(Resellers::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResellerCreditEntries::Table)
                    .col(pk_uuid(ResellerCreditEntries::Id))
                    .col(uuid(ResellerCreditEntries::ResellerId))
                    .col(big_integer(ResellerCreditEntries::Amount))
                    .col(string_len(ResellerCreditEntries::Kind, 32))
                    .col(uuid_null(ResellerCreditEntries::AgencyId))
                    .col(string_len_null(ResellerCreditEntries::Note, 500))
                    .col(uuid_null(ResellerCreditEntries::ActorId))
                    .col(timestamp_with_time_zone(ResellerCreditEntries::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ResellerCreditEntries::Table,
                                ResellerCreditEntries::ResellerId,
                            )
                            .to(Resellers::Table, Resellers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reseller_credit_entries_reseller")
                    .table(ResellerCreditEntries::Table)
                    .col(ResellerCreditEntries::ResellerId)
                    .col(ResellerCreditEntries::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ResellerCreditEntries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Resellers::Table).to_owned())
            .await
    }
}
