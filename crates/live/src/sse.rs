//! `/graphql/stream`: GraphQL subscriptions as Server-Sent Events, for clients that cannot
//! use WebSockets (GraphQL over SSE, "distinct connections" mode:
//! <https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md>).
//!
//! One request carries one subscription: `POST` a JSON GraphQL request (or `GET` with the
//! query string) with `Accept: text/event-stream`, authenticated exactly as `/graphql` is
//! (`Authorization: Bearer …`, `canopy-agency`, `canopy-sub-account`). The response is an
//! event stream of `next` events (each a GraphQL response as JSON) ending with `complete`.
//!
//! - A missing or bad credential is refused before the stream, as `/graphql` would in JSON
//!   (401), as are a foreign `Origin` (403) and a missing `Accept` (406). An operation that
//!   cannot run (a query or mutation, several root fields, a syntax or validation error) and
//!   a subscription the actor may not start (another tenant's pipeline: `NOT_FOUND`) are, as
//!   the protocol asks, a `next` event with the errors, then `complete`.
//! - The response head is sent once the subscription listens: a client that has it can
//!   refetch knowing it will miss nothing.
//! - The stream ends with an `UNAUTHENTICATED` error when the credential expires, with
//!   `complete` when the server shuts down, and it shares `CANOPY_WS_MAX_CONNECTIONS` and
//!   `CANOPY_WS_MAX_CONNECTIONS_PER_USER` (then 429) with the WebSocket endpoint. A comment line every 15 s keeps proxies from closing it.

