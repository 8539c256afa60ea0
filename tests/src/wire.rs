//! Round trips to PostgreSQL, counted on the wire: [`RoundTrips`] is a TCP proxy in front of
//! PostgreSQL that reads what clients send and counts each time a client stops to wait for the
//! server: a `Sync` (the end of an extended-protocol batch: a prepared statement's bind and
//! execute, or its preparation) or a `Query` (the simple protocol: `BEGIN`, `COMMIT`,
//! savepoints) with nothing sent after it yet. Messages a client sends together (a `ROLLBACK`
//! queued as a transaction is dropped, and the `Sync` of the ping that flushes it) are one
//! round trip: only the last of them is waited for. Only connections whose start-up names the application counted are
//! counted, so the server's other pools (live bus, jobs, rate budgets) stay out.
//!
//! Connect through it in plain TCP (`sslmode=disable`): TLS would hide the messages.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A counting proxy (see the module).
pub struct RoundTrips {
    /// Where it listens.
    pub addr: SocketAddr,
    count: Arc<AtomicU64>,
}

/// The protocol codes of start-up requests that precede the real start-up message.
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

impl RoundTrips {
    /// Starts a proxy to `upstream`, counting the connections of `application` (its
    /// `application_name`).
    pub async fn start(upstream: SocketAddr, application: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let count = Arc::new(AtomicU64::new(0));
        let counter = count.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let _ = relay(client, server, application, counter).await;
                    }
                });
            }
        });
        Self { addr, count }
    }

    /// The round trips counted so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// The round trips counted once none has come for 50 ms: the ping sqlx sends as the pool
    /// takes a connection back runs alongside the response, so a request's last round trip
    /// may arrive after its answer.
    pub async fn settled(&self) -> u64 {
        let mut last = self.count();
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let now = self.count();
            if now == last {
                return now;
            }
            last = now;
        }
    }

    /// `url` (a PostgreSQL URL) through this proxy, in plain TCP.
    pub fn url(&self, url: &str) -> String {
        let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
        let (auth, tail) = match rest.split_once('@') {
            Some((a, t)) => (format!("{a}@"), t),
            None => (String::new(), rest),
        };
        let path = tail.find('/').map(|i| &tail[i..]).unwrap_or("/");
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("postgres://{auth}{}{path}{sep}sslmode=disable", self.addr)
    }
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    application: &str,
    count: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let (client_read, mut client_write) = client.into_split();
    // Buffered: what is left in the buffer after a message was sent with it.
    let mut client_read = tokio::io::BufReader::with_capacity(1 << 16, client_read);
    let (mut server_read, mut server_write) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    // The start-up message (after any TLS or GSS request, which the server declines here).
    let counted = loop {
        let len = client_read.read_u32().await?;
        let mut body = vec![0u8; (len as usize).saturating_sub(4)];
        client_read.read_exact(&mut body).await?;
        server_write.write_u32(len).await?;
        server_write.write_all(&body).await?;
        let code = body
            .get(..4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
        if code != Some(SSL_REQUEST) && code != Some(GSSENC_REQUEST) {
            break names_application(&body[4.min(body.len())..], application);
        }
    };
    // Then typed messages: a tag byte and a length that counts itself. `WIRE_DEBUG=1` prints
    // each counted connection's messages.
    let debug = std::env::var_os("WIRE_DEBUG").is_some();
    while let Ok(tag) = client_read.read_u8().await {
        let len = client_read.read_u32().await?;
        let mut body = vec![0u8; (len as usize).saturating_sub(4)];
        client_read.read_exact(&mut body).await?;
        if counted && debug {
            let text = String::from_utf8_lossy(
                &body[..body.len().min(if tag == b'P' { 2000 } else { 60 })],
            );
            eprintln!("wire {} {text}", tag as char);
        }
        // A wait, unless more was sent with it (then the client waits after the last).
        if counted && (tag == b'S' || tag == b'Q') && client_read.buffer().is_empty() {
            count.fetch_add(1, Ordering::SeqCst);
        }
        server_write.write_u8(tag).await?;
        server_write.write_u32(len).await?;
        server_write.write_all(&body).await?;
    }
    server_write.shutdown().await
}

/// Whether a start-up message's parameters (NUL-terminated name, value pairs) name
/// `application` as `application_name`.
fn names_application(params: &[u8], application: &str) -> bool {
    let mut parts = params.split(|b| *b == 0);
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        if name == b"application_name" {
            return value == application.as_bytes();
        }
    }
    false
}
