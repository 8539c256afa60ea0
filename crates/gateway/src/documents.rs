//! The GraphQL documents a replica knows: parsed documents cached by their text, so a document
//! seen again is not parsed again; automatic persisted queries (Apollo's APQ: a client sends a
//! document's SHA-256 instead of its text once the server has it); and persisted queries from a
//! manifest, known from the start and, with `CANOPY_PERSISTED_QUERIES_ONLY`, the only documents
//! that run.
//!
//! Both caches are bounded (`CANOPY_DOCUMENT_CACHE` entries and [`CACHE_BYTES`] of text each,
//! least recently used out; no text over [`MAX_KEPT_BYTES`]) and per replica: a client whose hash another replica has not seen yet is told
//! `PERSISTED_QUERY_NOT_FOUND` and sends the text once more, as the protocol expects.

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock};

use crate::execute::Refusal;

/// A document's SHA-256.
type Hash = [u8; 32];

/// The longest text either cache keeps (a longer one runs, and is parsed every time).
pub const MAX_KEPT_BYTES: usize = 64 * 1024;
/// The most operations and fragments a kept document holds.
pub const MAX_KEPT_DEFINITIONS: usize = 32;
/// The most text each cache holds, all entries together. A parsed document takes several times
/// its text; with [`MAX_KEPT_DEFINITIONS`] and only authenticated callers' documents kept, the
/// parsed cache stays within tens of MiB.
pub const CACHE_BYTES: usize = 4 * 1024 * 1024;

/// An LRU bounded by its entries and by the bytes of the texts behind them.
struct Bounded<K: std::hash::Hash + Eq, V> {
    lru: LruCache<K, (V, usize)>,
    bytes: usize,
}

impl<K: std::hash::Hash + Eq, V: Clone> Bounded<K, V> {
    fn new(capacity: usize) -> Option<Mutex<Self>> {
        NonZeroUsize::new(capacity).map(|n| {
            Mutex::new(Self {
                lru: LruCache::new(n),
                bytes: 0,
            })
        })
    }

    fn get<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.lru.get(key).map(|(v, _)| v.clone())
    }

    /// Keeps `value` for `key`, `size` the bytes of its text (nothing over
    /// [`MAX_KEPT_BYTES`]), dropping the least recently used past [`CACHE_BYTES`].
    fn put(&mut self, key: K, value: V, size: usize) {
        if size > MAX_KEPT_BYTES {
            return;
        }
        // `push` answers the entry it replaced or evicted.
        if let Some((_, (_, old))) = self.lru.push(key, (value, size)) {
            self.bytes -= old;
        }
        self.bytes += size;
        while self.bytes > CACHE_BYTES {
            match self.lru.pop_lru() {
                Some((_, (_, old))) => self.bytes -= old,
                None => break,
            }
        }
    }
}

/// A parsed document as kept, with whether it passed the schema's validation rules that depend
/// on nothing but the document (`Schema::check_document`), learned when it is first reused.
pub struct Kept {
    doc: ExecutableDocument,
    valid: OnceLock<bool>,
}

impl Kept {
    /// Whether the document passed the request-independent rules of `schema` (checked once): a
    /// request of it then validates only what depends on the request
    /// (`async_graphql::Prevalidated`).
    pub fn prevalidated(&self, schema: &crate::schema::CanopySchema) -> bool {
        *self
            .valid
            .get_or_init(|| schema.check_document(&self.doc).is_ok())
    }
}

/// The documents a replica knows (see the module).
pub struct Documents {
    parsed: Option<Mutex<Bounded<Arc<str>, Arc<Kept>>>>,
    automatic: Option<Mutex<Bounded<Hash, Arc<str>>>>,
    manifest: HashMap<Hash, Arc<str>>,
    only_manifest: bool,
}

/// What [`Documents::resolve`] found, for [`Documents::remember`].
pub struct Resolved {
    /// The document came parsed (this replica had parsed the same text before), as kept.
    pub parsed_before: Option<Arc<Kept>>,
    /// The automatic persisted query hash the text came with, to register.
    register: Option<Hash>,
}

/// The number of operations and fragments in a document.
fn definitions(doc: &ExecutableDocument) -> usize {
    use async_graphql::parser::types::DocumentOperations;
    let operations = match &doc.operations {
        DocumentOperations::Single(_) => 1,
        DocumentOperations::Multiple(ops) => ops.len(),
    };
    operations + doc.fragments.len()
}

