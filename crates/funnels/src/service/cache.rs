//! The rendered-page cache of one replica: a published page at a host and path, kept as HTML
//! so that a view costs no database round trip (at most [`MAX_ENTRIES`] pages and
//! [`MAX_BYTES`] of HTML).
//!
//! Architecture Invariant: a cached page is served only while nothing may have changed it on
//! this replica, and never longer than the cache's time to live. An entry remembers the
//! generation of its agency and the global generation when it was filled;
//! [`PageCache::changed`] bumps them for every event that may change a page
//! (`kernel::event::touches_sites`: funnels, pages, and the lifecycle and domains of
//! sub-accounts, agencies and resellers) right after the request that recorded it commits,
//! before its response leaves (an event of no agency bumps the global one). Changes committed
//! by other replicas, by jobs or in the database directly show when the entry's time to live
//! ends (`CANOPY_SITE_CACHE_TTL_MS`, 2 s). The live bus is deliberately not used: a receiver
//! that is always there would make every replica's bus read every event row.

use super::visit::PageKey;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Most pages one replica keeps (when full, the cache starts again empty).
pub const MAX_ENTRIES: usize = 10_000;
/// Most bytes of HTML one replica keeps (when full, the cache starts again empty).
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// A published page rendered, as served and cached.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The HTML, with [`crate::document::render::FORM_TOKEN`] where each form's token goes.
    pub html: Arc<str>,
    /// The hash the entity tag is made of.
    pub hash: u64,
    /// Whether the page has a form (a fresh token per view; a weak, weekly entity tag).
    pub has_form: bool,
    /// Its policy, when not the base one (tracking tags).
    pub policy: Option<Arc<str>>,
    /// Which page it is.
    pub page: PageKey,
}

/// A rendered page as cached.
#[derive(Debug)]
struct CachedPage {
    rendered: Rendered,
    agency_generation: u64,
    global_generation: u64,
    filled: Instant,
}

/// The generations an entry is filled under, read before the database is.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    agency: Option<(Uuid, u64)>,
    global: u64,
}

/// The cache (see the module docs).
pub struct PageCache {
    entries: RwLock<HashMap<(String, String), Arc<CachedPage>>>,
    hosts: RwLock<HashMap<String, Uuid>>,
    agencies: RwLock<HashMap<Uuid, u64>>,
    global: AtomicU64,
    bytes: std::sync::atomic::AtomicUsize,
    ttl: Duration,
}

impl PageCache {
    /// A cache whose entries are read again after `ttl` at the latest (zero: nothing cached).
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            hosts: RwLock::new(HashMap::new()),
            agencies: RwLock::new(HashMap::new()),
            global: AtomicU64::new(0),
            bytes: std::sync::atomic::AtomicUsize::new(0),
            ttl,
        }
    }

    fn agency_generation(&self, agency: Uuid) -> u64 {
        self.agencies
            .read()
            .map(|m| m.get(&agency).copied().unwrap_or(0))
            .unwrap_or(u64::MAX)
    }

    /// Something in `agency` may have changed (`None`: anywhere).
    pub fn changed(&self, agency: Option<Uuid>) {
        match agency {
            Some(a) => {
                if let Ok(mut m) = self.agencies.write() {
                    *m.entry(a).or_insert(0) += 1;
                }
            }
            None => {
                self.global.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// The generations now, for an entry about to be read from the database (of `agency`, when
    /// the host's funnel is known; otherwise only the global one is checked).
    pub fn stamp(&self, agency: Option<Uuid>) -> Stamp {
        Stamp {
            agency: agency.map(|a| (a, self.agency_generation(a))),
            global: self.global.load(Ordering::SeqCst),
        }
    }

    /// The page cached for `host` and `path`, if it is still good.
    pub fn get(&self, host: &str, path: &str) -> Option<Rendered> {
        if self.ttl.is_zero() {
            return None;
        }
        let entry = self
            .entries
            .read()
            .ok()?
            .get(&(host.to_owned(), path.to_owned()))
            .cloned()?;
        let fresh = entry.filled.elapsed() < self.ttl
            && entry.global_generation == self.global.load(Ordering::SeqCst)
            && entry.agency_generation == self.agency_generation(entry.rendered.page.agency_id);
        fresh.then(|| entry.rendered.clone())
    }

    /// Keeps a page read under `stamp` (taken before the read). A page whose agency changed
    /// since is not kept.
    pub fn put(&self, stamp: Stamp, host: &str, path: &str, rendered: &Rendered) {
        if self.ttl.is_zero() {
            return;
        }
        let agency_generation = match stamp.agency {
            Some((a, g)) if a == rendered.page.agency_id => g,
            // The host's agency was not known before the read (a first view, or the host moved
            // to another tenant): the next read is stamped with it and kept.
            _ => {
                self.learn(host, rendered.page.agency_id);
                return;
            }
        };
        let entry = Arc::new(CachedPage {
            rendered: rendered.clone(),
            agency_generation,
            global_generation: stamp.global,
            filled: Instant::now(),
        });
        let size = rendered.html.len();
        if let Ok(mut m) = self.entries.write() {
            if m.len() >= MAX_ENTRIES || self.bytes.load(Ordering::Relaxed) + size > MAX_BYTES {
                m.clear();
                self.bytes.store(0, Ordering::Relaxed);
            }
            self.bytes.fetch_add(size, Ordering::Relaxed);
            if let Some(old) = m.insert((host.to_owned(), path.to_owned()), entry) {
                self.bytes
                    .fetch_sub(old.rendered.html.len(), Ordering::Relaxed);
            }
        }
    }

    /// The agency whose funnel was last read at `host`, to stamp the next read with.
    pub fn agency_of(&self, host: &str) -> Option<Uuid> {
        self.hosts.read().ok()?.get(host).copied()
    }

    /// Remembers whose funnel `host` serves (learned from a read).
    pub fn learn(&self, host: &str, agency: Uuid) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut m) = self.hosts.write() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(host.to_owned(), agency);
        }
    }
}
