//! Files, folders and their uses as GraphQL objects.

use crate::Library;
use crate::entity::{file, folder, usage};
use crate::loader::UsesLoader;
use crate::service::usage::OwnerKind;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kernel::id::{NodeKind, gid};
use std::sync::Arc;

/// A file of a sub-account's media library. Its type was sniffed from its bytes when it was
/// uploaded; it is served to anyone who has its `url`.
#[derive(Clone)]
pub struct MediaFile(pub file::Model);

/// A file of a sub-account's media library. Its type was sniffed from its bytes when it was
/// uploaded; it is served to anyone who has its `url`.
#[Object]
impl MediaFile {
    /// The file's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::MediaFile, self.0.id)
    }
    /// Its name (for people; renaming it keeps its `url`).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Its media type, from its bytes (`image/png`).
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// Its size in bytes.
    async fn byte_size(&self) -> i64 {
        self.0.byte_size
    }
    /// The SHA-256 of its bytes (lower-case hex): a sub-account holds each content once.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// An image's width in pixels (null for other files).
    async fn width(&self) -> Option<i32> {
        self.0.width
    }
    /// An image's height in pixels (null for other files).
    async fn height(&self) -> Option<i32> {
        self.0.height
    }
    /// Where anyone can fetch it, without signing in: `/media/<token>/<name>` on the API's
    /// origin (and on its sub-account's funnel hosts), or under the configured public media
    /// URL. Use it in its sub-account's pages (an image block's `src`); a published page that
    /// names it keeps it from being deleted.
    async fn url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let lib = ctx.data::<Arc<Library>>()?;
        Ok(lib.url(&self.0.token, &self.0.name))
    }
    /// An image's thumbnail (a JPEG at most 320×320), served like `url`: null for other
    /// files, and until it is made (within seconds of the upload).
    async fn thumbnail_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        if !self.0.has_thumbnail {
            return Ok(None);
        }
        let lib = ctx.data::<Arc<Library>>()?;
        Ok(Some(format!(
            "{}?thumbnail",
            lib.url(&self.0.token, &self.0.name)
        )))
    }
    /// The folder it is in (null: at the top of the library).
    async fn folder_id(&self) -> Option<ID> {
        self.0.folder_id.map(|f| gid(NodeKind::MediaFolder, f))
    }
    /// The sub-account it belongs to.
    async fn sub_account_id(&self) -> ID {
        gid(NodeKind::SubAccount, self.0.sub_account_id)
    }
    /// What uses it: published pages, funnels' favicons and task attachments. While anything
    /// does, deleting it needs `force`.
    async fn used_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MediaUse>> {
        let rows = kernel::loader::get::<UsesLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.iter().filter_map(MediaUse::of).collect())
    }
    /// When it was uploaded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was last renamed or moved.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

kernel::connection_types!(MediaFileConnection, MediaFileEdge, MediaFile, "media files");

/// A folder of a sub-account's media library.
#[derive(Clone)]
pub struct MediaFolder(pub folder::Model);

/// A folder of a sub-account's media library.
#[Object]
impl MediaFolder {
    /// The folder's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::MediaFolder, self.0.id)
    }
    /// Its name (unique among its siblings).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The folder it is in (null: at the top of the library).
    async fn parent_id(&self) -> Option<ID> {
        self.0.parent_id.map(|f| gid(NodeKind::MediaFolder, f))
    }
    /// The sub-account it belongs to.
    async fn sub_account_id(&self) -> ID {
        gid(NodeKind::SubAccount, self.0.sub_account_id)
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was last renamed or moved.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// What kind of thing uses a media file.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaUseKind {
    /// A funnel or website whose favicon is the file.
    Funnel,
    /// A funnel page whose published version names the file's URL.
    FunnelPage,
    /// A task attachment that references the file.
    TaskAttachment,
}

/// One thing that uses a media file.
#[derive(SimpleObject, Clone)]
pub struct MediaUse {
    /// What it is.
    pub kind: MediaUseKind,
    /// Its global id (a `Funnel`, a `FunnelPage` or a `TaskAttachment`).
    pub owner_id: ID,
}

impl MediaUse {
    fn of(u: &usage::Model) -> Option<Self> {
        Some(match OwnerKind::parse(&u.owner_kind)? {
            OwnerKind::Funnel => MediaUse {
                kind: MediaUseKind::Funnel,
                owner_id: gid(NodeKind::Funnel, u.owner_id),
            },
            OwnerKind::FunnelPage => MediaUse {
                kind: MediaUseKind::FunnelPage,
                owner_id: gid(NodeKind::FunnelPage, u.owner_id),
            },
            OwnerKind::TaskAttachment => MediaUse {
                kind: MediaUseKind::TaskAttachment,
                owner_id: gid(NodeKind::TaskAttachment, u.owner_id),
            },
        })
    }
}

/// A sub-account's media library: what it holds and its limits.
#[derive(SimpleObject, Clone)]
pub struct MediaLibrary {
    /// Bytes its files take.
    pub used_bytes: i64,
    /// Bytes it may hold.
    pub quota_bytes: i64,
    /// The largest file it accepts, in bytes.
    pub max_file_bytes: i64,
    /// The media types it accepts (sniffed from the bytes).
    pub accepted_types: Vec<String>,
}
