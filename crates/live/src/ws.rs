//! `/graphql/ws`: GraphQL subscriptions over WebSocket, speaking the graphql-transport-ws
//! protocol (<https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md>).
//!
//! async-graphql ships a WebSocket driver, but it answers a failed `connection_init` with close
//! code 1002 instead of 4403, a `subscribe` before the acknowledgement with 1011 instead of
//! 4401, silently replaces a subscription whose id is already in use instead of closing with
//! 4409, and has no initialisation timeout (4408). This module keeps the protocol's codes; the
//! schema still executes every operation (`Schema::execute_stream`).
//!
//! - A browser `Origin` must be the server's own or one of `CANOPY_ALLOWED_ORIGINS` (403
//!   otherwise): a page on another site cannot ride a user's connection.
//! - `connection_init` carries the credential as `{"authorization": "Bearer …"}` and, like the
//!   HTTP headers, may name `canopy-agency` and `canopy-sub-account`. A missing or bad
//!   credential closes with 4403 and no acknowledgement; no `connection_init` within
//!   `CANOPY_WS_INIT_TIMEOUT_MS` closes with 4408; a second one with 4429.
//! - The connection closes with 4403 when its credential expires (reconnect with a fresh one).
//! - Only subscriptions travel here (queries and mutations go over HTTP); at most
//!   `CANOPY_WS_MAX_SUBSCRIPTIONS` at once per connection, `CANOPY_WS_MAX_CONNECTIONS` in all,
//!   `CANOPY_WS_MAX_CONNECTIONS_PER_USER` per user or API key (then close code 1013, "try
//!   again later").

use crate::LiveState;
use crate::subscriptions::LiveSession;
use async_graphql::parser::types::OperationType;
use async_graphql::{Executor, ServerError, Value};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use kernel::Config;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// The WebSocket subprotocol spoken here.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// The largest message a client may send.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The read and write buffer of a connection (they grow for larger messages).
const BUFFER_BYTES: usize = 8 * 1024;
/// How often the server pings a quiet client.
const PING_EVERY: Duration = Duration::from_secs(30);
/// How long one message may take to be taken by the client.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest subscription id accepted.
const MAX_ID_LEN: usize = 128;

/// The upgrade handler.
pub async fn upgrade<E: Executor>(
    State(state): State<LiveState<E>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&state.config, &headers) {
        return (
            StatusCode::FORBIDDEN,
            "this origin may not open live connections",
        )
            .into_response();
    }
    let Ok(permit) = state.connections.clone().try_acquire_owned() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many live connections").into_response();
    };
    ws.protocols([PROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        // Small buffers: most connections idle, and tungstenite's defaults (128 KiB each way)
        // would cost a quarter of a megabyte per subscriber.
        .read_buffer_size(BUFFER_BYTES)
        .write_buffer_size(BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            let _held = (
                permit,
                crate::GaugeGuard::new(state.open_connections.clone()),
            );
            connection(state, socket).await;
        })
}

/// No `Origin` (not a browser), the server's own, or an allowed one.
pub(crate) fn origin_allowed(config: &Config, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let origin = origin.trim_end_matches('/');
    if config
        .allowed_origins
        .iter()
        .any(|o| o.trim().trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    host.is_some_and(|h| {
        origin.eq_ignore_ascii_case(&format!("http://{h}"))
            || origin.eq_ignore_ascii_case(&format!("https://{h}"))
    })
}

/// A message from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<serde_json::Value>,
    },
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<serde_json::Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<serde_json::Value>,
    },
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
}

/// What a subscription's task (or its shared group, `crate::share`) sends to the connection;
/// each names the subscription id and its generation.
pub(crate) enum Out {
    /// A result.
    Next(String, u64, async_graphql::Response),
    /// A whole `next` message, serialised already.
    Text(String, u64, String),
    /// A request error; the subscription ends.
    Error(String, u64, Vec<ServerError>),
    /// The subscription ended.
    Done(String, u64),
}

/// Why the connection ends.
type Close = Option<(u16, String)>;

struct Connection<E> {
    state: LiveState<E>,
    session: Option<Arc<LiveSession>>,
    /// The connection's place in its credential's quota.
    slot: Option<crate::quota::QuotaSlot>,
    init_seen: bool,
    subs: HashMap<String, (u64, AbortHandle)>,
    generation: u64,
    out: mpsc::Sender<Out>,
}

