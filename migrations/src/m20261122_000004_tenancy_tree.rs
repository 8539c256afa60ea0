//! tenancy: the tree below the platform — agencies and their sub-accounts.
//!
//! `sub_accounts` is a tenant table: keyed `(agency_id, id)`, every index leads with
//! `agency_id`. `agencies` is the tenant itself, keyed by `id`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Id,
    ResellerId,
    Name,
    Subdomain,
    CustomDomain,
    Timezone,
    Address,
    LogoUrl,
    PrimaryColor,
    MarketplaceEnabled,
    AiSuiteEnabled,
    SubAccountPrice,
    WhiteLabelPrice,
    Currency,
    StripeConnectAccountId,
    Status,
    DeletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SubAccounts {
    Table,
    AgencyId,
    Id,
    Name,
    Slug,
    Email,
    Phone,
    Timezone,
    LogoUrl,
    Address,
    Status,
    DeletedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Agencies::Table)
                    .col(pk_uuid(Agencies::Id))
                    .col(uuid_null(Agencies::ResellerId))
                    .col(string_len(Agencies::Name, 200))
                    .col(string_len_null(Agencies::Subdomain, 63).unique_key())
                    .col(string_len_null(Agencies::CustomDomain, 253).unique_key())
                    .col(string_len(Agencies::Timezone, 64))
                    .col(string_len_null(Agencies::Address, 500))
                    .col(string_len_null(Agencies::LogoUrl, 2000))
                    .col(string_len_null(Agencies::PrimaryColor, 7))
                    .col(boolean(Agencies::MarketplaceEnabled).default(false))
                    .col(boolean(Agencies::AiSuiteEnabled).default(false))
                    .col(big_integer(Agencies::SubAccountPrice).default(0))
                    .col(big_integer(Agencies::WhiteLabelPrice).default(0))
                    .col(string_len(Agencies::Currency, 3))
                    .col(string_len_null(Agencies::StripeConnectAccountId, 64))
                    .col(string_len(Agencies::Status, 16))
                    .col(timestamp_with_time_zone_null(Agencies::DeletedAt))
                    .col(timestamp_with_time_zone(Agencies::CreatedAt))
                    .col(timestamp_with_time_zone(Agencies::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("agencies_reseller_id")
                    .table(Agencies::Table)
                    .col(Agencies::ResellerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SubAccounts::Table)
                    .col(uuid(SubAccounts::AgencyId))
                    .col(uuid(SubAccounts::Id))
                    .col(string_len(SubAccounts::Name, 200))
                    .col(string_len(SubAccounts::Slug, 63))
                    .col(string_len_null(SubAccounts::Email, 254))
                    .col(string_len_null(SubAccounts::Phone, 32))
                    .col(string_len(SubAccounts::Timezone, 64))
                    .col(string_len_null(SubAccounts::LogoUrl, 2000))
                    .col(string_len_null(SubAccounts::Address, 500))
                    .col(string_len(SubAccounts::Status, 16))
                    .col(timestamp_with_time_zone_null(SubAccounts::DeletedAt))
                    .col(timestamp_with_time_zone(SubAccounts::CreatedAt))
                    .col(timestamp_with_time_zone(SubAccounts::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(SubAccounts::AgencyId)
                            .col(SubAccounts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SubAccounts::Table, SubAccounts::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sub_accounts_agency_slug")
                    .table(SubAccounts::Table)
                    .col(SubAccounts::AgencyId)
                    .col(SubAccounts::Slug)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Global-id lookups (`node(id:)`) come without the agency; this index serves them.
        manager
            .create_index(
                Index::create()
                    .name("sub_accounts_id")
                    .table(SubAccounts::Table)
                    .col(SubAccounts::Id)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SubAccounts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Agencies::Table).to_owned())
            .await
    }
}
