//! HTTP: the `/graphql` endpoint (GraphQL over HTTP), GraphiQL, health checks, the live routes
//! (mounted from `live`), and the middleware stack (request ids, tracing, CORS, compression, one
//! shape for refusals and the request timeout in `crate::refusal`, panics, body limits). The
//! wire rules it shares with the live transports (headers, bearer credential, error shapes)
//! are `live::wire`.
//!
//! A GraphQL request, once read, runs in `crate::execute`.
//!
//! Architecture Invariant: mutations never run from a GET, and only `application/json` bodies
//! are accepted, so a "simple" cross-site form or text request can never reach a resolver.

use crate::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kernel::error::INTERNAL_MESSAGE;
use live::wire::{AGENCY_HEADER, Media, SUB_ACCOUNT_HEADER, error_response, header_str};
use sea_orm::ConnectionTrait;
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/media/{token}", get(crate::media::file))
        .route("/media/{token}/{*name}", get(crate::media::file))
        .route(
            "/book/{token}",
            get(crate::booking::page).post(crate::booking::book),
        )
        .route(
            "/refer/{token}",
            get(crate::referral::page).post(crate::referral::redeem),
        );
    if config.graphiql {
        router = router
            .route("/", get(crate::graphiql::page))
            .route("/graphiql/{name}", get(crate::graphiql::asset));
    }
    if config.metrics {
        router = router.route("/metrics", get(metrics));
    }
    let origins: Vec<HeaderValue> = config
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    // The API's origins come from the configuration; a published page's (a form posted from
    // another site) are the funnel's hosts and its sub-account's embed domains.
    let cors_state = state.clone();
    let allow = AllowOrigin::async_predicate(
        move |origin: HeaderValue, parts: &axum::http::request::Parts| {
            let state = cors_state.clone();
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned);
            let path = parts.uri.path().to_owned();
            let listed = origins.contains(&origin);
            let client = parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0);
            let client = crate::booking::client(&state, &parts.headers, client);
            async move {
                if let Some(ok) =
                    crate::booking::origin_allowed(&state, &path, &origin, client).await
                {
                    return ok || listed;
                }
                match host {
                    Some(host) => crate::sites::origin_allowed(&state, &host, &path, &origin)
                        .await
                        .unwrap_or(listed),
                    None => listed,
                }
            }
        },
    );
    let cors = CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static(AGENCY_HEADER),
            header::HeaderName::from_static(SUB_ACCOUNT_HEADER),
            header::HeaderName::from_static(PREFLIGHT_HEADER),
        ])
        .max_age(Duration::from_secs(600));
    let live = state.live.clone().routes();
    let sites = axum::middleware::from_fn_with_state(state.clone(), crate::sites::dispatch);
    let timeout = Duration::from_secs(config.request_timeout_secs);
    // Published funnel pages answer first for their hosts (`crate::sites`); the fallback is
    // explicit so that the layer covers unknown paths too.
    let router = router
        .with_state(state)
        .merge(live)
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(sites);
    router.layer(
        ServiceBuilder::new()
            .layer(SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
            ]))
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                }),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(cors)
            .layer(CompressionLayer::new())
            .layer(axum::middleware::from_fn(move |req, next| {
                crate::refusal::shape(timeout, req, next)
            }))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes)),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        Media::Json,
        INTERNAL_MESSAGE,
        "INTERNAL",
    )
}

async fn metrics(State(state): State<AppState>) -> Response {
    state
        .metrics
        .live_subscriptions
        .set(i64::try_from(state.live.subscriptions()).unwrap_or(i64::MAX));
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn graphql_get(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(media) = Media::negotiate(&headers) else {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            Media::Json,
            "accept application/graphql-response+json or application/json",
            "BAD_USER_INPUT",
        );
    };
    let request = match async_graphql::http::parse_query_string(uri.query().unwrap_or_default()) {
        Ok(r) => r,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                &format!("malformed query string: {e}"),
                "BAD_USER_INPUT",
            );
        }
    };
    crate::execute::execute(state, headers, addr, request, media, true).await
}

