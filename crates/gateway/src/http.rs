//! HTTP: the `/graphql` endpoint (GraphQL over HTTP), GraphiQL, health checks, the live routes
//! (mounted from `live`), and the middleware stack (request ids, tracing, body and time limits,
//! CORS, compression, panics). The wire rules it shares with the live transports (headers,
//! bearer credential, error shapes) are `live::wire`.
//!
//! Architecture Invariant: every GraphQL request runs in one database transaction, begun here
//! after authentication and committed here after execution; services open savepoints inside it.
//! Mutations never run from a GET, and only `application/json` bodies are accepted, so a
//! "simple" cross-site form or text request can never reach a resolver.

use crate::AppState;
use async_graphql::Value;
use async_graphql::parser::types::OperationType;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use identity::UserAgent;
use kernel::db::RequestTx;
use kernel::error::INTERNAL_MESSAGE;
use kernel::{Principal, RequestContext};
use live::wire::{
    AGENCY_HEADER, Media, SUB_ACCOUNT_HEADER, bearer_token, count_aliases, error_response,
    finish_errors, header_str, operation, rejected,
};
use sea_orm::{
    ConnectionTrait, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if config.graphiql {
        router = router.route("/", get(graphiql));
    }
    if config.metrics {
        router = router.route("/metrics", get(metrics));
    }
    let origins: Vec<HeaderValue> = config
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
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
    router.with_state(state).merge(live).layer(
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
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(cors)
            .layer(CompressionLayer::new())
            .layer(axum::extract::DefaultBodyLimit::max(
                config.max_body_bytes.max(config.max_upload_bytes),
            ))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                Duration::from_secs(config.request_timeout_secs),
            )),
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

async fn graphiql() -> Html<String> {
    Html(
        async_graphql::http::GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("Canopy GraphiQL")
            .finish(),
    )
}

async fn metrics(State(state): State<AppState>) -> Response {
    state
        .metrics
        .live_subscriptions
        .set(i64::try_from(state.live.bus.receivers()).unwrap_or(i64::MAX));
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
    execute(state, headers, addr, request, media, true).await
}

async fn graphql_post(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
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
    if content_type.as_deref() == Some("multipart/form-data") {
        return multipart(state, headers, addr, body, media).await;
    }
    if body.len() > state.config.max_body_bytes {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            &format!(
                "the request body is larger than {} bytes",
                state.config.max_body_bytes
            ),
            "BAD_USER_INPUT",
        );
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
    execute(state, headers, addr, request, media, false).await
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
    if header_str(&headers, PREFLIGHT_HEADER).is_none() {
        return error_response(
            StatusCode::BAD_REQUEST,
            media,
            "a multipart request needs the header `GraphQL-Require-Preflight: 1`",
            "BAD_USER_INPUT",
        );
    }
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
    execute(state, headers, addr, request, media, false).await
}

