//! Connecting to the database (`kernel::pool`) and migrating it.

pub use kernel::pool::connect;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbBackend};

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), String> {
    Migrator::up(db, None)
        .await
        .map_err(|e| format!("migration failed: {e}"))
}

/// A short name of the backend, for logs.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}
