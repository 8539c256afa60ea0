//! Where the bytes live: an `object_store` (a local directory by default, an S3-compatible
//! bucket by configuration), keyed `<agency_id>/<sha256>`. Content-addressed, so writing the
//! same bytes twice is harmless and an agency keeps each content once.
//!
//! Architecture Invariant: the database decides which files exist; the store only holds bytes.
//! A blob is deleted only by the sweep job (`crate::work`), under the same lock an upload of
//! the same bytes takes, and only when no file row of its agency names it any more.

use bytes::Bytes;
use futures_util::stream::BoxStream;
use kernel::error::Error;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;
use uuid::Uuid;

/// The media library's deployment: its store and its limits.
pub struct Library {
    store: Arc<dyn ObjectStore>,
    describe: String,
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
    /// How many bytes one sub-account may hold.
    pub quota_bytes: u64,
    /// The public base URL of `/media/` (no trailing slash), if files are served through
    /// another origin (a CDN).
    pub public_url: Option<String>,
}

/// Where an S3-compatible bucket is (`None`: from the `AWS_*` variables).
#[derive(Debug, Clone, Default)]
pub struct S3 {
    /// The bucket.
    pub bucket: String,
    /// The endpoint (`http://` allowed).
    pub endpoint: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<String>,
}

/// A blob as read from the store.
pub struct Blob {
    /// Its length in bytes.
    pub size: u64,
    /// Its bytes, as they arrive.
    pub stream: BoxStream<'static, Result<Bytes, object_store::Error>>,
}

/// An object of an agency: a file's bytes (`<sha256>`) or its thumbnail (`<sha256>.thumb`).
fn key(agency_id: Uuid, object: &str) -> Path {
    Path::from(format!("{agency_id}/{object}"))
}

/// The name of a content's thumbnail object.
pub fn thumbnail_object(sha256: &str) -> String {
    format!("{sha256}.thumb")
}

fn failed(what: &str, e: object_store::Error) -> Error {
    tracing::error!(error = %e, "media store: {what} failed");
    Error::internal(format!("the media store could not {what}"))
}

impl Library {
    /// A library in a local directory (created if missing).
    pub fn local(
        dir: &std::path::Path,
        max_bytes: u64,
        quota_bytes: u64,
        public_url: Option<String>,
    ) -> Result<Self, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the media directory {}: {e}", dir.display()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| format!("cannot open the media directory {}: {e}", dir.display()))?;
        Ok(Self::with(
            Arc::new(store),
            format!("the directory {}", dir.display()),
            max_bytes,
            quota_bytes,
            public_url,
        ))
    }

    /// A library in an S3-compatible bucket: what `s3` leaves unset comes from the standard
    /// `AWS_*` variables.
    pub fn s3(
        s3: &S3,
        max_bytes: u64,
        quota_bytes: u64,
        public_url: Option<String>,
    ) -> Result<Self, String> {
        let bucket = s3.bucket.as_str();
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(e) = &s3.endpoint {
            builder = builder
                .with_endpoint(e)
                .with_allow_http(e.starts_with("http://"));
        }
        if let Some(r) = &s3.region {
            builder = builder.with_region(r);
        }
        if let Some(k) = &s3.access_key_id {
            builder = builder.with_access_key_id(k);
        }
        if let Some(k) = &s3.secret_access_key {
            builder = builder.with_secret_access_key(k);
        }
        let store = builder
            .build()
            .map_err(|e| format!("cannot configure the media bucket {bucket}: {e}"))?;
        Ok(Self::with(
            Arc::new(store),
            format!("the S3 bucket {bucket}"),
            max_bytes,
            quota_bytes,
            public_url,
        ))
    }

    fn with(
        store: Arc<dyn ObjectStore>,
        describe: String,
        max_bytes: u64,
        quota_bytes: u64,
        public_url: Option<String>,
    ) -> Self {
        Self {
            store,
            describe,
            max_bytes,
            quota_bytes,
            public_url: public_url
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty()),
        }
    }

    /// Where files go, for the start-up log.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// Stores an agency's object (idempotent: the name is the content's hash).
    pub async fn put(&self, agency_id: Uuid, object: &str, bytes: Bytes) -> Result<(), Error> {
        self.store
            .put(&key(agency_id, object), PutPayload::from(bytes))
            .await
            .map_err(|e| failed("store a file", e))?;
        Ok(())
    }

    /// An agency's object, or `None` if the store has none of this name.
    pub async fn get(&self, agency_id: Uuid, object: &str) -> Result<Option<Blob>, Error> {
        match self.store.get(&key(agency_id, object)).await {
            Ok(r) => Ok(Some(Blob {
                size: r.meta.size,
                stream: r.into_stream(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(failed("read a file", e)),
        }
    }

    /// Bytes `start..=end` of an agency's object, or `None` if the store has none of this name.
    pub async fn get_range(
        &self,
        agency_id: Uuid,
        object: &str,
        start: u64,
        end: u64,
    ) -> Result<Option<Blob>, Error> {
        let options = object_store::GetOptions::new().with_range(Some(start..end + 1));
        match self.store.get_opts(&key(agency_id, object), options).await {
            Ok(r) => Ok(Some(Blob {
                size: end + 1 - start,
                stream: r.into_stream(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(failed("read part of a file", e)),
        }
    }

    /// The size of an agency's object, or `None` if the store has none of this name.
    pub async fn size(&self, agency_id: Uuid, object: &str) -> Result<Option<u64>, Error> {
        match self.store.head(&key(agency_id, object)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(failed("read a file's size", e)),
        }
    }

    /// Deletes an agency's object (nothing if it is gone already).
    pub async fn delete(&self, agency_id: Uuid, object: &str) -> Result<(), Error> {
        match self.store.delete(&key(agency_id, object)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed("delete a file", e)),
        }
    }

    /// The agencies the store holds bytes of.
    pub async fn agencies(&self) -> Result<Vec<Uuid>, Error> {
        let listed = self
            .store
            .list_with_delimiter(None)
            .await
            .map_err(|e| failed("list its agencies", e))?;
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().and_then(|n| n.parse().ok()))
            .collect())
    }

    /// An agency's objects: each one's name and when it was written.
    pub async fn blobs(
        &self,
        agency_id: Uuid,
    ) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>, Error> {
        let listed = self
            .store
            .list_with_delimiter(Some(&Path::from(agency_id.to_string())))
            .await
            .map_err(|e| failed("list an agency's files", e))?;
        Ok(listed
            .objects
            .into_iter()
            .filter_map(|o| Some((o.location.filename()?.to_owned(), o.last_modified)))
            .collect())
    }

    /// The public URL of a file: `/media/<token>/<name>`, under `public_url` when set.
    pub fn url(&self, token: &str, name: &str) -> String {
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let name = if name.trim_matches(['-', '.']).is_empty() {
            "file".to_owned()
        } else {
            name
        };
        format!(
            "{}/media/{token}/{name}",
            self.public_url.as_deref().unwrap_or("")
        )
    }
}
