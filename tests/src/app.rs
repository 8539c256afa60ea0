//! The harness: [`spawn_app`] starts the real router on port 0 against a fresh database, and
//! [`TestApp`] holds it for one test (and drops its database afterwards).

use crate::pg::{PgTestDb, create_pg_database, with_database, with_user};
use gateway::App;
use kernel::Config;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use uuid::Uuid;

/// The access-token secret of test apps (tests mint expired tokens with it).
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// The password [`TestApp::user`] gives the users it creates.
pub const PASSWORD: &str = "correct horse battery";

/// A running Canopy for one test.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://addr`.
    pub url: String,
    /// A direct connection to the test's database as its owner (for assertions and fixtures;
    /// row-level security does not hide rows from it).
    pub db: DatabaseConnection,
    /// An HTTP client.
    pub http: reqwest::Client,
    /// The server's metrics (`statements_for` reads its SQL statement counter).
    pub metrics: Arc<gateway::metrics::Metrics>,
    /// The server's configuration (its `database_url` is the URL the server connects with).
    pub config: Config,
    /// The server's credential cache: a fixture that changes memberships, sessions or tenants
    /// behind the API's back clears it, as the request that made the change would have.
    pub credentials: Arc<kernel::credentials::Credentials>,
    /// The server's live bus ([`TestApp::hear`]).
    pub bus: Arc<live::bus::Bus>,
    pub(crate) pg: Option<PgTestDb>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// A rate budget no test reaches.
pub const UNLIMITED: u64 = 1 << 40;

/// Options for [`spawn_app_with`].
pub type Configure = fn(&mut Config);

/// A test configuration: cheap password hashing, a fixed token secret, no demo data.
pub fn test_config() -> Config {
    let mut c = Config::defaults();
    c.argon2_memory_kib = 1024;
    // Tests send thousands of requests from one address in seconds: the rate budgets' own
    // tests set theirs low.
    c.rate_per_ip = UNLIMITED;
    c.rate_per_credential = UNLIMITED;
    c.rate_per_agency = UNLIMITED;
    c.rate_per_key_daily = UNLIMITED;
    c.argon2_iterations = 1;
    c.jwt_secret = Some(TEST_JWT_SECRET.into());
    c.seed_demo = Some(false);
    c.db_max_connections = 5;
    // Email goes over SMTP to the test process's real SMTP server.
    c.smtp_url = Some(format!("smtp://127.0.0.1:{}", crate::smtp::sink().port));
    c.job_poll_ms = 100;
    // Webhooks go to receivers on 127.0.0.1, and retry in milliseconds, not hours.
    c.webhook_allow_private = true;
    c.webhook_retry_scale = 0.000_02;
    c.mail_dir = std::env::temp_dir().join(format!("canopy-mail-{}", Uuid::now_v7().simple()));
    c.media_dir = std::env::temp_dir().join(format!("canopy-media-{}", Uuid::now_v7().simple()));
    c
}

/// Starts Canopy on a fresh database with the test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

static INIT: Once = Once::new();

/// Starts Canopy on a fresh database, after `configure` has adjusted the test configuration.
pub async fn spawn_app_with(configure: Configure) -> TestApp {
    INIT.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
                .with_test_writer()
                .try_init();
        }
    });
    let mut config = test_config();
    configure(&mut config);
    let (url, pg) = match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            let name = create_pg_database(&admin_url).await;
            let owner = with_database(&admin_url, &name);
            // The server connects as the runtime role, as in production: row-level security
            // applies to it (the owner, a superuser here, would bypass it).
            let runtime = with_user(
                &owner,
                migrations::m20261122_000005_row_level_security::APP_ROLE,
            );
            (
                owner,
                Some(PgTestDb {
                    admin_url,
                    name,
                    runtime,
                }),
            )
        }
        None => {
            let dir = std::env::temp_dir().join(format!("canopy-test-{}", Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            (
                format!("sqlite://{}/canopy.db?mode=rwc", dir.display()),
                None,
            )
        }
    };
    config.database_url = Some(url);
    let db = gateway::db::connect(&config).await.expect("connect");
    let server_db = match &pg {
        Some(pg) => {
            config.database_url = Some(pg.runtime.clone());
            gateway::db::connect(&config)
                .await
                .expect("connect as the runtime role")
        }
        None => {
            gateway::db::migrate(&db).await.expect("migrate");
            db.clone()
        }
    };
    serve(config, server_db, db, pg).await
}

