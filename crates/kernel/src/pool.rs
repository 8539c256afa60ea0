//! The connection pool, opened the same way by the server, the live bus's follower and the
//! CLI.

use crate::Config;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::time::Duration;

/// Opens the pool. For SQLite: creates the file's folder, turns on WAL, a busy timeout and
/// foreign keys.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, String> {
    open(config, config.db_max_connections, None).await
}

/// Opens the live bus follower's own pool: on PostgreSQL its sessions carry
/// `app.live_bus = on`, under which row-level security shows every tenant's `events` and
/// `notifications` (the follower publishes them; each subscriber's own check filters them),
/// and nothing else.
pub async fn connect_live_bus(
    config: &Config,
    max_connections: u32,
) -> Result<DatabaseConnection, String> {
    open(config, max_connections, Some("app.live_bus")).await
}

/// Opens the job runner's own pool: on PostgreSQL its sessions carry `app.job_runner = on`,
/// the one setting under which row-level security shows the `jobs` of every tenant (and no
/// other table's rows). Elsewhere it is an ordinary pool.
pub async fn connect_job_runner(
    config: &Config,
    max_connections: u32,
) -> Result<DatabaseConnection, String> {
    open(config, max_connections, Some("app.job_runner")).await
}

/// Opens the rate budgets' own one-connection pool (`budget::Budgets::sync`), so that their
/// sharing is not counted among the requests' statements.
pub async fn connect_budgets(config: &Config) -> Result<DatabaseConnection, String> {
    open(config, 1, None).await
}

async fn open(
    config: &Config,
    max_connections: u32,
    reader: Option<&'static str>,
) -> Result<DatabaseConnection, String> {
    let url = config.database_url();
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or_default();
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    if let Some(setting) = reader {
        opts.map_sqlx_postgres_opts(move |o| o.options([(setting, "on")]));
    }
    Database::connect(opts)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))
}
