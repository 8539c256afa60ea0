//! Canopy's end-to-end test harness: [`spawn_app`] starts the real router on port 0 against a
//! fresh database: a temporary SQLite file, or, when `TEST_DATABASE_URL` names a PostgreSQL
//! server, a new database cloned from a migrated template and dropped afterwards.

use gateway::App;
use kernel::{Actor, Config, Role, Scope};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, QueryFilter, Statement};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use uuid::Uuid;

/// Measuring benchmarks: CPU time of a process and percentiles (shared by `benches/` and the
/// load driver).
pub mod measure {
    /// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`; 100 if unknown).
    pub fn clock_ticks() -> f64 {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    }

    /// User + system CPU time of a process so far, in milliseconds (0 if it is gone).
    pub fn cpu_ms(pid: u32, ticks_per_sec: f64) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // utime and stime are fields 14 and 15 of stat: 11 and 12 after the command name.
        (ticks(11) + ticks(12)) * 1000.0 / ticks_per_sec
    }

    /// The `p` quantile (0..=1, nearest rank) of sorted values; NaN for none.
    pub fn percentile(sorted: &[f64], p: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[i.min(sorted.len() - 1)]
    }
}

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
    pg: Option<PgTestDb>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

struct PgTestDb {
    admin_url: String,
    name: String,
    /// The test database as the runtime role.
    runtime: String,
}

/// Options for [`spawn_app_with`].
pub type Configure = fn(&mut Config);

/// A test configuration: cheap password hashing, a fixed token secret, no demo data.
pub fn test_config() -> Config {
    let mut c = Config::defaults();
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.jwt_secret = Some(TEST_JWT_SECRET.into());
    c.seed_demo = Some(false);
    c.db_max_connections = 5;
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
        pg,
        shutdown: Some(tx),
    }
}

impl TestApp {
    /// A second server (replica) on the same database, with its own pool and live bus. The
    /// database stays owned by `self`.
    pub async fn replica(&self) -> TestApp {
        let server_db = gateway::db::connect(&self.config)
            .await
            .expect("connect the replica");
        serve(self.config.clone(), server_db, self.db.clone(), None).await
    }

    /// Opens `/graphql/ws` with the graphql-transport-ws subprotocol (and `origin`, if given);
    /// the HTTP status when the upgrade is refused.
    pub async fn ws_connect(&self, origin: Option<&str>) -> Result<Ws, u16> {
        self.ws_connect_with(origin, Some("graphql-transport-ws"))
            .await
    }

    /// As [`TestApp::ws_connect`], offering `protocol` (or none).
    pub async fn ws_connect_with(
        &self,
        origin: Option<&str>,
        protocol: Option<&str>,
    ) -> Result<Ws, u16> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{}/graphql/ws", self.addr)
            .into_client_request()
            .expect("request");
        if let Some(p) = protocol {
            req.headers_mut()
                .insert("sec-websocket-protocol", p.parse().expect("header"));
        }
        if let Some(o) = origin {
            req.headers_mut()
                .insert("origin", o.parse().expect("header"));
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((stream, _)) => Ok(Ws {
                stream,
                pending: std::collections::VecDeque::new(),
                closed: None,
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
            Err(e) => panic!("websocket: {e}"),
        }
    }

    /// A live connection, initialised with `token` (acting in `agency`, if given) and
    /// acknowledged.
    pub async fn live(&self, token: &str, agency: Option<&str>) -> Ws {
        let mut ws = self.ws_connect(None).await.expect("upgrade");
        let mut payload = json!({ "authorization": format!("Bearer {token}") });
        if let Some(a) = agency {
            payload["canopy-agency"] = json!(a);
        }
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = ws.next().await.expect("an answer to connection_init");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        ws
    }
}

/// A WebSocket client speaking graphql-transport-ws (tests drive the protocol by hand).
pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// Messages read ahead while waiting for a `pong`.
    pending: std::collections::VecDeque<Value>,
    /// A close (or silence) met while waiting for a `pong`.
    closed: Option<WsEvent>,
}

/// How long [`Ws`] waits for a message before concluding none is coming.
pub const WS_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What arrived on a [`Ws`].
#[derive(Debug, Clone, PartialEq)]
pub enum WsEvent {
    /// A JSON text message.
    Message(Value),
    /// The server closed the connection with this code and reason.
    Closed(u16, String),
    /// Nothing within the wait.
    Silence,
}