use crate::LiveState;
use crate::subscriptions::LiveSession;
use crate::wire::{self, Media};
use async_graphql::Executor;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often an idle stream sends a comment line.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long one event may wait for the client to take it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest the response head waits for the subscription to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET /graphql/stream?query=…&variables=…`.
pub async fn stream_get<E: Executor>(
    State(state): State<LiveState<E>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    match async_graphql::http::parse_query_string(uri.query().unwrap_or_default()) {
        Ok(request) => stream(state, headers, request).await,
        Err(e) => wire::error_response(
            StatusCode::BAD_REQUEST,
            Media::Json,
            &format!("malformed query string: {e}"),
            "BAD_USER_INPUT",
        ),
    }
}

/// `POST /graphql/stream` with a JSON body.
pub async fn stream_post<E: Executor>(
    State(state): State<LiveState<E>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some("application/json") {
        return wire::error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Media::Json,
            "send the request as application/json",
            "BAD_USER_INPUT",
        );
    }
    if body.len() > state.config.max_body_bytes {
        return wire::error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            Media::Json,
            &format!(
                "the request body is larger than {} bytes",
                state.config.max_body_bytes
            ),
            "BAD_USER_INPUT",
        );
    }
    match serde_json::from_slice(&body) {
        Ok(request) => stream(state, headers, request).await,
        Err(e) => wire::error_response(
            StatusCode::BAD_REQUEST,
            Media::Json,
            &format!("malformed JSON body: {e}"),
            "BAD_USER_INPUT",
        ),
    }
}

async fn stream<E: Executor>(
    state: LiveState<E>,
    headers: HeaderMap,
    mut request: async_graphql::Request,
) -> Response {
    let request_id = wire::header_str(&headers, "x-request-id")
        .unwrap_or("-")
        .to_owned();
    let accepts_stream = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("text/event-stream"));
    if !accepts_stream {
        return wire::error_response(
            StatusCode::NOT_ACCEPTABLE,
            Media::Json,
            "this endpoint answers with an event stream: send `Accept: text/event-stream`",
            "BAD_USER_INPUT",
        );
    }
    if !crate::ws::origin_allowed(&state.config, &headers) {
        return wire::error_response(
            StatusCode::FORBIDDEN,
            Media::Json,
            "this origin may not open live connections",
            "FORBIDDEN",
        );
    }
    if let Some(errors) = crate::ws::not_a_subscription(
        &state.config,
        &mut request,
        "queries and mutations are served at /graphql; this endpoint streams subscriptions",
    ) {
        return refused_in_stream(errors);
    }
    let credential =
        wire::header_str(&headers, header::AUTHORIZATION.as_str()).and_then(wire::bearer_token);
    let Some(credential) = credential else {
        return wire::rejected(
            kernel::Error::Unauthenticated(
                "subscriptions need a credential: use `Authorization: Bearer <token>`".into(),
            ),
            Media::Json,
            &request_id,
        );
    };
    let Ok(permit) = state.connections.clone().try_acquire_owned() else {
        return wire::error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            Media::Json,
            "too many live connections",
            "RATE_LIMITED",
        );
    };
    let session = match LiveSession::establish(
        state.db.clone(),
        state.bus.clone(),
        state.identity.clone(),
        credential.to_owned(),
        wire::header_str(&headers, wire::AGENCY_HEADER).map(str::to_owned),
        wire::header_str(&headers, wire::SUB_ACCOUNT_HEADER).map(str::to_owned),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return wire::rejected(e, Media::Json, &request_id),
    };
    let expires_at = session.expires_at;
    let Some(slot) = state.quota.take(&session.actor.principal) else {
        return wire::error_response(
            StatusCode::TOO_MANY_REQUESTS,
            Media::Json,
            &format!(
                "this credential holds {} live connections, the most allowed",
                state.quota.limit()
            ),
            "RATE_LIMITED",
        );
    };

    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let started = Arc::new(crate::subscriptions::Started(std::sync::Mutex::new(Some(
        started_tx,
    ))));
    let responses = state
        .schema
        .execute_stream(request.data(Arc::new(session)).data(started), None);
    let (tx, mut rx) = mpsc::channel::<Msg>(64);
    let bus = state.bus.clone();
    let gauge = crate::GaugeGuard::new(state.open_connections.clone());
    let task_request_id = request_id.clone();
    tokio::spawn(async move {
        let _held = (permit, gauge, slot);
        let mut responses = std::pin::pin!(responses);
        let left = expires_at
            .map(|exp| (exp - chrono::Utc::now()).to_std().unwrap_or_default())
            .unwrap_or(Duration::from_secs(365 * 24 * 3600));
        let expiry = tokio::time::sleep(left);
        tokio::pin!(expiry);
        let stopped = bus.stopped();
        tokio::pin!(stopped);
        loop {
            let resp = tokio::select! {
                resp = responses.next() => match resp {
                    Some(mut resp) => {
                        wire::finish_errors(&mut resp.errors, &task_request_id);
                        resp
                    }
                    None => break,
                },
                () = &mut expiry => {
                    let e: async_graphql::Error = kernel::Error::Unauthenticated(
                        "the credential expired; subscribe again with a fresh one".into(),
                    )
                    .into();
                    let mut resp = async_graphql::Response::from_errors(vec![
                        e.into_server_error(async_graphql::Pos::default()),
                    ]);
                    wire::finish_errors(&mut resp.errors, &task_request_id);
                    let _ = tx.send(Msg::Next(Box::new(resp))).await;
                    break;
                }
                () = &mut stopped => break,
                () = tx.closed() => return,
            };
            // A client that stops reading is let go rather than held.
            if !matches!(
                tokio::time::timeout(SEND_TIMEOUT, tx.send(Msg::Next(Box::new(resp)))).await,
                Ok(Ok(()))
            ) {
                return;
            }
        }
        let _ = tokio::time::timeout(SEND_TIMEOUT, tx.send(Msg::Complete)).await;
    });

    // Answer once the subscription listens, or with its refusal.
    // (A subscription still starting after the timeout streams what it later sends.)
    let failed = matches!(
        tokio::time::timeout(START_TIMEOUT, started_rx).await,
        Ok(Err(_))
    );
    let mut first = None;
    if failed {
        // It failed to start: the task has sent (or is sending) why.
        first = rx.recv().await;
    }
    let events = futures_util::stream::iter(first)
        .chain(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|ev| (ev, rx))
        }))
        .map(|msg| Ok::<_, Infallible>(msg.event()));
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// What the subscription's task streams.
enum Msg {
    /// One GraphQL response.
    Next(Box<async_graphql::Response>),
    /// The end of the stream.
    Complete,
}

impl Msg {
    fn event(self) -> Event {
        match self {
            Msg::Next(resp) => Event::default()
                .event("next")
                .data(serde_json::to_string(&resp).unwrap_or_else(|_| "{}".into())),
            Msg::Complete => Event::default().event("complete").data(""),
        }
    }
}

/// A stream of one `next` event carrying `errors`, then `complete`: how the protocol reports
/// an operation refused before it runs.
fn refused_in_stream(errors: serde_json::Value) -> Response {
    let next = Event::default()
        .event("next")
        .data(serde_json::json!({ "errors": errors }).to_string());
    let complete = Event::default().event("complete").data("");
    Sse::new(futures_util::stream::iter([
        Ok::<_, Infallible>(next),
        Ok(complete),
    ]))
    .into_response()
}
