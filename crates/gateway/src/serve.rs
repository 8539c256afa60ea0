//! The connection loop: HTTP/1.1 over TCP with a header-read deadline, a listen backlog, and a
//! graceful shutdown that has a deadline of its own.
//!
//! `axum::serve` sets no timer on hyper, so a client that sends its header slowly, or nothing
//! at all, holds a connection (and a file descriptor) forever, and it gives shutdown no end.
//! This loop is axum's, with those limits:
//! - hyper's header-read timeout runs from the moment a connection waits for a request: a
//!   connection that opens and stays silent, an idle keep-alive connection, and a client that
//!   trickles header lines are all closed after `CANOPY_HEADER_READ_TIMEOUT`;
//! - at shutdown the listener closes, idle connections close, in-flight requests get
//!   `CANOPY_SHUTDOWN_TIMEOUT` to finish, and whatever is still open then is dropped.
//!
//! Architecture Invariant: Canopy speaks HTTP/1.1 only (WebSockets upgrade from it). HTTP/2
//! arrives through a TLS-terminating proxy, which speaks HTTP/1.1 to us; serving cleartext
//! HTTP/2 as well would add a version sniff that no header timeout covers.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// The limits the connection loop enforces.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// How long a client has to send a request's header (and an idle connection stays open).
    pub header_read: Duration,
    /// How long in-flight requests get once shutdown begins.
    pub shutdown: Duration,
}

impl ServerLimits {
    /// The limits of a configuration.
    pub fn of(config: &kernel::Config) -> Self {
        Self {
            header_read: Duration::from_secs(config.header_read_timeout_secs.max(1)),
            shutdown: Duration::from_secs(config.shutdown_timeout_secs),
        }
    }
}

/// Binds `addr` with the given listen backlog (the kernel caps it at `net.core.somaxconn`).
pub fn bind(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog.max(1))
}

/// Serves `router` on `listener` until `shutdown` completes, then drains as described above.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true);
    // Dropping the sender tells every connection to finish its request and close.
    let (stop, stopping) = tokio::sync::watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors, say: wait rather than spin, and go on.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(remote));
                    router.clone().oneshot(req.map(Body::new))
                });
                let conn = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                let mut stopping = stopping.clone();
                connections.spawn(async move {
                    tokio::pin!(conn);
                    let mut stopped = false;
                    loop {
                        tokio::select! {
                            result = conn.as_mut() => {
                                if let Err(e) = result {
                                    tracing::debug!(error = %e, "connection ended with an error");
                                }
                                break;
                            }
                            _ = stopping.changed(), if !stopped => {
                                stopped = true;
                                conn.as_mut().graceful_shutdown();
                            }
                        }
                    }
                });
            }
        }
    }
    drop(listener);
    drop(stop);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown, drained)
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "shutdown deadline reached: closing the connections still open"
        );
    }
    connections.shutdown().await;
}
