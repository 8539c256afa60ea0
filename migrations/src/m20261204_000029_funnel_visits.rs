//! funnel visits: who saw a published page, counted without keeping anyone's address.
//!
//! - `funnel_visits`: a visitor's first view of a page on a day (UTC), with the campaign
//!   (`utm_*`) it came with. The visitor is a hash of the day's salt, the client's IP address
//!   and user agent and the host; the address itself is never written. Unique per page, day and
//!   visitor, so every replica may insert the same sighting and it counts once.
//! - `funnel_page_days`: per page and day, the views, the visitors (first sightings) and the
//!   form submissions: what the stats read, whatever the traffic.
//! - `visit_salts`: the current day's random salt (and yesterday's, for the visits still being
//!   written). Older salts are deleted, after which no hash can be tied to an address again.
//!   Platform data, not a tenant's.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FunnelVisits {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    FunnelId,
    PageId,
    Day,
    Visitor,
    Utm,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FunnelPageDays {
    Table,
    AgencyId,
    SubAccountId,
    FunnelId,
    PageId,
    Day,
    Views,
    Visitors,
    Submissions,
}

#[derive(DeriveIden)]
enum VisitSalts {
    Table,
    Day,
    Salt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FunnelVisits::Table)
                    .col(uuid(FunnelVisits::AgencyId))
                    .col(uuid(FunnelVisits::Id))
                    .col(uuid(FunnelVisits::SubAccountId))
                    .col(uuid(FunnelVisits::FunnelId))
                    .col(uuid(FunnelVisits::PageId))
                    .col(date(FunnelVisits::Day))
                    .col(string_len(FunnelVisits::Visitor, 32))
                    .col(json_binary(FunnelVisits::Utm))
                    .col(timestamp_with_time_zone(FunnelVisits::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(FunnelVisits::AgencyId)
                            .col(FunnelVisits::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funnel_visits_once")
                    .table(FunnelVisits::Table)
                    .col(FunnelVisits::AgencyId)
                    .col(FunnelVisits::PageId)
                    .col(FunnelVisits::Day)
                    .col(FunnelVisits::Visitor)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FunnelPageDays::Table)
                    .col(uuid(FunnelPageDays::AgencyId))
                    .col(uuid(FunnelPageDays::SubAccountId))
                    .col(uuid(FunnelPageDays::FunnelId))
                    .col(uuid(FunnelPageDays::PageId))
                    .col(date(FunnelPageDays::Day))
                    .col(big_integer(FunnelPageDays::Views).default(0))
                    .col(big_integer(FunnelPageDays::Visitors).default(0))
                    .col(big_integer(FunnelPageDays::Submissions).default(0))
                    .primary_key(
                        Index::create()
                            .col(FunnelPageDays::AgencyId)
                            .col(FunnelPageDays::PageId)
                            .col(FunnelPageDays::Day),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funnel_page_days_funnel")
                    .table(FunnelPageDays::Table)
                    .col(FunnelPageDays::AgencyId)
                    .col(FunnelPageDays::FunnelId)
                    .col(FunnelPageDays::Day)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VisitSalts::Table)
                    .col(date(VisitSalts::Day).primary_key())
                    .col(string_len(VisitSalts::Salt, 64))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            for table in ["funnel_visits", "funnel_page_days"] {
                db.execute_unprepared(&tenant_table(table, Reach::Data))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            VisitSalts::Table.into_iden(),
            FunnelPageDays::Table.into_iden(),
            FunnelVisits::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
