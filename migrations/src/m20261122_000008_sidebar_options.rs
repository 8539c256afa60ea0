//! tenancy: sidebar options of agencies and sub-accounts. A tenant table (keyed
//! `(agency_id, id)`, behind row-level security); ordered by a fractional rank key so a move
//! touches one row.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SidebarOptions {
    Table,
    AgencyId,
    Id,
    ScopeKind,
    ScopeId,
    Key,
    Label,
    Icon,
    Rank,
    Visible,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SidebarOptions::Table)
                    .col(uuid(SidebarOptions::AgencyId))
                    .col(uuid(SidebarOptions::Id))
                    .col(string_len(SidebarOptions::ScopeKind, 16))
                    .col(uuid(SidebarOptions::ScopeId))
                    .col(string_len(SidebarOptions::Key, 32))
                    .col(string_len(SidebarOptions::Label, 60))
                    .col(string_len(SidebarOptions::Icon, 40))
                    .col(string_len(SidebarOptions::Rank, 64))
                    .col(boolean(SidebarOptions::Visible).default(true))
                    .col(timestamp_with_time_zone(SidebarOptions::CreatedAt))
                    .col(timestamp_with_time_zone(SidebarOptions::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(SidebarOptions::AgencyId)
                            .col(SidebarOptions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sidebar_options_scope_key")
                    .table(SidebarOptions::Table)
                    .col(SidebarOptions::AgencyId)
                    .col(SidebarOptions::ScopeId)
                    .col(SidebarOptions::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sidebar_options_scope_rank")
                    .table(SidebarOptions::Table)
                    .col(SidebarOptions::AgencyId)
                    .col(SidebarOptions::ScopeId)
                    .col(SidebarOptions::Rank)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            // Rank keys sort bytewise.
            db.execute_unprepared(
                r#"ALTER TABLE sidebar_options ALTER COLUMN rank TYPE varchar(64) COLLATE "C""#,
            )
            .await?;
            db.execute_unprepared(&tenant_table("sidebar_options", Reach::Tree))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SidebarOptions::Table).to_owned())
            .await
    }
}