/// Serves `server_db` on port 0.
async fn serve(
    config: Config,
    server_db: DatabaseConnection,
    db: DatabaseConnection,
    pg: Option<PgTestDb>,
) -> TestApp {
    // The server counts the statements it runs (the test's own connection is not counted).
    let app = App::build(config.clone(), server_db)
        .await
        .expect("build app");
    let metrics = app.state.metrics.clone();
    let credentials = app.state.identity.credentials.clone();
    let bus = app.state.live.bus.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve(listener, async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        url: format!("http://{addr}"),
        db,
        http: reqwest::Client::new(),
        metrics,
        config,
        credentials,
        bus,
        pg,
        shutdown: Some(tx),
    }
}

impl TestApp {
    /// A second server (replica) on the same database, with its own pool and live bus. The
    /// database stays owned by `self`.
    pub async fn replica(&self) -> TestApp {
        self.replica_with(self.config.clone()).await
    }

    /// A replica with its own configuration (its `database_url` must reach this database).
    pub async fn replica_with(&self, config: Config) -> TestApp {
        let server_db = gateway::db::connect(&config)
            .await
            .expect("connect the replica");
        serve(config, server_db, self.db.clone(), None).await
    }
}

impl TestApp {
    /// A receiver of what this server's live bus broadcasts from now on ([`heard`]), once
    /// the bus follows (so that it broadcasts whatever commits next).
    pub async fn hear(&self) -> tokio::sync::broadcast::Receiver<live::bus::Live> {
        assert!(self.bus.ready(crate::WS_WAIT).await, "the live bus follows");
        self.bus.subscribe()
    }
}

/// Waits until `heard` ([`TestApp::hear`], taken before the write) receives the event
/// `event_type` of `subject` (a global id), and panics if it does not within
/// [`crate::WS_WAIT`]. A subscription misses nothing committed after it, but may hear a
/// little from before, which the bus broadcasts just after it began: a set-up waits so, and no
/// subscription made afterwards hears of its events. Two limits: it fences events, not
/// notifications (SQLite's follower broadcasts a batch's events before its notifications); and
/// a subscription that joins a shared group already running may still get what that group
/// received before.
pub async fn heard(
    heard: &mut tokio::sync::broadcast::Receiver<live::bus::Live>,
    event_type: &str,
    subject: &str,
) {
    let subject = kernel::id::GlobalId::parse(subject)
        .expect("a global id")
        .uuid;
    let until = async {
        loop {
            match heard.recv().await {
                Ok(live::bus::Live::Event(e))
                    if e.event_type == event_type && e.subject_id == subject =>
                {
                    return;
                }
                Ok(live::bus::Live::Gap) => panic!("the live bus lost events"),
                Ok(live::bus::Live::Shutdown) => panic!("the live bus stopped"),
                Ok(_) => {}
                Err(e) => panic!("the live bus: {e}"),
            }
        }
    };
    tokio::time::timeout(crate::WS_WAIT, until)
        .await
        .unwrap_or_else(|_| panic!("the bus did not broadcast {event_type} of {subject}"));
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(pg) = self.pg.take() {
            pg.drop_database();
        }
    }
}

impl TestApp {
    /// The newest email to `address` that reached the SMTP server, waiting up to 20 s for it.
    pub async fn mail_to(&self, address: &str) -> crate::smtp::Mail {
        self.mails_to(address, 1).await.pop().expect("a message")
    }

    /// The emails this app sent to `address`, once at least `n` reached the SMTP server
    /// (waiting up to 20 s), oldest first. The server is shared by the test process: this
    /// app's are told apart by their `Message-ID`, which carries the outbox row's id.
    pub async fn mails_to(&self, address: &str, n: usize) -> Vec<crate::smtp::Mail> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let ids: Vec<String> = mail::entity::Entity::find()
                .filter(mail::entity::Column::ToAddress.eq(address.to_lowercase()))
                .all(&self.db)
                .await
                .expect("read the outbox")
                .into_iter()
                .map(|m| format!("<{}@", m.id))
                .collect();
            let got: Vec<crate::smtp::Mail> = crate::smtp::sink()
                .messages_to(address)
                .into_iter()
                .filter(|m| {
                    m.header("message-id")
                        .is_some_and(|h| ids.iter().any(|id| h.starts_with(id.as_str())))
                })
                .collect();
            if got.len() >= n {
                return got;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} email(s) to {address} arrived, not {n}",
                got.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Starts a job runtime of the test's own on the test's database, connected as the server
    /// connects (on PostgreSQL: the runtime role, with the job runner's setting). Spawn the app
    /// with `job_workers = 0` when the test's kinds must not be claimed by the server's.
    pub async fn job_runtime(
        &self,
        registry: jobs::Registry,
        config: jobs::RuntimeConfig,
    ) -> jobs::Runtime {
        let db = self.job_connection().await;
        jobs::Runtime::start(db, registry, config, Arc::new(jobs::Metrics::default()))
            .await
            .expect("start the job runtime")
    }