impl Ws {
    /// Sends a JSON message.
    pub async fn send(&mut self, msg: Value) {
        use futures_util::SinkExt;
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Text(
                msg.to_string().into(),
            ))
            .await
            .expect("send");
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: &str) {
        use futures_util::SinkExt;
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
            .await
            .expect("send");
    }

    /// Subscribes `id` to `query` with `variables`, then pings and waits for the `pong`: the
    /// server answers it once the subscription listens (messages arriving meanwhile are kept
    /// for [`Ws::next`]). If the server closes instead, the close is left to be read.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
        self.send(json!({ "type": "ping" })).await;
        let mut read = Vec::new();
        loop {
            match self.read_within(WS_WAIT).await {
                WsEvent::Message(m) if m["type"] == "pong" => break,
                WsEvent::Message(m) => read.push(m),
                other => {
                    self.pending.extend(read);
                    self.closed = Some(other);
                    return;
                }
            }
        }
        self.pending.extend(read);
    }

    /// Sends `subscribe` alone (no ping).
    pub async fn subscribe_only(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next message, close or silence within `wait`.
    pub async fn event_within(&mut self, wait: std::time::Duration) -> WsEvent {
        if let Some(m) = self.pending.pop_front() {
            return WsEvent::Message(m);
        }
        if let Some(c) = self.closed.take() {
            return c;
        }
        self.read_within(wait).await
    }

    async fn read_within(&mut self, wait: std::time::Duration) -> WsEvent {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            match tokio::time::timeout(wait, self.stream.next()).await {
                Err(_) => return WsEvent::Silence,
                Ok(None) => return WsEvent::Closed(1006, String::new()),
                Ok(Some(Err(_))) => return WsEvent::Closed(1006, String::new()),
                Ok(Some(Ok(Message::Text(t)))) => {
                    return WsEvent::Message(serde_json::from_str(&t).expect("JSON message"));
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return match frame {
                        Some(f) => WsEvent::Closed(f.code.into(), f.reason.to_string()),
                        None => WsEvent::Closed(1005, String::new()),
                    };
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// The next JSON message within [`WS_WAIT`], or `None` (closed or silent).
    pub async fn next(&mut self) -> Option<Value> {
        match self.event_within(WS_WAIT).await {
            WsEvent::Message(v) => Some(v),
            _ => None,
        }
    }

    /// The close code the server sends next (skipping nothing: a message first is a failure).
    pub async fn expect_close(&mut self) -> (u16, String) {
        match self.event_within(WS_WAIT).await {
            WsEvent::Closed(code, reason) => (code, reason),
            other => panic!("expected a close, got {other:?}"),
        }
    }

    /// Whether nothing arrives within `wait`.
    pub async fn silent_for(&mut self, wait: std::time::Duration) -> bool {
        matches!(self.event_within(wait).await, WsEvent::Silence)
    }
}

impl TestApp {
    /// Opens `/graphql/stream` (GraphQL over SSE) for one subscription. The response head
    /// arrives once the subscription listens, or with the refusal.
    pub async fn stream(
        &self,
        token: Option<&str>,
        agency: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Sse {
        let mut req = self
            .http
            .post(format!("{}/graphql/stream", self.url))
            .header("accept", "text/event-stream")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(a) = agency {
            req = req.header("canopy-agency", a);
        }
        let resp = req.send().await.expect("stream request");
        Sse {
            status: resp.status().as_u16(),
            content_type: resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            resp,
            buf: String::new(),
        }
    }
}

/// A GraphQL-over-SSE response being read (see [`TestApp::stream`]).
pub struct Sse {
    /// The HTTP status.
    pub status: u16,
    /// The response's content type.
    pub content_type: String,
    resp: reqwest::Response,
    buf: String,
}

/// What an event stream did next.
#[derive(Debug, PartialEq)]
pub enum SseEvent {
    /// An event: its name, and its data parsed as JSON (`Null` when empty).
    Event(String, Value),
    /// The server ended the stream.
    Ended,
    /// Nothing within the wait (comments do not count).
    Silence,
}

impl Sse {
    /// What the stream does within `wait`.
    pub async fn event_within(&mut self, wait: std::time::Duration) -> SseEvent {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if block.lines().all(|l| l.starts_with(':') || l.is_empty()) {
                    continue;
                }
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                return SseEvent::Event(name, serde_json::from_str(&data).unwrap_or(Value::Null));
            }
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Err(_) => return SseEvent::Silence,
                Ok(Ok(Some(chunk))) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Ok(None)) => return SseEvent::Ended,
                Ok(Err(e)) => panic!("the event stream failed: {e}"),
            }
        }
    }

    /// The next event within [`WS_WAIT`] (panics on anything else).
    pub async fn next(&mut self) -> (String, Value) {
        match self.event_within(WS_WAIT).await {
            SseEvent::Event(name, data) => (name, data),
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// The whole body, for a refusal answered in JSON.
    pub async fn json(self) -> Value {
        self.resp.json().await.expect("a JSON body")
    }
}

/// The same URL with another user (and no password).
pub fn with_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{user}@{host}")
}

fn with_database(admin_url: &str, name: &str) -> String {
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
async fn create_pg_database(admin_url: &str) -> String {
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

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(pg) = self.pg.take() {
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
}

/// A GraphQL response.
#[derive(Debug, Clone)]
pub struct Gql {
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl Gql {
    /// `data.<path>` (dotted).
    pub fn data(&self, path: &str) -> &Value {
        let mut v = &self.body["data"];
        for p in path.split('.').filter(|p| !p.is_empty()) {
            v = &v[p];
        }
        v
    }

    /// The `extensions.code` of the first top-level error, if any.
    pub fn error_code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }

    /// The message of the first top-level error, if any.
    pub fn error_message(&self) -> Option<&str> {
        self.body["errors"][0]["message"].as_str()
    }

    /// Panics unless the response has no errors.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        self
    }

    /// The `userErrors` of the mutation payload at `path`, as `code` strings.
    pub fn user_error_codes(&self, path: &str) -> Vec<String> {
        self.data(path)["userErrors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A signed-in user's tokens.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's global id.
    pub user_id: String,
    /// Bearer access token.
    pub access: String,
    /// Refresh token.
    pub refresh: String,
}

impl TestApp {
    /// Posts a GraphQL request, optionally with a bearer token.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        self.gql_with_headers(token, query, variables, &[]).await
    }

    /// Posts a GraphQL request with extra headers.
    pub async fn gql_with_headers(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Gql {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.url))
            .header("content-type", "application/json")
            .body(json!({ "query": query, "variables": variables }).to_string());
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
        Gql { status, body }
    }

    /// Posts a GraphQL multipart request (the GraphQL multipart request spec) with one file
    /// at `variables.<file_path>` (dotted); `preflight` adds `GraphQL-Require-Preflight`.
    pub async fn upload(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        file_path: &str,
        file: &[u8],
        preflight: bool,
    ) -> Gql {
        let boundary = "canopy-test-boundary-7MA4YWxkTrZu0gW";
        let operations = json!({ "query": query, "variables": variables }).to_string();
        let map = json!({ "0": [format!("variables.{file_path}")] }).to_string();
        let mut body = Vec::new();
        for (name, value) in [("operations", operations), ("map", map)] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"contacts.csv\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut req = self
            .http
            .post(format!("{}/graphql", self.url))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if preflight {
            req = req.header("graphql-require-preflight", "1");
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
        Gql { status, body }
    }

    /// Registers a user through the API.
    pub async fn register(&self, email: &str) -> String {
        let r = self
            .gql(
                None,
                "mutation($i: UserRegisterInput!) { userRegister(input: $i) { user { id } userErrors { code } } }",
                json!({ "i": { "email": email, "name": "Test User", "password": PASSWORD } }),
            )
            .await
            .ok();
        r.data("userRegister.user.id")
            .as_str()
            .expect("user id")
            .to_owned()
    }

    /// Signs in through the API.
    pub async fn login(&self, email: &str, password: &str) -> Gql {
        self.gql(
            None,
            "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { session { accessToken refreshToken user { id } } userErrors { field code message } } }",
            json!({ "i": { "email": email, "password": password } }),
        )
        .await
    }

    /// Registers and signs in a new user.
    pub async fn user(&self, email: &str) -> Session {
        let id = self.register(email).await;
        let r = self.login(email, PASSWORD).await.ok();
        Session {
            user_id: id,
            access: r
                .data("sessionCreate.session.accessToken")
                .as_str()
                .expect("access")
                .to_owned(),
            refresh: r
                .data("sessionCreate.session.refreshToken")
                .as_str()
                .expect("refresh")
                .to_owned(),
        }
    }

    /// Gives a user (by global id) a role in a scope, as Canopy itself would (a fixture).
    pub async fn grant(&self, user_gid: &str, scope: Scope, role: Role) {
        let uuid = kernel::GlobalId::parse_as(user_gid, kernel::NodeKind::User).expect("user id");
        tenancy::grant(&self.db, &Actor::system(), uuid, scope, role)
            .await
            .expect("grant");
    }

    /// A signed-in platform admin (the role is given as a fixture: it cannot be had through the
    /// API, by design).
    pub async fn platform_admin(&self, email: &str) -> Session {
        let s = self.user(email).await;
        self.grant(&s.user_id, Scope::Platform, Role::PlatformAdmin)
            .await;
        s
    }

    /// Creates an agency through the API as `admin`, owned by the registered `owner_email`;
    /// returns its global id.
    pub async fn agency(&self, admin: &Session, name: &str, owner_email: &str) -> String {
        let r = self
            .gql(
                Some(&admin.access),
                "mutation($i: AgencyCreateInput!) { agencyCreate(input: $i) { agency { id } userErrors { field code message } } }",
                json!({ "i": { "name": name, "ownerEmail": owner_email } }),
            )
            .await
            .ok();
        r.data("agencyCreate.agency.id")
            .as_str()
            .unwrap_or_else(|| panic!("agency: {}", r.body))
            .to_owned()
    }

    /// Creates a reseller through the API as `admin`, owned by the registered `owner_email`,
    /// charging `price` credits per agency; returns its global id.
    pub async fn reseller(
        &self,
        admin: &Session,
        name: &str,
        owner_email: &str,
        price: i64,
    ) -> String {
        let r = self
            .gql(
                Some(&admin.access),
                "mutation($i: ResellerCreateInput!) { resellerCreate(input: $i) { reseller { id } userErrors { field code message } } }",
                json!({ "i": { "name": name, "ownerEmail": owner_email, "agencyPriceCredits": price } }),
            )
            .await
            .ok();
        r.data("resellerCreate.reseller.id")
            .as_str()
            .unwrap_or_else(|| panic!("reseller: {}", r.body))
            .to_owned()
    }

    /// Credits a reseller's wallet through the API as `admin`.
    pub async fn credit(&self, admin: &Session, reseller: &str, amount: i64) {
        self.gql(
            Some(&admin.access),
            "mutation($i: ResellerWalletCreditInput!) { resellerWalletCredit(input: $i) { reseller { id } userErrors { code } } }",
            json!({ "i": { "resellerId": reseller, "amount": amount } }),
        )
        .await
        .ok();
    }

    /// Creates an agency under a reseller through the API as `actor`; returns the response.
    pub async fn agency_under(
        &self,
        actor: &Session,
        reseller: &str,
        name: &str,
        owner_email: &str,
    ) -> Gql {
        self.gql(
            Some(&actor.access),
            "mutation($i: AgencyCreateInput!) { agencyCreate(input: $i) { agency { id } userErrors { field code message } } }",
            json!({ "i": { "resellerId": reseller, "name": name, "ownerEmail": owner_email } }),
        )
        .await
    }

    /// Creates a sub-account through the API as `actor`; returns its global id.
    pub async fn sub_account(&self, actor: &Session, agency: &str, name: &str) -> String {
        let r = self
            .gql(
                Some(&actor.access),
                "mutation($i: SubAccountCreateInput!) { subAccountCreate(input: $i) { subAccount { id } userErrors { field code message } } }",
                json!({ "i": { "agencyId": agency, "name": name } }),
            )
            .await
            .ok();
        r.data("subAccountCreate.subAccount.id")
            .as_str()
            .unwrap_or_else(|| panic!("sub-account: {}", r.body))
            .to_owned()
    }

    /// Gives a user a role in an agency or sub-account named by global id (a fixture until
    /// invitations exist).
    pub async fn grant_in(&self, user_gid: &str, scope_gid: &str, role: Role) {
        let g = kernel::GlobalId::parse(scope_gid).expect("scope id");
        let scope = match g.kind {
            kernel::NodeKind::Agency => Scope::Agency(g.uuid),
            kernel::NodeKind::SubAccount => {
                use sea_orm::EntityTrait;
                let s = tenancy::entity::sub_account::Entity::find()
                    .filter(sea_orm::ColumnTrait::eq(
                        &tenancy::entity::sub_account::Column::Id,
                        g.uuid,
                    ))
                    .one(&self.db)
                    .await
                    .expect("query")
                    .expect("sub-account");
                Scope::SubAccount {
                    agency_id: s.agency_id,
                    id: s.id,
                }
            }
            other => panic!("not a tenant scope: {other:?}"),
        };
        self.grant(user_gid, scope, role).await;
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

    /// The number of SQL statements the server runs for one request.
    pub async fn statements_for(&self, token: &str, query: &str, variables: Value) -> u64 {
        let before = self.metrics.sql_statements.get();
        self.gql(Some(token), query, variables).await.ok();
        self.metrics.sql_statements.get() - before
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