fn client_ip(state: &AppState, headers: &HeaderMap, addr: SocketAddr) -> IpAddr {
    // The rightmost entry is the one our proxy appended; entries to its left are whatever the
    // client sent, and could be forged to dodge per-IP throttles.
    let forwarded = || {
        header_str(headers, "x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    };
    state
        .config
        .trust_forwarded_for
        .then(forwarded)
        .flatten()
        .unwrap_or_else(|| addr.ip())
}

async fn execute(
    state: AppState,
    headers: HeaderMap,
    addr: SocketAddr,
    mut request: async_graphql::Request,
    media: Media,
    is_get: bool,
) -> Response {
    let request_id = header_str(&headers, "x-request-id")
        .unwrap_or("-")
        .to_owned();

    // Parse once (async-graphql keeps the parsed document) to learn the operation type.
    let operation_name = request.operation_name.clone();
    let (ty, aliases) = match request.parsed_query() {
        Ok(doc) => {
            let op = operation(doc, operation_name.as_deref());
            let ty = op.map(|o| o.node.ty);
            let aliases = op.map_or(0, |o| count_aliases(doc, &o.node.selection_set.node));
            (ty, aliases)
        }
        // Let execution report the syntax error in the usual shape.
        Err(_) => (None, 0),
    };
    if ty == Some(OperationType::Subscription) {
        return error_response(
            StatusCode::BAD_REQUEST,
            media,
            "subscriptions are served over WebSocket at /graphql/ws (protocol graphql-transport-ws) and as an event stream at /graphql/stream (GraphQL over SSE)",
            "BAD_USER_INPUT",
        );
    }
    let is_mutation = ty == Some(OperationType::Mutation);
    state
        .metrics
        .requests
        .get_or_create(&crate::metrics::OperationLabel {
            operation: if is_mutation { "mutation" } else { "query" },
        })
        .inc();
    if is_get && is_mutation {
        let mut resp = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "mutations must be sent with POST",
            "BAD_USER_INPUT",
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    if aliases > state.config.max_aliases {
        return error_response(
            StatusCode::BAD_REQUEST,
            media,
            &format!(
                "the query has {aliases} aliases; at most {} are allowed",
                state.config.max_aliases
            ),
            "BAD_USER_INPUT",
        );
    }

    // Authenticate at the edge.
    let principal = match header_str(&headers, header::AUTHORIZATION.as_str()) {
        None => Principal::Anonymous,
        Some(value) => {
            let result = match bearer_token(value) {
                Some(t) => identity::authenticate(&state.db, &state.identity, t).await,
                None => Err(kernel::Error::Unauthenticated(
                    "use `Authorization: Bearer <token>`".into(),
                )),
            };
            match result {
                Ok(p) => p,
                Err(e) => return rejected(e, media, &request_id),
            }
        }
    };

    // One transaction per request. SQLite takes the write lock up front for mutations, so two
    // writers queue instead of failing on a lock upgrade.
    let backend = state.db.get_database_backend();
    let options = TransactionOptions {
        sqlite_transaction_mode: (backend == DbBackend::Sqlite).then_some(if is_mutation {
            SqliteTransactionMode::Immediate
        } else {
            SqliteTransactionMode::Deferred
        }),
        ..Default::default()
    };
    let tx = match state.db.begin_with_options(options).await {
        Ok(tx) => tx,
        Err(e) => return rejected(kernel::Error::Db(e), media, &request_id),
    };

    // The actor's memberships and tenant, checked once, here; this also sets what row-level
    // security lets the transaction see.
    let (actor, tenant) = match tenancy::act(
        &tx,
        principal,
        header_str(&headers, AGENCY_HEADER),
        header_str(&headers, SUB_ACCOUNT_HEADER),
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return rejected(e, media, &request_id),
    };

    let tx = Arc::new(tx);
    // Loaders are per request, on its transaction (held weakly), with a short batching window
    // and a cache (cleared before each top-level mutation; see `kernel::loader`).
    let weak = Arc::downgrade(&tx);
    let mut request = crate::schema::LOADERS
        .iter()
        .fold(request, |r, loaders| {
            loaders.install(r, &weak, actor.tenant)
        })
        .data(RequestTx(tx.clone()))
        .data(RequestContext {
            actor,
            tenant,
            request_id: request_id.clone(),
            client_ip: Some(client_ip(&state, &headers, addr)),
        });
    if let Some(ua) = header_str(&headers, header::USER_AGENT.as_str()) {
        request = request.data(UserAgent(ua.to_owned()));
    }
    let schema = if is_mutation {
        &state.mutation_schema
    } else {
        &state.schema
    };
    let mut response = schema.execute(request).await;

    // Commit whatever the operations did: each mutation is atomic on its own (savepoints), and
    // some failures must persist (a replayed refresh token revokes its session).
    match Arc::try_unwrap(tx) {
        Ok(tx) => {
            if let Err(e) = tx.commit().await {
                return rejected(kernel::Error::Db(e), media, &request_id);
            }
            if is_mutation {
                // Live subscribers hear of what this request committed.
                state.live.bus.poke();
            }
        }
        Err(_) => {
            return rejected(
                kernel::Error::internal("request transaction still shared after execution"),
                media,
                &request_id,
            );
        }
    }

    finish_errors(&mut response.errors, &request_id);
    let request_error = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let status = if media == Media::GraphqlResponse && request_error {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // A request error (nothing executed) has no `data` entry at all, per GraphQL over HTTP.
    let body = match serde_json::to_value(&response).and_then(|mut v| {
        if request_error && let Some(obj) = v.as_object_mut() {
            obj.remove("data");
        }
        serde_json::to_vec(&v)
    }) {
        Ok(b) => b,
        Err(e) => {
            return rejected(
                kernel::Error::internal(format!("cannot serialize response: {e}")),
                media,
                &request_id,
            );
        }
    };
    (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response()
}