async fn connection<E: Executor>(state: LiveState<E>, mut socket: WebSocket) {
    if socket.protocol().and_then(|p| p.to_str().ok()) != Some(PROTOCOL) {
        let _ = socket
            .send(close_message(4406, "Subprotocol not acceptable"))
            .await;
        return;
    }
    // As long as the bus's buffer: a subscription falls behind only when it would have
    // lagged the bus (a shared group hands messages to this queue without waiting).
    let (out_tx, mut out_rx) = mpsc::channel::<Out>(crate::bus::CAPACITY);
    let mut conn = Connection {
        init_seen: false,
        session: None,
        slot: None,
        subs: HashMap::new(),
        generation: 0,
        out: out_tx,
        state,
    };
    let init_timeout =
        tokio::time::sleep(Duration::from_millis(conn.state.config.ws_init_timeout_ms));
    tokio::pin!(init_timeout);
    // Reset to the credential's expiry once authenticated.
    let expiry = tokio::time::sleep(Duration::from_secs(365 * 24 * 3600));
    tokio::pin!(expiry);
    let bus = conn.state.bus.clone();
    let stopped = bus.stopped();
    tokio::pin!(stopped);
    // A client that stops answering is let go: the server pings (a WebSocket ping, which
    // clients answer by themselves) and closes when it has heard nothing for a while.
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = tokio::time::Instant::now();

    let close: Close = loop {
        tokio::select! {
            () = &mut init_timeout, if conn.session.is_none() => {
                break Some((4408, "Connection initialisation timeout".into()));
            }
            () = &mut expiry, if conn.session.is_some() => {
                break Some((4403, "Forbidden: the credential expired; reconnect with a fresh one".into()));
            }
            () = &mut stopped => break Some((1001, "the server is shutting down".into())),
            _ = ping.tick() => {
                if last_heard.elapsed() > 2 * PING_EVERY + PING_EVERY / 2 {
                    break None;
                }
                if !send(&mut socket, Message::Ping(Default::default())).await {
                    break None;
                }
            }
            out = out_rx.recv() => {
                let Some(out) = out else { continue };
                let msg = match out {
                    Out::Next(id, g, resp) if conn.is_current(&id, g) => {
                        json!({ "id": id, "type": "next", "payload": resp }).to_string()
                    }
                    Out::Text(id, g, text) if conn.is_current(&id, g) => text,
                    Out::Error(id, g, errors) if conn.is_current(&id, g) => {
                        conn.finished(&id);
                        json!({ "id": id, "type": "error", "payload": errors }).to_string()
                    }
                    Out::Done(id, g) if conn.is_current(&id, g) => {
                        conn.finished(&id);
                        json!({ "id": id, "type": "complete" }).to_string()
                    }
                    _ => continue,
                };
                if !send(&mut socket, Message::Text(msg.into())).await {
                    break None;
                }
            }
            msg = socket.recv() => {
                last_heard = tokio::time::Instant::now();
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => {
                        break Some((4400, "binary messages are not part of the protocol".into()));
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    // The closing handshake: tungstenite has queued the answer to the client's
                    // Close (its code echoed), and closing our side sends it.
                    Some(Ok(Message::Close(_))) => {
                        let _ = tokio::time::timeout(SEND_TIMEOUT, futures_util::SinkExt::close(&mut socket)).await;
                        break None;
                    }
                    Some(Err(_)) | None => break None,
                };
                match conn.handle(text.as_str()).await {
                    Ok(replies) => {
                        let mut failed = false;
                        for r in replies {
                            if !send(&mut socket, Message::Text(r.to_string().into())).await {
                                failed = true;
                                break;
                            }
                        }
                        if failed {
                            break None;
                        }
                        if let Some(exp) = conn.session.as_ref().and_then(|s| s.expires_at) {
                            let left = (exp - chrono::Utc::now()).to_std().unwrap_or_default();
                            expiry.as_mut().reset(tokio::time::Instant::now() + left);
                        }
                    }
                    Err(close) => break close,
                }
            }
        }
    };
    for (_, (_, task)) in conn.subs.drain() {
        task.abort();
    }
    if let Some((code, reason)) = close {
        let _ = send(&mut socket, close_message(code, &reason)).await;
    }
}

/// Sends one message; false if the client is gone or has not taken it within
/// [`SEND_TIMEOUT`] (a client that stops reading is let go rather than held).
async fn send(socket: &mut WebSocket, msg: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(msg)).await,
        Ok(Ok(()))
    )
}

