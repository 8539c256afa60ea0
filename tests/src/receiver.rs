//! A partner's webhook receiver for the tests: a real HTTP server (axum) on 127.0.0.1 that
//! verifies each delivery's Standard Webhooks signature with the endpoint's secret (the
//! `standardwebhooks` crate, as a partner would) and answers with the status codes it is told.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-signature`.
    pub signature: String,
    /// The body, parsed.
    pub body: serde_json::Value,
    /// Whether the signature verified with the secret(s) the receiver holds.
    pub verified: bool,
    /// What it answered.
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    secrets: Vec<String>,
    script: VecDeque<u16>,
    got: Vec<Received>,
}

/// A running receiver.
pub struct Receiver {
    /// Its URL (`http://127.0.0.1:port/hook`).
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut s = inner.lock().expect("receiver state");
    // Verified with any secret it holds (the old and the new one during a rotation).
    let verified = !s.secrets.is_empty()
        && s.secrets.iter().all(|secret| {
            standardwebhooks::Webhook::new(secret)
                .is_ok_and(|wh| wh.verify(&body, &headers).is_ok())
        });
    let status = s.script.pop_front().unwrap_or(200);
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    s.got.push(Received {
        id: header("webhook-id"),
        signature: header("webhook-signature"),
        body: serde_json::from_slice(&body).unwrap_or_default(),
        verified,
        status,
    });
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}

impl Receiver {
    /// Starts a receiver that answers 200 until told otherwise.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("its address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/hook"),
            inner,
        }
    }

    /// Verifies with these secrets (every one must verify).
    pub fn trust(&self, secrets: &[&str]) {
        self.inner.lock().expect("state").secrets =
            secrets.iter().map(|s| (*s).to_owned()).collect();
    }

    /// Answers the next requests with these codes (then 200 again).
    pub fn answer(&self, codes: &[u16]) {
        self.inner.lock().expect("state").script = codes.iter().copied().collect();
    }

    /// What it got so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("state").got.clone()
    }

    /// What it got, once it got at least `n` requests (waiting up to 30 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the receiver got {} request(s), not {n}",
                got.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}
