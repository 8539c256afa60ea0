//! OpenTelemetry traces, off by default. With `CANOPY_OTLP_ENDPOINT` (an OTLP/HTTP collector's
//! base URL, such as `http://127.0.0.1:4318`), the tracing spans are exported as OTLP/HTTP JSON
//! in batches: one span per request (`request`, with its method, path and request id) and,
//! under it, one per SQL statement (`sql`, with the statement and how long it took).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// Most characters of a statement kept on its span.
const MAX_STATEMENT: usize = 500;

/// Whether spans are exported (statement spans cost nothing otherwise).
static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns the statement spans on: a layer of [`layer`] is installed.
pub fn exporting() {
    EXPORTING.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The tracer provider exporting to `endpoint` (its `/v1/traces`).
pub fn provider(endpoint: &str) -> Result<SdkTracerProvider, String> {
    // reqwest is built without a TLS crypto provider of its own: rustls' ring, as for
    // webhooks (a no-op if one is installed already).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()
        .map_err(|e| format!("cannot build the OTLP exporter: {e}"))?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("canopy").build())
        .build())
}

/// The tracing layer that hands spans to `provider`.
pub fn layer<S>(provider: &SdkTracerProvider) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("canopy"))
}

/// Records one SQL statement as a span under the current one (the request's), from the pool's
/// metric callback, which runs as the statement finishes.
pub fn statement(info: &sea_orm::metric::Info<'_>) {
    if !EXPORTING.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let sql = &info.statement.sql;
    let sql: String = sql.chars().take(MAX_STATEMENT).collect();
    let span = tracing::info_span!(
        "sql",
        db.statement = %sql,
        duration_ms = info.elapsed.as_secs_f64() * 1000.0,
        failed = info.failed,
    );
    drop(span);
}