fn close_message(code: u16, reason: &str) -> Message {
    // A close reason is at most 123 bytes.
    let mut reason = reason.to_owned();
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Why `request` cannot be run as a live subscription (on a WebSocket or an event stream):
/// it is a query or mutation (`elsewhere` says where those go), selects more than one root
/// field, is over a limit (aliases, depth, cost) or holds U+0000. A syntax error is left to
/// execution, which reports it in the usual shape.
pub(crate) fn not_a_subscription(
    config: &Config,
    request: &mut async_graphql::Request,
    elsewhere: &str,
) -> Option<serde_json::Value> {
    let name = request.operation_name.clone();
    let variables = std::mem::take(&mut request.variables);
    let refusal = (|| {
        let doc = request.parsed_query().ok()?;
        let op = crate::wire::operation(doc, name.as_deref())?;
        if op.node.ty != OperationType::Subscription {
            return Some(request_error(elsewhere, "BAD_USER_INPUT"));
        }
        // A subscription has exactly one root field (GraphQL spec, "Single root field"); a
        // document repeating it would multiply the streams one message starts.
        if op.node.selection_set.node.items.len() != 1 {
            return Some(request_error(
                "a subscription selects exactly one root field",
                "BAD_USER_INPUT",
            ));
        }
        crate::wire::Shape::of(doc, &op.node.selection_set.node, &variables)
            .refusal(&crate::wire::Limits::of(config))
            .map(|e| json!([e]))
    })();
    request.variables = variables;
    refusal
}

/// A GraphQL error message with a code, as the protocol's `error` payload carries them.
pub(crate) fn request_error(message: &str, code: &str) -> serde_json::Value {
    json!([{ "message": message, "extensions": { "code": code } }])
}

impl<E: Executor> Connection<E> {
    fn is_current(&self, id: &str, generation: u64) -> bool {
        self.subs.get(id).is_some_and(|(g, _)| *g == generation)
    }

    /// Forgets a subscription that ended (its task, which may hold a group membership, stops).
    fn finished(&mut self, id: &str) {
        if let Some((_, task)) = self.subs.remove(id) {
            task.abort();
        }
    }

    /// Handles one client message: the replies to send, or why to close.
    async fn handle(&mut self, text: &str) -> Result<Vec<serde_json::Value>, Close> {
        let msg: ClientMessage = serde_json::from_str(text)
            .map_err(|e| Some((4400, format!("Invalid message received: {e}"))))?;
        match msg {
            ClientMessage::Ping { .. } => Ok(vec![json!({ "type": "pong" })]),
            ClientMessage::Pong { .. } => Ok(Vec::new()),
            ClientMessage::ConnectionInit { payload } => {
                if self.init_seen {
                    return Err(Some((4429, "Too many initialisation requests".into())));
                }
                self.init_seen = true;
                match self.init(payload.unwrap_or_default()).await {
                    Ok(session) => {
                        let Some(slot) = self.state.quota.take(&session.actor.principal) else {
                            return Err(Some((
                                1013,
                                format!(
                                    "Try again later: this credential holds {} live connections, the most allowed",
                                    self.state.quota.limit()
                                ),
                            )));
                        };
                        self.slot = slot;
                        self.session = Some(Arc::new(session));
                        Ok(vec![json!({ "type": "connection_ack" })])
                    }
                    Err(e) if e.code() == kernel::error::ErrorCode::Unavailable => Err(Some((
                        1013,
                        "Try again later: the database is unavailable".into(),
                    ))),
                    Err(e) if e.code() == kernel::error::ErrorCode::Internal => {
                        Err(Some((4500, "Internal Server Error".into())))
                    }
                    Err(e) => Err(Some((4403, format!("Forbidden: {}", e.public_message())))),
                }
            }
            ClientMessage::Complete { id } => {
                if let Some((_, task)) = self.subs.remove(&id) {
                    task.abort();
                }
                Ok(Vec::new())
            }
            ClientMessage::Subscribe { id, mut payload } => {
                let Some(session) = self.session.clone() else {
                    return Err(Some((4401, "Unauthorized".into())));
                };
                if self.subs.contains_key(&id) {
                    return Err(Some((4409, format!("Subscriber for {id} already exists"))));
                }
                if id.is_empty() || id.len() > MAX_ID_LEN {
                    return Err(Some((4400, "Invalid message received: bad id".into())));
                }
                if let Some(errors) = self.refuse(&mut payload) {
                    return Ok(vec![
                        json!({ "id": id, "type": "error", "payload": errors }),
                    ]);
                }
                self.start(id, *payload, session).await;
                Ok(Vec::new())
            }
        }
    }

    async fn init(&self, payload: serde_json::Value) -> Result<LiveSession, kernel::Error> {
        let field = |name: &str| {
            payload.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, v)| v.as_str())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            })
        };
        let credential = field("authorization")
            // The scheme may be left out here.
            .map(|v| {
                crate::wire::bearer_token(&v)
                    .unwrap_or(&v)
                    .trim()
                    .to_owned()
            })
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                kernel::Error::Unauthenticated(
                    "send {\"authorization\": \"Bearer <token>\"} in connection_init".into(),
                )
            })?;
        LiveSession::establish(
            self.state.db.clone(),
            self.state.bus.clone(),
            self.state.identity.clone(),
            credential,
            field(crate::wire::AGENCY_HEADER),
            field(crate::wire::SUB_ACCOUNT_HEADER),
        )
        .await
    }

    /// Errors for a subscribe request this connection will not run.
    fn refuse(&self, request: &mut async_graphql::Request) -> Option<serde_json::Value> {
        if self.subs.len() >= self.state.config.ws_max_subscriptions {
            return Some(request_error(
                &format!(
                    "at most {} subscriptions per connection",
                    self.state.config.ws_max_subscriptions
                ),
                "BAD_USER_INPUT",
            ));
        }
        not_a_subscription(
            &self.state.config,
            request,
            "queries and mutations are served over HTTP (POST /graphql); this connection carries subscriptions",
        )
    }

    /// Starts a subscription and waits until it listens (or has failed): a client's `ping`
    /// sent after `subscribe` is answered once the subscription misses nothing.
    ///
    /// With sharing on (`CANOPY_LIVE_SHARED`), the subscription first runs its start-up check
    /// alone (a probe: the same field, which ends once its check passes), then joins its
    /// group (`crate::share`) and checks in there before it listens.
    async fn start(
        &mut self,
        id: String,
        request: async_graphql::Request,
        session: Arc<LiveSession>,
    ) {
        self.generation += 1;
        let generation = self.generation;
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let out = self.out.clone();
        let task_id = id.clone();
        let schema = self.state.schema.clone();
        let shared = self
            .state
            .share
            .clone()
            .and_then(|hub| Some((hub, crate::share::Key::of(&session, &request)?)));
        let task = match shared {
            None => {
                let started = Arc::new(crate::subscriptions::Started(std::sync::Mutex::new(Some(
                    started_tx,
                ))));
                let stream = schema.execute_stream(request.data(session).data(started), None);
                tokio::spawn(async move {
                    let sent = forward(stream, &out, &task_id, generation).await;
                    if matches!(sent, Forwarded::Nothing | Forwarded::Some) {
                        let _ = out.send(Out::Done(task_id, generation)).await;
                    }
                })
            }
            Some((hub, key)) => {
                let variables = request.variables.clone();
                let probe = schema.execute_stream(
                    request
                        .data(session.clone())
                        .data(crate::subscriptions::Probe),
                    None,
                );
                tokio::spawn(async move {
                    match forward(probe, &out, &task_id, generation).await {
                        Forwarded::Error | Forwarded::Gone => {}
                        Forwarded::Some => {
                            let _ = out.send(Out::Done(task_id, generation)).await;
                        }
                        Forwarded::Nothing => {
                            let _member = hub
                                .join(key, variables, &schema, session, task_id, generation, out)
                                .await;
                            let _ = started_tx.send(());
                            // Held until the subscription ends: dropping it leaves the group.
                            std::future::pending::<()>().await;
                        }
                    }
                })
            }
        };
        self.subs.insert(id, (generation, task.abort_handle()));
        let _ = tokio::time::timeout(Duration::from_secs(10), started_rx).await;
    }
}

