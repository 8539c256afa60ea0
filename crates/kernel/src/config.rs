//! Configuration, from flags or environment variables (every flag has one).

use std::net::SocketAddr;

/// The database used when `DATABASE_URL` is not set: a SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/canopy.db?mode=rwc";

/// Everything Canopy can be told at start-up.
#[derive(clap::Args, Debug, Clone)]
pub struct Config {
    /// Database to use: `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    /// Unset: a SQLite file in `./data/`, migrated and seeded with demo data.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Database URL of the role that owns the tables, for migrations (PostgreSQL). Unset:
    /// `DATABASE_URL` migrates too. In production `DATABASE_URL` names the runtime role
    /// `canopy_app`, which owns nothing and is subject to row-level security.
    #[arg(long, env = "CANOPY_OWNER_DATABASE_URL", hide_env_values = true)]
    pub owner_database_url: Option<String>,

    /// Most database connections in the pool.
    #[arg(long, env = "CANOPY_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// The platform's name, shown on its own domain.
    #[arg(long, env = "CANOPY_PLATFORM_NAME", default_value = "Canopy")]
    pub platform_name: String,

    /// The platform's domain: agencies are reached at `<subdomain>.<domain>`.
    #[arg(
        long,
        env = "CANOPY_PLATFORM_DOMAIN",
        default_value = "canopy.localhost"
    )]
    pub platform_domain: String,

    /// The domain funnels and websites are published under: a funnel is served at
    /// `<its subdomain>.<this domain>` (point a wildcard DNS record at Canopy). Default:
    /// `sites.<platform domain>`.
    #[arg(long, env = "CANOPY_SITES_DOMAIN")]
    pub sites_domain: Option<String>,

    /// Address to listen on.
    #[arg(long, env = "CANOPY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Secret that signs access tokens (at least 32 bytes). Unset: one is generated and kept in
    /// the database, shared by every replica.
    #[arg(long, env = "CANOPY_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "CANOPY_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of a refresh token (and so of an idle session), in seconds.
    #[arg(long, env = "CANOPY_REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,

    /// Lifetime of a password-reset token, in seconds.
    #[arg(long, env = "CANOPY_PASSWORD_RESET_TTL", default_value_t = 3600)]
    pub password_reset_ttl_secs: u64,

    /// Memory cost of argon2id password hashes, in KiB (OWASP: 19456).
    #[arg(long, env = "CANOPY_ARGON2_MEMORY_KIB", default_value_t = 19456)]
    pub argon2_memory_kib: u32,

    /// Iterations of argon2id password hashes (OWASP: 2).
    #[arg(long, env = "CANOPY_ARGON2_ITERATIONS", default_value_t = 2)]
    pub argon2_iterations: u32,

    /// Sign-in attempts allowed per account per minute (bursts up to this many).
    #[arg(long, env = "CANOPY_LOGIN_PER_ACCOUNT_PER_MIN", default_value_t = 10)]
    pub login_attempts_per_account: u32,

    /// Sign-in attempts allowed per client IP per minute (bursts up to this many).
    #[arg(long, env = "CANOPY_LOGIN_PER_IP_PER_MIN", default_value_t = 30)]
    pub login_attempts_per_ip: u32,

    /// Form submissions accepted per client IP per minute, across all forms (bursts up to
    /// this many).
    #[arg(
        long,
        env = "CANOPY_FORM_SUBMISSIONS_PER_IP_PER_MIN",
        default_value_t = 10
    )]
    pub form_submissions_per_ip: u32,

    /// Bookings and referral redemptions one client address (an IPv6 address by its /64) may
    /// send to the public pages a minute (per replica).
    #[arg(
        long,
        env = "CANOPY_PUBLIC_WRITES_PER_IP_PER_MIN",
        default_value_t = 10
    )]
    pub public_writes_per_ip: u32,

    /// Booking pages and referral links one client address may read a minute (per replica).
    #[arg(
        long,
        env = "CANOPY_PUBLIC_READS_PER_IP_PER_MIN",
        default_value_t = 120
    )]
    pub public_reads_per_ip: u32,

    /// Submissions accepted per form per minute, from everyone (bursts up to this many).
    #[arg(
        long,
        env = "CANOPY_FORM_SUBMISSIONS_PER_FORM_PER_MIN",
        default_value_t = 120
    )]
    pub form_submissions_per_form: u32,

    /// The least time, in milliseconds, between serving a page and accepting its form: a
    /// quicker submission is a robot's.
    #[arg(long, env = "CANOPY_FORM_MIN_FILL_MS", default_value_t = 3000)]
    pub form_min_fill_ms: u64,

    /// How often, in milliseconds, counted page views are written (at the latest).
    #[arg(long, env = "CANOPY_VISITS_FLUSH_MS", default_value_t = 1000)]
    pub visits_flush_ms: u64,

    /// How long, in milliseconds, a replica may serve a published page from memory before
    /// reading it again: how late another replica's change (a publish, a suspension) may show
    /// here; this replica's own show at once. 0 turns the cache off.
    #[arg(long, env = "CANOPY_SITE_CACHE_TTL_MS", default_value_t = 2_000)]
    pub site_cache_ttl_ms: u64,

    /// An OpenTelemetry collector's OTLP/HTTP base URL (`http://127.0.0.1:4318`): traces are
    /// exported there, a span per request and per SQL statement. Unset: no traces.
    #[arg(long, env = "CANOPY_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// How many days the audit log keeps a mutation's entry (0: forever).
    #[arg(long, env = "CANOPY_AUDIT_RETENTION_DAYS", default_value_t = 365)]
    pub audit_retention_days: u64,

    /// The rate budgets' window, seconds (`kernel::budget`): each budget below refills when
    /// its window ends.
    #[arg(long, env = "CANOPY_RATE_WINDOW_SECS", default_value_t = 10)]
    pub rate_window_secs: u64,

    /// Points one API key or one user may spend on `/graphql` per window. A request spends 1,
    /// plus 1 per `CANOPY_RATE_COST_PER_POINT` of its cost. 0 turns this budget (and each one
    /// below) off.
    #[arg(long, env = "CANOPY_RATE_PER_CREDENTIAL", default_value_t = 100)]
    pub rate_per_credential: u64,

    /// Points one client network (an IPv4 address, an IPv6 /64) may spend per window, signed in
    /// or not.
    #[arg(long, env = "CANOPY_RATE_PER_IP", default_value_t = 300)]
    pub rate_per_ip: u64,

    /// Points every credential acting in one agency may spend together per window.
    #[arg(long, env = "CANOPY_RATE_PER_AGENCY", default_value_t = 1_000)]
    pub rate_per_agency: u64,

    /// Points one API key may spend per UTC day.
    #[arg(long, env = "CANOPY_RATE_PER_KEY_DAILY", default_value_t = 200_000)]
    pub rate_per_key_daily: u64,

    /// The cost (complexity) that adds one point to a request's one.
    #[arg(long, env = "CANOPY_RATE_COST_PER_POINT", default_value_t = 100)]
    pub rate_cost_per_point: u64,

    /// How long, in seconds, a replica may keep a credential it has checked (a session's
    /// liveness, memberships, an API key, a tenant's status) before reading it again.
    /// Revocations clear it on every replica at once through the live bus; this bounds how
    /// long a replica whose bus is silently cut off could miss one. 0 turns the cache off.
    #[arg(long, env = "CANOPY_CREDENTIAL_CACHE_TTL_SECS", default_value_t = 30)]
    pub credential_cache_ttl_secs: u64,

    /// How many parsed GraphQL documents a replica keeps (by their text), and how many
    /// automatic persisted queries (by their SHA-256): a document seen again is not parsed
    /// again. 0 turns both off (automatic persisted queries then always miss).
    #[arg(long, env = "CANOPY_DOCUMENT_CACHE", default_value_t = 1000)]
    pub document_cache: usize,

    /// A persisted query manifest (Apollo's `apollo-persisted-query-manifest` JSON): its
    /// operations are known by their SHA-256 on every replica from the start.
    #[arg(long, env = "CANOPY_PERSISTED_QUERIES")]
    pub persisted_queries: Option<std::path::PathBuf>,

    /// Run only the manifest's operations (`CANOPY_PERSISTED_QUERIES`) on `/graphql`: any other
    /// document is refused, and automatic persisted queries register nothing. Subscriptions
    /// (WebSocket, SSE) are not restricted yet.
    #[arg(long, env = "CANOPY_PERSISTED_QUERIES_ONLY", default_value_t = false, action = clap::ArgAction::Set)]
    pub persisted_queries_only: bool,

    /// Trust the `X-Forwarded-For` header for the client IP (only behind a proxy you run).
    #[arg(long, env = "CANOPY_TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,

    /// Serve GraphiQL at `/`.
    #[arg(long, env = "CANOPY_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,

    /// Answer introspection queries (turn off in production if the schema is private).
    #[arg(long, env = "CANOPY_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Suggest field names in validation errors.
    #[arg(long, env = "CANOPY_SUGGESTIONS", default_value_t = true, action = clap::ArgAction::Set)]
    pub suggestions: bool,

    /// Deepest query accepted.
    #[arg(long, env = "CANOPY_MAX_DEPTH", default_value_t = 15)]
    pub max_depth: usize,

    /// Highest query cost accepted: each field costs 1, and a page (`first`/`last`, 20 by
    /// default) multiplies the cost of what it selects.
    #[arg(long, env = "CANOPY_MAX_COMPLEXITY", default_value_t = 5000)]
    pub max_complexity: usize,

    /// Most aliased fields in one query.
    #[arg(long, env = "CANOPY_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "CANOPY_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest multipart request (a file upload, such as a contact import) accepted, in bytes.
    #[arg(long, env = "CANOPY_MAX_UPLOAD_BYTES", default_value_t = 12 * 1024 * 1024)]
    pub max_upload_bytes: usize,

    /// Requests taking longer than this many seconds are cut off.
    #[arg(long, env = "CANOPY_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// A client must send a request's whole header within this many seconds of the connection
    /// opening, or of its previous response: a slow or silent client is disconnected, so an
    /// idle keep-alive connection is closed after this long too.
    #[arg(long, env = "CANOPY_HEADER_READ_TIMEOUT", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Connections the kernel may queue before the server accepts them (the listen backlog;
    /// Linux caps it at `net.core.somaxconn`).
    #[arg(long, env = "CANOPY_LISTEN_BACKLOG", default_value_t = 4096)]
    pub listen_backlog: u32,

    /// At shutdown, how long in-flight requests get to finish, in seconds; connections still
    /// open then are closed (live connections are closed with 1001 at once).
    #[arg(long, env = "CANOPY_SHUTDOWN_TIMEOUT", default_value_t = 20)]
    pub shutdown_timeout_secs: u64,

    /// Live connections (`/graphql/ws`) must send `connection_init` within this many
    /// milliseconds.
    #[arg(long, env = "CANOPY_WS_INIT_TIMEOUT_MS", default_value_t = 10_000)]
    pub ws_init_timeout_ms: u64,

    /// Most subscriptions one live connection may hold at once.
    #[arg(long, env = "CANOPY_WS_MAX_SUBSCRIPTIONS", default_value_t = 100)]
    pub ws_max_subscriptions: usize,

    /// Subscriptions with the same tenant headers to the same document, operation and
    /// variables share one execution on this replica, whoever subscribed: each event is
    /// resolved and serialised once for all of them and reaches each only as far as its own
    /// access allows (`live::share`). `false` runs each on its own.
    #[arg(long, env = "CANOPY_LIVE_SHARED", default_value_t = true, action = clap::ArgAction::Set)]
    pub live_shared: bool,

    /// Most live connections the server holds at once (more are refused with 503).
    #[arg(long, env = "CANOPY_WS_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub ws_max_connections: usize,

    /// Most live connections (WebSocket and event streams) one user, or one API key, holds at
    /// once (more are refused: close code 1013, or 429).
    #[arg(long, env = "CANOPY_WS_MAX_CONNECTIONS_PER_USER", default_value_t = 50)]
    pub ws_max_connections_per_user: usize,

    /// Serve Prometheus metrics at `/metrics` (counters only, no tenant data; off by default:
    /// expose it only where your scraper reaches it).
    #[arg(long, env = "CANOPY_METRICS", default_value_t = false, action = clap::ArgAction::Set)]
    pub metrics: bool,

    /// Origins allowed for cross-site browser requests (comma-separated).
    #[arg(long, env = "CANOPY_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Seed the demo platform on start if the database has none. Default: on for the embedded
    /// SQLite default, off when `DATABASE_URL` is set.
    #[arg(long, env = "CANOPY_SEED_DEMO", action = clap::ArgAction::Set)]
    pub seed_demo: Option<bool>,

    /// SMTP server for outgoing email: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465` (TLS). Unset: email is written as `.eml`
    /// files into `CANOPY_MAIL_DIR` instead.
    #[arg(long, env = "CANOPY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The platform's sender of email (a brand's white-label sender replaces it for that brand).
    #[arg(
        long,
        env = "CANOPY_MAIL_FROM",
        default_value = "Canopy <no-reply@canopy.localhost>"
    )]
    pub mail_from: String,

    /// Where email goes when no SMTP server is configured: one `<id>.eml` file per email.
    #[arg(long, env = "CANOPY_MAIL_DIR", default_value = "./data/mail")]
    pub mail_dir: std::path::PathBuf,

    /// Where the media library keeps files when no S3 bucket is configured.
    #[arg(long, env = "CANOPY_MEDIA_DIR", default_value = "./data/media")]
    pub media_dir: std::path::PathBuf,

    /// An S3-compatible bucket for the media library instead of `CANOPY_MEDIA_DIR`. What the
    /// `CANOPY_MEDIA_S3_*` settings below leave unset comes from the standard `AWS_*` variables
    /// (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, ...).
    #[arg(long, env = "CANOPY_MEDIA_S3_BUCKET")]
    pub media_s3_bucket: Option<String>,

    /// The S3-compatible endpoint (`https://s3.example.com`; an `http://` one is allowed too).
    /// Unset: AWS's, for the region.
    #[arg(long, env = "CANOPY_MEDIA_S3_ENDPOINT")]
    pub media_s3_endpoint: Option<String>,

    /// The bucket's region.
    #[arg(long, env = "CANOPY_MEDIA_S3_REGION")]
    pub media_s3_region: Option<String>,

    /// The access key id for the bucket.
    #[arg(long, env = "CANOPY_MEDIA_S3_ACCESS_KEY_ID", hide_env_values = true)]
    pub media_s3_access_key_id: Option<String>,

    /// The secret access key for the bucket.
    #[arg(
        long,
        env = "CANOPY_MEDIA_S3_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub media_s3_secret_access_key: Option<String>,

    /// The largest file the media library accepts, in bytes (at most `CANOPY_MAX_UPLOAD_BYTES`
    /// arrive at all).
    #[arg(long, env = "CANOPY_MEDIA_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub media_max_bytes: u64,

    /// How many bytes of files one sub-account's media library may hold.
    #[arg(long, env = "CANOPY_MEDIA_QUOTA_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub media_quota_bytes: u64,

    /// The public base URL of media files (a CDN in front of `/media/`, say
    /// `https://cdn.example.com`). Unset: a file's `url` is a path on the API's own origin,
    /// which any funnel host serves too.
    #[arg(long, env = "CANOPY_MEDIA_PUBLIC_URL")]
    pub media_public_url: Option<String>,

    /// The first retry delay of an email the SMTP server did not take (a 4xx reply, no
    /// answer), in milliseconds; each retry waits twice as long, up to an hour.
    #[arg(long, env = "CANOPY_MAIL_RETRY_BASE_MS", default_value_t = 30_000)]
    pub mail_retry_base_ms: u64,

    /// Let webhook endpoints use `http://` and private, loopback or link-local addresses (for
    /// tests and development only: it opens the server to SSRF).
    #[arg(long, env = "CANOPY_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,

    /// Multiplies the delays of the webhook retry schedule (5 s, 5 min, 30 min, 2 h, 5 h,
    /// 10 h, 10 h); 1 in production.
    #[arg(long, env = "CANOPY_WEBHOOK_RETRY_SCALE", default_value_t = 1.0)]
    pub webhook_retry_scale: f64,

    /// Background jobs run at once on this replica (0: this replica runs none, it only
    /// enqueues).
    #[arg(long, env = "CANOPY_JOB_WORKERS", default_value_t = 8)]
    pub job_workers: usize,

    /// How often an idle job worker looks for work enqueued elsewhere, in milliseconds.
    #[arg(long, env = "CANOPY_JOB_POLL_MS", default_value_t = 500)]
    pub job_poll_ms: u64,

    /// How long a job worker holds a job without renewing its lease, in seconds: a crashed
    /// replica's jobs run again after this long.
    #[arg(long, env = "CANOPY_JOB_LEASE_SECS", default_value_t = 60)]
    pub job_lease_secs: u64,

    /// At shutdown, how long running jobs get to finish before they are put back, in seconds.
    #[arg(long, env = "CANOPY_JOB_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub job_shutdown_grace_secs: u64,

    /// Log format: `text` or `json`.
    #[arg(long, env = "CANOPY_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

impl Config {
    /// The domain funnels are published under (see [`Config::sites_domain`]).
    pub fn sites_domain(&self) -> String {
        let d = match &self.sites_domain {
            Some(d) if !d.trim().is_empty() => d.trim().to_owned(),
            _ => format!("sites.{}", self.platform_domain.trim()),
        };
        d.trim_end_matches('.').to_ascii_lowercase()
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> &str {
        self.database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)
    }

    /// Whether to seed demo data.
    pub fn seed_demo(&self) -> bool {
        self.seed_demo.unwrap_or(self.database_url.is_none())
    }

    /// A configuration with every default, for tests and tools.
    pub fn defaults() -> Self {
        use clap::{Args, FromArgMatches};
        let cmd = Self::augment_args(clap::Command::new("canopy").no_binary_name(true));
        let matches = cmd
            .try_get_matches_from(std::iter::empty::<String>())
            .unwrap_or_default();
        Self::from_arg_matches(&matches).unwrap_or_else(|_| unreachable!("defaults always parse"))
    }
}
