//! A WebSocket client speaking graphql-transport-ws, for the live API's tests.

use crate::TestApp;
use serde_json::{Value, json};

impl TestApp {
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

    /// Starts the closing handshake with `code`.
    pub async fn close(&mut self, code: u16) {
        use futures_util::SinkExt;
        use tokio_tungstenite::tungstenite::protocol::CloseFrame;
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Close(Some(
                CloseFrame {
                    code: code.into(),
                    reason: "done".into(),
                },
            )))
            .await
            .expect("send close");
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
