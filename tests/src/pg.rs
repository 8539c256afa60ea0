//! PostgreSQL test databases: each test gets a database cloned from a template that is migrated
//! once per migration fingerprint, reached as the runtime role (row-level security applies).

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use uuid::Uuid;

/// A test's PostgreSQL database (dropped with its [`crate::TestApp`]).
pub(crate) struct PgTestDb {
    pub(crate) admin_url: String,
    pub(crate) name: String,
    /// The test database as the runtime role.
    pub(crate) runtime: String,
}

impl PgTestDb {
    /// Drops the database (from [`Drop`]: it blocks until the database is gone).
    pub(crate) fn drop_database(self) {
        let pg = self;
        // Drop the database from a thread with its own runtime: Drop cannot await. The test's
        // pool is not touched there (its runtime is the one blocked here); `WITH (FORCE)`
        // ends its connections.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = Database::connect(&pg.admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            pg.name
                        ))
                        .await;
                    admin.close().await.ok();
                }
            });
        })
        .join();
    }
}

/// The same URL with another user (and no password).
pub fn with_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{user}@{host}")
}

pub(crate) fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Creates a fresh database from a template migrated once per migration fingerprint.
pub(crate) async fn create_pg_database(admin_url: &str) -> String {
    let admin = Database::connect(admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    let template = format!("canopy_tmpl_{}", migrations::FINGERPRINT);
    let exec = |sql: String| Statement::from_string(DbBackend::Postgres, sql);
    // Serialise template builds across test processes.
    admin
        .execute_raw(exec("SELECT pg_advisory_lock(727274)".into()))
        .await
        .expect("lock");
    let exists = admin
        .query_one_raw(exec(format!(
            "SELECT 1 AS x FROM pg_database WHERE datname = '{template}'"
        )))
        .await
        .expect("query")
        .is_some();
    if !exists {
        let building = format!("{template}_building");
        admin
            .execute_raw(exec(format!(
                "DROP DATABASE IF EXISTS {building} WITH (FORCE)"
            )))
            .await
            .expect("drop");
        admin
            .execute_raw(exec(format!("CREATE DATABASE {building}")))
            .await
            .expect("create template");
        let tdb = Database::connect(with_database(admin_url, &building))
            .await
            .expect("connect template");
        gateway::db::migrate(&tdb).await.expect("migrate template");
        tdb.close().await.expect("close template");
        admin
            .execute_raw(exec(format!(
                "ALTER DATABASE {building} RENAME TO {template}"
            )))
            .await
            .expect("rename template");
    }
    admin
        .execute_raw(exec("SELECT pg_advisory_unlock(727274)".into()))
        .await
        .expect("unlock");
    let name = format!("canopy_test_{}", Uuid::now_v7().simple());
    admin
        .execute_raw(exec(format!("CREATE DATABASE {name} TEMPLATE {template}")))
        .await
        .expect("create test database");
    admin.close().await.ok();
    name
}