    /// A pool as the job runner has it (see [`TestApp::job_runtime`]).
    pub async fn job_connection(&self) -> DatabaseConnection {
        kernel::pool::connect_job_runner(&self.config, 8)
            .await
            .expect("connect the job runner")
    }

    /// On PostgreSQL, a new connection as the runtime role (what the server connects as);
    /// `None` on SQLite.
    pub async fn runtime_connection(&self) -> Option<DatabaseConnection> {
        let pg = self.pg.as_ref()?;
        let mut opts = sea_orm::ConnectOptions::new(pg.runtime.clone());
        opts.max_connections(1).sqlx_logging(false);
        Some(
            Database::connect(opts)
                .await
                .expect("connect as the runtime role"),
        )
    }

    /// On PostgreSQL, the server's address (host and port of the runtime URL); `None` on
    /// SQLite.
    pub fn pg_addr(&self) -> Option<SocketAddr> {
        use std::net::ToSocketAddrs;
        let url = &self.pg.as_ref()?.runtime;
        let rest = url.split_once("://")?.1;
        let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        let host = host.split(['/', '?']).next()?;
        let host = if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:5432")
        };
        host.to_socket_addrs().ok()?.next()
    }

    /// The number of SQL statements the server runs for one request.
    pub async fn statements_for(&self, token: &str, query: &str, variables: Value) -> u64 {
        let before = self.metrics.sql_statements.get();
        self.gql(Some(token), query, variables).await.ok();
        self.metrics.sql_statements.get() - before
    }

    /// [`Self::statements_for`], the fewest of three runs: the count takes in whatever else
    /// the app ran meanwhile (its job runtime, its bus), which only ever adds.
    pub async fn fewest_statements_for(&self, token: &str, query: &str, variables: Value) -> u64 {
        let mut fewest = u64::MAX;
        for _ in 0..3 {
            fewest = fewest.min(self.statements_for(token, query, variables.clone()).await);
        }
        fewest
    }

    /// Enqueues a job of `kind` (owned by the system) for the app's own runtime, and returns
    /// its result once it succeeded (it panics if the job dies or takes over 20 s).
    pub async fn run_job(&self, kind: &str, payload: Value) -> Value {
        use jobs::entity::job;
        use sea_orm::EntityTrait;
        let id = jobs::enqueue(
            &self.db,
            jobs::NewJob::new(kind, jobs::Owner::System, payload),
        )
        .await
        .expect("enqueue")
        .expect("a job");
        jobs::wake();
        for _ in 0..800 {
            let j = job::Entity::find_by_id(id)
                .one(&self.db)
                .await
                .expect("q")
                .expect("job");
            if j.status == jobs::JobStatus::Succeeded {
                return j.result.expect("a result");
            }
            assert_ne!(j.status, jobs::JobStatus::Dead, "{:?}", j.last_error);
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("{kind} did not finish");
    }

    /// Counts the rows of `table` where `condition` holds (`$1` bound to `value`).
    pub async fn count_where(
        &self,
        table: &str,
        condition: &str,
        value: impl Into<sea_orm::Value>,
    ) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}"),
                [value.into()],
            ))
            .await
            .expect("count")
            .expect("row");
        row.try_get::<i64>("", "n").expect("n")
    }

    /// The `n` of the one row `sql` returns (`$1` bound to `value`), such as a recount.
    pub async fn scalar(&self, sql: &str, value: impl Into<sea_orm::Value>) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                sql,
                [value.into()],
            ))
            .await
            .expect("scalar")
            .expect("row");
        row.try_get::<i64>("", "n").expect("n")
    }

    /// The tables that have a column named `column` (from the database's catalog).
    pub async fn tables_with(&self, column: &str) -> Vec<String> {
        let sql = match self.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                "SELECT table_name AS t FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND column_name = $1 ORDER BY 1"
            }
            _ => {
                "SELECT m.name AS t FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND p.name = $1 ORDER BY 1"
            }
        };
        self.db
            .query_all_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                sql,
                [column.into()],
            ))
            .await
            .expect("catalog")
            .into_iter()
            .map(|r| r.try_get::<String>("", "t").expect("t"))
            .collect()
    }

    /// Counts the rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count")
            .expect("row");
        row.try_get::<i64>("", "n").expect("n")
    }
}
