//! Building the application: database, identity state, schema, router; and serving it.

use crate::schema::{self, CanopySchema};
use axum::Router;
use kernel::Config;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema for queries and subscriptions.
    pub schema: CanopySchema,
    /// The same schema for mutations (each top-level field in a savepoint).
    pub mutation_schema: CanopySchema,
    /// Identity state (token keys, hasher, throttles).
    pub identity: Arc<identity::Identity>,
    /// The configuration.
    pub config: Arc<Config>,
    /// The live transports' state: the bus, the live connection limits, the read schema.
    pub live: live::LiveState<CanopySchema>,
    /// Counters served at `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The funnel forms' spam guards (token key, minimum fill time, rate limits).
    pub forms: Arc<funnels::service::form::FormGuard>,
    /// The published pages' view counter (writes off the request path).
    pub visits: Arc<funnels::service::visit::Visits>,
    /// Rendered published pages (`funnels::service::cache`).
    pub page_cache: Arc<funnels::service::cache::PageCache>,
    /// The media library's store and limits.
    pub media: Arc<media::Library>,
    /// The public booking pages' rate limits.
    pub bookings: Arc<crate::booking::Limits>,
    /// The API's rate budgets (`kernel::budget`, `crate::budget`).
    pub budgets: Arc<kernel::budget::Budgets>,
    /// Parsed documents and persisted queries (`crate::documents`).
    pub documents: Arc<crate::documents::Documents>,
}

/// A ready-to-serve application.
pub struct App {
    /// Shared state.
    pub state: AppState,
    /// The router.
    pub router: Router,
    /// The background jobs this replica runs while it serves (each domain's handlers and
    /// schedules; tests may add their own before serving).
    pub jobs: jobs::Registry,
}

impl App {
    /// Connects to an already migrated database and builds the router.
    pub async fn build(config: Config, mut db: DatabaseConnection) -> Result<Self, String> {
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let statements = metrics.sql_statements.clone();
        db.set_metric_callback(move |info| {
            statements.inc();
            crate::telemetry::statement(info);
        });
        let identity = identity::Identity::new(&db, &config)
            .await
            .map_err(|e| format!("identity set-up failed: {}", e.operator_message()))?;
        let media = Arc::new(media_library(&config)?);
        tracing::info!("media files go to {}", media.describe());
        let schemas = schema::build(&config, identity.clone(), media.clone());
        let forms = Arc::new(funnels::service::form::FormGuard::new(
            &identity.derived_key("form-token"),
            std::time::Duration::from_millis(config.form_min_fill_ms),
            config.form_submissions_per_ip,
            config.form_submissions_per_form,
        ));
        let bus = live::bus::Bus::start(
            &config,
            metrics.live_lag.clone(),
            identity.credentials.clone(),
        );
        let bookings = Arc::new(crate::booking::Limits::new(&config));
        let budgets = kernel::budget::Budgets::new(kernel::budget::Rules::of(&config));
        let documents = Arc::new(crate::documents::Documents::from_config(&config)?);
        let config = Arc::new(config);
        let live = live::LiveState::new(
            db.clone(),
            identity.clone(),
            config.clone(),
            bus,
            schemas.read.clone(),
            metrics.live_connections.clone(),
            metrics.live_renders.clone(),
        );
        let visits = funnels::service::visit::Visits::start(
            db.clone(),
            std::time::Duration::from_millis(config.visits_flush_ms.max(1)),
        );
        let page_cache = Arc::new(funnels::service::cache::PageCache::new(
            std::time::Duration::from_millis(config.site_cache_ttl_ms),
        ));
        let state = AppState {
            db,
            schema: schemas.read,
            mutation_schema: schemas.write,
            identity,
            live,
            metrics,
            config,
            forms,
            visits,
            page_cache,
            media,
            bookings,
            budgets,
            documents,
        };
        let router = crate::http::router(state.clone());
        let jobs = crate::work::registry(&state)?;
        Ok(Self {
            state,
            router,
            jobs,
        })
    }

    /// Serves on `listener` and runs background jobs until `shutdown` completes, then drains
    /// in-flight requests (until `CANOPY_SHUTDOWN_TIMEOUT`) and stops the job runtime
    /// gracefully.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let runtime = crate::work::start(&self.state, self.jobs)
            .await
            .map_err(std::io::Error::other)?;
        let sharing = crate::budget::share(&self.state.config, self.state.budgets.clone()).await;
        let bus = self.state.live.bus.clone();
        // Live connections are not part of axum's graceful shutdown: stopping the bus closes
        // them (1001) as soon as shutdown begins.
        let shutdown = async move {
            shutdown.await;
            bus.stop();
        };
        crate::serve::serve(
            listener,
            self.router,
            crate::serve::ServerLimits::of(&self.state.config),
            shutdown,
        )
        .await;
        runtime.shutdown().await;
        if let Some(task) = sharing {
            task.abort();
        }
        Ok(())
    }
}

/// The media library the configuration names: an S3-compatible bucket, or a directory.
fn media_library(config: &Config) -> Result<media::Library, String> {
    let max = config.media_max_bytes;
    let quota = config.media_quota_bytes;
    let public = config.media_public_url.clone();
    match config.media_s3_bucket.as_deref().map(str::trim) {
        Some(bucket) if !bucket.is_empty() => {
            let s3 = media::S3 {
                bucket: bucket.to_owned(),
                endpoint: config.media_s3_endpoint.clone(),
                region: config.media_s3_region.clone(),
                access_key_id: config.media_s3_access_key_id.clone(),
                secret_access_key: config.media_s3_secret_access_key.clone(),
            };
            media::Library::s3(&s3, max, quota, public)
        }
        _ => media::Library::local(&config.media_dir, max, quota, public),
    }
}

/// Completes on Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is called, not
/// when the future is first polled: a SIGTERM that arrives while the server is still starting
/// (connecting its pools) stops it gracefully instead of killing it.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = term => {},
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}