/// What [`forward`] sent.
#[derive(PartialEq, Eq)]
enum Forwarded {
    /// Nothing: the stream ended without a result.
    Nothing,
    /// Results (or errors of the subscription field), in `next` messages.
    Some,
    /// A request error (nothing executed: syntax, validation), as the protocol's `error`.
    Error,
    /// Nothing more: the connection is gone.
    Gone,
}

/// Sends a subscription's results to its connection until the stream ends.
async fn forward(
    stream: impl futures_util::Stream<Item = async_graphql::Response>,
    out: &mpsc::Sender<Out>,
    id: &str,
    generation: u64,
) -> Forwarded {
    let mut stream = std::pin::pin!(stream);
    let mut sent = Forwarded::Nothing;
    while let Some(mut resp) = stream.next().await {
        crate::wire::finish_errors(&mut resp.errors, "-");
        // A request error (nothing executed: syntax, validation) is the protocol's `error`
        // message; errors of the subscription field itself travel in `next`.
        if sent == Forwarded::Nothing
            && resp.data == Value::Null
            && !resp.errors.is_empty()
            && resp.errors.iter().all(|e| e.path.is_empty())
        {
            let _ = out
                .send(Out::Error(id.to_owned(), generation, resp.errors))
                .await;
            return Forwarded::Error;
        }
        sent = Forwarded::Some;
        if out
            .send(Out::Next(id.to_owned(), generation, resp))
            .await
            .is_err()
        {
            return Forwarded::Gone;
        }
    }
    sent
}
