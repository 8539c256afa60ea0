//! analytics (seed 004's analytics, seed 001's metrics): `metric_deltas`, the changes each
//! change's transaction appends (`kernel::metric`), and `metric_daily`, what the fold job makes
//! of them: one row per sub-account, metric, split and local day. Tenant data tables. The keys
//! put the split before the day, so a query of the day totals (split `""`) reads only those.
//!
//! On PostgreSQL the job runner (`app.job_runner`) may also see every tenant's pending deltas,
//! to find the agencies that have some; it folds each agency's inside that agency's tenant.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MetricDeltas {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    Metric,
    Dimension,
    At,
    Count,
    Total,
}

#[derive(DeriveIden)]
enum MetricDaily {
    Table,
    AgencyId,
    SubAccountId,
    Metric,
    Dimension,
    Day,
    Count,
    Total,
}

#[derive(DeriveIden)]
enum SubAccounts {
    Table,
    AgencyId,
    Id,
}

fn sub_account_fk<T: IntoIden + 'static>(table: T, agency: T, sub: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, (agency, sub))
        .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use MetricDaily as M;
        use MetricDeltas as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(uuid(D::AgencyId))
                    .col(uuid(D::Id))
                    .col(uuid(D::SubAccountId))
                    .col(string_len(D::Metric, 32))
                    .col(string_len(D::Dimension, 64))
                    .col(timestamp_with_time_zone(D::At))
                    .col(big_integer(D::Count))
                    .col(big_integer(D::Total))
                    .primary_key(Index::create().col(D::AgencyId).col(D::Id))
                    .foreign_key(&mut sub_account_fk(D::Table, D::AgencyId, D::SubAccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(uuid(M::AgencyId))
                    .col(uuid(M::SubAccountId))
                    .col(string_len(M::Metric, 32))
                    .col(string_len(M::Dimension, 64))
                    .col(date(M::Day))
                    .col(big_integer(M::Count))
                    .col(big_integer(M::Total))
                    .primary_key(
                        Index::create()
                            .col(M::AgencyId)
                            .col(M::SubAccountId)
                            .col(M::Metric)
                            .col(M::Dimension)
                            .col(M::Day),
                    )
                    .foreign_key(&mut sub_account_fk(M::Table, M::AgencyId, M::SubAccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("metric_daily_agency")
                    .table(M::Table)
                    .col(M::AgencyId)
                    .col(M::Metric)
                    .col(M::Dimension)
                    .col(M::Day)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared(&tenant_table("metric_daily", Reach::Data))
                .await?;
            let tenant =
                "agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::uuid)";
            db.execute_unprepared(&format!(
                "ALTER TABLE metric_deltas ENABLE ROW LEVEL SECURITY;
                 ALTER TABLE metric_deltas FORCE ROW LEVEL SECURITY;
                 CREATE POLICY metric_deltas_base ON metric_deltas AS PERMISSIVE FOR ALL USING (true) WITH CHECK (true);
                 CREATE POLICY metric_deltas_read ON metric_deltas AS RESTRICTIVE FOR SELECT
                   USING ({tenant} OR (SELECT current_setting('app.job_runner', true)) = 'on');
                 CREATE POLICY metric_deltas_insert ON metric_deltas AS RESTRICTIVE FOR INSERT
                   WITH CHECK ({tenant});
                 CREATE POLICY metric_deltas_update ON metric_deltas AS RESTRICTIVE FOR UPDATE
                   USING ({tenant}) WITH CHECK ({tenant});
                 CREATE POLICY metric_deltas_delete ON metric_deltas AS RESTRICTIVE FOR DELETE
                   USING ({tenant});"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MetricDaily::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MetricDeltas::Table).to_owned())
            .await
    }
}
