//! crm: full-text search over contacts on PostgreSQL — a GIN index on the same `tsvector`
//! expression that `crm::service::contact` queries (`simple` configuration: no stemming, so
//! names match as written). SQLite has no such index; the service falls back to `LIKE` there.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The indexed document of a contact. `crm::service::contact::FTS_DOCUMENT` must stay equal to
/// it, up to its columns' `contacts.` qualifier.
pub const DOCUMENT: &str = "to_tsvector('simple', first_name || ' ' || last_name || ' ' || coalesce(email, '') || ' ' || coalesce(company, '') || ' ' || coalesce(city, ''))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "CREATE INDEX contacts_full_text ON contacts USING gin ({DOCUMENT})"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP INDEX IF EXISTS contacts_full_text")
                .await?;
        }
        Ok(())
    }
}