impl Documents {
    /// Bounded caches of `capacity` entries each (none when 0), and the operations of a
    /// manifest (`apollo-persisted-query-manifest`, version 1).
    pub fn new(
        capacity: usize,
        manifest: Option<&str>,
        only_manifest: bool,
    ) -> Result<Self, String> {
        let manifest = match manifest {
            Some(text) => read_manifest(text)?,
            None => HashMap::new(),
        };
        Ok(Self {
            parsed: Bounded::new(capacity),
            automatic: Bounded::new(capacity),
            manifest,
            only_manifest,
        })
    }

    /// Loads the manifest `CANOPY_PERSISTED_QUERIES` names, if any.
    pub fn from_config(config: &kernel::Config) -> Result<Self, String> {
        let manifest = match &config.persisted_queries {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            ),
            None => None,
        };
        if config.persisted_queries_only && manifest.is_none() {
            return Err("CANOPY_PERSISTED_QUERIES_ONLY needs CANOPY_PERSISTED_QUERIES".into());
        }
        Self::new(
            config.document_cache,
            manifest.as_deref(),
            config.persisted_queries_only,
        )
    }

    /// Gives `request` its document: the text a persisted query's hash stands for, and the
    /// parsed document when this replica has parsed the same text before. Refuses an unknown
    /// hash (`PERSISTED_QUERY_NOT_FOUND`; `PERSISTED_QUERY_NOT_SUPPORTED` when automatic ones are
    /// off, so that clients stop sending hashes), a text whose hash is not the one sent, and,
    /// with only the manifest allowed, any other document. Nothing is kept here: see
    /// [`Self::remember`].
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<Resolved, Refusal> {
        let mut register = None;
        if let Some(hash) = persisted_hash(request)? {
            if request.query.is_empty() {
                let Some(text) = self.known(&hash) else {
                    return Err(if self.automatic.is_none() && !self.only_manifest {
                        not_supported()
                    } else {
                        not_found()
                    });
                };
                request.query = text.to_string();
            } else if <Hash>::from(Sha256::digest(request.query.as_bytes())) != hash {
                return Err(bad(
                    "the query's SHA-256 is not extensions.persistedQuery.sha256Hash",
                    true,
                ));
            } else if !self.only_manifest && !self.manifest.contains_key(&hash) {
                register = Some(hash);
            }
        }
        if self.only_manifest {
            let hash: Hash = Sha256::digest(request.query.as_bytes()).into();
            if !self.manifest.contains_key(&hash) {
                return Err(json_refusal(
                    "this server runs only its persisted queries: send one's extensions.persistedQuery.sha256Hash",
                    "PERSISTED_QUERY_NOT_ALLOWED",
                    true,
                ));
            }
        }
        let cached = self
            .parsed
            .as_ref()
            .and_then(|cache| lock(cache).get(request.query.as_str()));
        if let Some(kept) = &cached {
            request.set_parsed_query(kept.doc.clone());
        }
        let parsed_before = cached;
        Ok(Resolved {
            parsed_before,
            register,
        })
    }

    /// Keeps what a request brought, once its caller is authenticated (an anonymous flood
    /// cannot evict anyone's entries): its text under the persisted query hash it registered,
    /// and its parsed document, unless it came parsed or holds more than
    /// [`MAX_KEPT_DEFINITIONS`] operations and fragments (a short text of many definitions
    /// parses to many times its size).
    pub fn remember(&self, request: &mut async_graphql::Request, resolved: &Resolved) {
        if let (Some(hash), Some(cache)) = (resolved.register, &self.automatic) {
            let text: Arc<str> = Arc::from(request.query.as_str());
            lock(cache).put(hash, text, request.query.len());
        }
        let Some(cache) = &self.parsed else {
            return;
        };
        if resolved.parsed_before.is_some() || request.query.len() > MAX_KEPT_BYTES {
            return;
        }
        let query = std::mem::take(&mut request.query);
        if let Ok(doc) = request.parsed_query()
            && definitions(doc) <= MAX_KEPT_DEFINITIONS
        {
            let kept = Kept {
                doc: doc.clone(),
                valid: OnceLock::new(),
            };
            lock(cache).put(Arc::from(query.as_str()), Arc::new(kept), query.len());
        }
        request.query = query;
    }

    fn known(&self, hash: &Hash) -> Option<Arc<str>> {
        if let Some(text) = self.manifest.get(hash) {
            return Some(text.clone());
        }
        if self.only_manifest {
            return None;
        }
        self.automatic
            .as_ref()
            .and_then(|cache| lock(cache).get(hash))
    }
}

