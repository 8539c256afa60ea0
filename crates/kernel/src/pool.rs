//! The connection pool, opened the same way by the server, the live bus's follower and the
//! CLI.

use crate::Config;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::time::Duration;

/// Opens the pool. For SQLite: creates the file's folder, turns on WAL, a busy timeout and
/// foreign keys.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, String> {
    open(config, config.db_max_connections, None, "canopy").await
}

/// Opens the live bus follower's own pool: on PostgreSQL its sessions carry
/// `app.live_bus = on`, under which row-level security shows every tenant's `events` and
/// `notifications` (the follower publishes them; each subscriber's own check filters them),
/// and nothing else.
pub async fn connect_live_bus(
    config: &Config,
    max_connections: u32,
) -> Result<DatabaseConnection, String> {
    open(
        config,
        max_connections,
        Some("app.live_bus"),
        "canopy-live-bus",
    )
    .await
}

/// Opens the job runner's own pool: on PostgreSQL its sessions carry `app.job_runner = on`,
/// the one setting under which row-level security shows the `jobs` of every tenant (and no
/// other table's rows). Elsewhere it is an ordinary pool.
pub async fn connect_job_runner(
    config: &Config,
    max_connections: u32,
) -> Result<DatabaseConnection, String> {
    open(
        config,
        max_connections,
        Some("app.job_runner"),
        "canopy-jobs",
    )
    .await
}

/// Opens the rate budgets' own one-connection pool (`budget::Budgets::sync`), so that their
/// sharing is not counted among the requests' statements.
pub async fn connect_budgets(config: &Config) -> Result<DatabaseConnection, String> {
    open(config, 1, None, "canopy-budgets").await
}

/// Whether a database URL chooses its TLS mode itself (`sslmode`, or sqlx's `ssl-mode`).
fn names_ssl_mode(url: &str) -> bool {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .any(|kv| kv.starts_with("sslmode=") || kv.starts_with("ssl-mode="))
}

/// Whether PostgreSQL's host is this machine: TLS there costs CPU and protects nothing, so a
/// URL that does not choose a mode (nor `PGSSLMODE`) connects in plain TCP (a socket path has
/// no TLS anyway). A tunnel to a remote database through a local port must say `sslmode`.
/// Across a network the driver's default stays (`prefer`: TLS when the server offers it);
/// production URLs should say `sslmode=verify-full` (README, "PostgreSQL").
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Opens a pool. On PostgreSQL its sessions carry `reader` on, and `application_name` (unless
/// the URL names one): `pg_stat_activity` tells the pools apart.
async fn open(
    config: &Config,
    max_connections: u32,
    reader: Option<&'static str>,
    application_name: &'static str,
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
        // sqlx pings every connection it takes back; pinging again when handing it out is a
        // round trip per request for nothing, unless it sat idle (a server or a firewall may
        // have dropped it since).
        .test_before_acquire_if_idle_for(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    // `PGSSLMODE`, which sqlx reads, chooses too.
    let plain_on_loopback = !names_ssl_mode(url) && std::env::var_os("PGSSLMODE").is_none();
    opts.map_sqlx_postgres_opts(move |mut o| {
        if let Some(setting) = reader {
            o = o.options([(setting, "on")]);
        }
        if o.get_application_name().is_none() {
            o = o.application_name(application_name);
        }
        if plain_on_loopback && (is_loopback(o.get_host()) || o.get_socket().is_some()) {
            o = o.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable);
        }
        o
    });
    Database::connect(opts)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_that_choose_no_mode_leave_tls() {
        assert!(is_loopback("127.0.0.1") && is_loopback("::1") && is_loopback("[::1]"));
        assert!(is_loopback("localhost") && is_loopback("/var/run/postgresql"));
        assert!(!is_loopback("db.internal") && !is_loopback("10.0.0.5"));
        assert!(names_ssl_mode("postgres://u@h/db?sslmode=require"));
        assert!(names_ssl_mode("postgres://u@h/db?a=b&ssl-mode=disable"));
        assert!(!names_ssl_mode("postgres://u@h/db?application_name=x"));
        assert!(!names_ssl_mode("postgres://u@h/sslmode=x"));
    }
}
