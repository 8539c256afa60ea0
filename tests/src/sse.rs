//! A GraphQL-over-SSE client (`/graphql/stream`).

use crate::{TestApp, WS_WAIT};
use serde_json::{Value, json};

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
