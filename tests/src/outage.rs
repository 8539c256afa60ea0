//! A TCP proxy between a replica and PostgreSQL that can cut the database off: what a restart
//! or a failover looks like from the server, without stopping the PostgreSQL that other tests
//! share.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};

/// The proxy; it stops when dropped.
pub struct DbProxy {
    /// Where it listens.
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl DbProxy {
    /// Starts a proxy to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let down = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (d, l) = (down.clone(), links.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if d.load(Ordering::SeqCst) {
                    // Down: the connection opens and closes at once, as a database that is
                    // not there.
                    drop(client);
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                l.lock().expect("links").push(link.abort_handle());
            }
        });
        Self {
            addr,
            down,
            links,
            accept,
        }
    }

    /// Cuts every open connection and refuses new ones until [`DbProxy::restore`].
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

impl crate::TestApp {
    /// On PostgreSQL: a replica that reaches the database through a [`DbProxy`] (`None` on
    /// SQLite, which has no network to lose).
    pub async fn replica_behind_proxy(&self) -> Option<(crate::TestApp, DbProxy)> {
        let url = self.config.database_url.clone()?;
        if !url.starts_with("postgres") {
            return None;
        }
        // postgres://user@host:port/db?query
        let (head, rest) = url.rsplit_once('@')?;
        let (host, tail) = rest.split_once('/')?;
        let target: SocketAddr = tokio::net::lookup_host(host).await.ok()?.next()?;
        let proxy = DbProxy::start(target).await;
        let mut config = self.config.clone();
        config.database_url = Some(format!("{head}@{}/{tail}", proxy.addr));
        Some((self.replica_with(config).await, proxy))
    }
}
