//! funnel tracking: a funnel's analytics tags (`funnels.tracking`, typed ids as JSON) and each
//! sub-account's opt-in (`funnel_settings.tracking_allowed`; no row: not allowed). A tenant
//! data table keyed `(agency_id, sub_account_id)`.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Funnels {
    Table,
    Tracking,
}

#[derive(DeriveIden)]
enum FunnelSettings {
    Table,
    AgencyId,
    SubAccountId,
    TrackingAllowed,
    UpdatedAt,
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
            .alter_table(
                Table::alter()
                    .table(Funnels::Table)
                    .add_column(json_binary_null(Funnels::Tracking))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FunnelSettings::Table)
                    .col(uuid(FunnelSettings::AgencyId))
                    .col(uuid(FunnelSettings::SubAccountId))
                    .col(boolean(FunnelSettings::TrackingAllowed))
                    .col(timestamp_with_time_zone(FunnelSettings::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(FunnelSettings::AgencyId)
                            .col(FunnelSettings::SubAccountId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                FunnelSettings::Table,
                                (FunnelSettings::AgencyId, FunnelSettings::SubAccountId),
                            )
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&tenant_table("funnel_settings", Reach::Data))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FunnelSettings::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Funnels::Table)
                    .drop_column(Funnels::Tracking)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
