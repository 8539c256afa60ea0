//! kernel: `rate_budgets`, what every replica has spent of each rate budget's window
//! (`kernel::budget`): one row per key and window, added to by each replica every 200 ms.
//! Unlogged on PostgreSQL: budgets need no crash safety, and a crash forgets them at worst.
//! SQLite keeps its budgets in the process, but has the table too, so both schemas match.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let unlogged = if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            "UNLOGGED "
        } else {
            ""
        };
        let time = if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            "TIMESTAMPTZ"
        } else {
            "TEXT"
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE {unlogged}TABLE rate_budgets (
                    key TEXT NOT NULL,
                    window_end {time} NOT NULL,
                    spent BIGINT NOT NULL,
                    PRIMARY KEY (key, window_end)
                )"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE IF EXISTS rate_budgets")
            .await?;
        Ok(())
    }
}