/// A poisoned cache is still a cache: its entries are whole values.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The hash of `extensions.persistedQuery`, if the request sends one.
fn persisted_hash(request: &async_graphql::Request) -> Result<Option<Hash>, Refusal> {
    let Some(pq) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let pq = pq
        .clone()
        .into_json()
        .map_err(|_| bad("extensions.persistedQuery is not valid", true))?;
    if pq.get("version").and_then(Value::as_i64) != Some(1) {
        return Err(bad(
            "extensions.persistedQuery.version must be 1 (the only version there is)",
            true,
        ));
    }
    pq.get("sha256Hash")
        .and_then(Value::as_str)
        .and_then(parse_hash)
        .map(Some)
        .ok_or_else(|| {
            bad(
                "extensions.persistedQuery.sha256Hash must be a SHA-256 in 64 hexadecimal digits",
                true,
            )
        })
}

fn parse_hash(hex: &str) -> Option<Hash> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The operations of an Apollo persisted query manifest, by the SHA-256 of their text (which
/// must be their `id`).
fn read_manifest(text: &str) -> Result<HashMap<Hash, Arc<str>>, String> {
    let manifest: Value =
        serde_json::from_str(text).map_err(|e| format!("the persisted query manifest: {e}"))?;
    if manifest.get("format").and_then(Value::as_str) != Some("apollo-persisted-query-manifest") {
        return Err(
            "the persisted query manifest: `format` must be apollo-persisted-query-manifest".into(),
        );
    }
    let operations = manifest
        .get("operations")
        .and_then(Value::as_array)
        .ok_or("the persisted query manifest has no `operations`")?;
    let mut known = HashMap::new();
    for (i, op) in operations.iter().enumerate() {
        let body = op
            .get("body")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the persisted query manifest: operation {i} has no `body`"))?;
        let hash: Hash = Sha256::digest(body.as_bytes()).into();
        let id = op.get("id").and_then(Value::as_str).and_then(parse_hash);
        if id != Some(hash) {
            return Err(format!(
                "the persisted query manifest: operation {i}'s `id` is not the SHA-256 of its body"
            ));
        }
        known.insert(hash, Arc::from(body));
    }
    Ok(known)
}

fn not_supported() -> Refusal {
    // Apollo Client stops sending hashes on this message or code.
    json_refusal(
        "PersistedQueryNotSupported",
        "PERSISTED_QUERY_NOT_SUPPORTED",
        false,
    )
}

fn not_found() -> Refusal {
    // Apollo Client retries with the text on this message or code.
    json_refusal("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", false)
}

fn bad(message: &str, always_400: bool) -> Refusal {
    json_refusal(message, "BAD_USER_INPUT", always_400)
}

fn json_refusal(message: &str, code: &str, always_400: bool) -> Refusal {
    Refusal {
        error: json!({ "message": message, "extensions": { "code": code } }),
        always_400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(h: &[u8]) -> String {
        h.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_manifest_entry_must_be_named_by_its_hash() {
        let body = "{ __typename }";
        let id = hex(&Sha256::digest(body.as_bytes()));
        let ok = json!({ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id": id, "name": "T", "type": "query", "body": body }] });
        assert_eq!(read_manifest(&ok.to_string()).expect("valid").len(), 1);
        let wrong = json!({ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id": "00".repeat(32), "body": body }] });
        assert!(read_manifest(&wrong.to_string()).is_err());
        assert!(read_manifest("{}").is_err());
    }

    #[test]
    fn the_caches_hold_at_most_their_bytes_and_no_long_text() {
        let mut cache = Bounded::<u32, u32>::new(1000)
            .expect("a cache")
            .into_inner()
            .expect("lock");
        cache.put(0, 0, MAX_KEPT_BYTES + 1);
        assert_eq!(cache.get(&0), None, "a text over the limit is not kept");
        let n = CACHE_BYTES / MAX_KEPT_BYTES;
        for i in 0..=n as u32 {
            cache.put(i, i, MAX_KEPT_BYTES);
        }
        assert!(cache.bytes <= CACHE_BYTES);
        assert_eq!(cache.get(&0), None, "the least recently used went first");
        assert_eq!(cache.get(&(n as u32)), Some(n as u32));
        // Replacing an entry counts its bytes once.
        cache.put(n as u32, 7, 10);
        assert_eq!(cache.bytes, (n - 1) * MAX_KEPT_BYTES + 10);
        // Past its entries, the oldest goes and its bytes with it.
        let mut small = Bounded::<u32, u32>::new(2)
            .expect("a cache")
            .into_inner()
            .expect("lock");
        for i in 0..3 {
            small.put(i, i, 100);
        }
        assert_eq!((small.bytes, small.get(&0)), (200, None));
    }

    #[test]
    fn hashes_are_64_hex_digits() {
        assert_eq!(parse_hash(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(parse_hash(&"ab".repeat(31)), None);
        assert_eq!(parse_hash(&"zz".repeat(32)), None);
        assert_eq!(parse_hash(&"é".repeat(32)), None);
    }
}