async fn graphql_post(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = Media::negotiate(&headers) else {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            Media::Json,
            "accept application/graphql-response+json or application/json",
            "BAD_USER_INPUT",
        );
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let is_multipart = content_type.as_deref() == Some("multipart/form-data");
    if is_multipart && header_str(&headers, PREFLIGHT_HEADER).is_none() {
        // Refused before a byte of the upload is read.
        return error_response(
            StatusCode::BAD_REQUEST,
            media,
            "a multipart request needs the header `GraphQL-Require-Preflight: 1`",
            "BAD_USER_INPUT",
        );
    }
    let (limit, what) = if is_multipart {
        (state.config.max_upload_bytes, "multipart request")
    } else {
        (state.config.max_body_bytes, "request body")
    };
    let body = match read_body(&headers, body, limit).await {
        Ok(b) => b,
        Err(status) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            return error_response(
                status,
                media,
                &format!("the {what} is larger than {limit} bytes"),
                "BAD_USER_INPUT",
            );
        }
        Err(status) => {
            return error_response(
                status,
                media,
                "the request body could not be read to its end",
                "BAD_USER_INPUT",
            );
        }
    };
    if is_multipart {
        // Boxed: an upload's parsing would otherwise size every JSON request's future.
        return Box::pin(multipart(state, headers, addr, body, media)).await;
    }
    if content_type.as_deref() != Some("application/json") {
        // Form, text and multipart bodies are what a cross-site page can send without a CORS
        // preflight: refusing them keeps mutations safe from CSRF.
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send the request as application/json",
            "BAD_USER_INPUT",
        );
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return error_response(
            StatusCode::BAD_REQUEST,
            media,
            "batched requests are not supported: send one operation per request, as a JSON object {\"query\": …}",
            "BAD_USER_INPUT",
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                &format!("malformed JSON body: {e}"),
                "BAD_USER_INPUT",
            );
        }
    };
    if let Some(unknown) = unknown_keys(&request, &body) {
        return error_response(
            StatusCode::BAD_REQUEST,
            media,
            &format!(
                "the request has no query, and keys GraphQL over HTTP does not define: {unknown} (send {{\"query\": …, \"variables\": …, \"operationName\": …}})"
            ),
            "BAD_USER_INPUT",
        );
    }
    crate::execute::execute(state, headers, addr, request, media, false).await
}

/// Reads a body of at most `limit` bytes. A declared `Content-Length` over the limit is refused
/// before a byte is read, and a chunked body as soon as it passes the limit: nothing larger is
/// ever buffered.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, StatusCode> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if too_large {
                Err(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                Err(StatusCode::BAD_REQUEST)
            }
        }
    }
}

/// For a request without a query (a misspelt key, say): the keys of the body that GraphQL over
/// HTTP does not define, if any. The body is read again only on this error path.
fn unknown_keys(request: &async_graphql::Request, body: &[u8]) -> Option<String> {
    if !request.query.trim().is_empty() {
        return None;
    }
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body).ok()?;
    let unknown: Vec<String> = map
        .keys()
        .filter(|k| {
            !matches!(
                k.as_str(),
                "query" | "variables" | "operationName" | "extensions"
            )
        })
        .map(|k| format!("`{}`", k.chars().take(40).collect::<String>()))
        .take(5)
        .collect();
    (!unknown.is_empty()).then(|| unknown.join(", "))
}

/// The header a multipart request must carry. A browser sends a custom header cross-site only
/// after a CORS preflight, so a page on another site cannot post a form to the API.
pub const PREFLIGHT_HEADER: &str = "graphql-require-preflight";

/// A GraphQL multipart request (files in `Upload` variables).
async fn multipart(
    state: AppState,
    headers: HeaderMap,
    addr: SocketAddr,
    body: Bytes,
    media: Media,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let opts = async_graphql::http::MultipartOptions::default()
        .max_file_size(state.config.max_upload_bytes)
        .max_num_files(4);
    let request = match async_graphql::http::receive_body(content_type, &body[..], opts).await {
        Ok(r) => r,
        Err(e) => {
            let (status, message) = match e {
                async_graphql::ParseRequestError::PayloadTooLarge => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the upload is too large".to_owned(),
                ),
                e => (
                    StatusCode::BAD_REQUEST,
                    format!("malformed multipart request: {e}"),
                ),
            };
            return error_response(status, media, &message, "BAD_USER_INPUT");
        }
    };
    crate::execute::execute(state, headers, addr, request, media, false).await
}
