//! The media crate's mutation root.

use super::types::{MediaFile, MediaFolder};
use crate::Library;
use crate::service::file::{self, NewFile};
use crate::service::folder;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Upload};
use kernel::error::{IntoPayload, Payload};
use kernel::id::{GlobalId, NodeKind, gid};
use kernel::payload;
use std::io::Read;
use std::sync::Arc;

payload!(MediaFilePayload, file: MediaFile, "The file.");
payload!(MediaFolderPayload, folder: MediaFolder, "The folder.");
payload!(MediaDeletePayload, deleted_id: ID, "The deleted object's global id.");

/// The result of an upload: the file, and whether it was there already.
#[derive(SimpleObject)]
pub struct MediaFileUploadPayload {
    /// The file (the existing one when `deduplicated`). Null when `userErrors` is not empty.
    pub file: Option<MediaFile>,
    /// Whether the sub-account held these bytes already: the existing file is returned as it
    /// was (its name and folder unchanged), and nothing new is stored.
    pub deduplicated: bool,
    /// Problems with the input that a person can fix; empty on success.
    pub user_errors: Vec<kernel::UserError>,
}

impl Payload for MediaFileUploadPayload {
    type Value = file::Uploaded;
    fn ok(u: file::Uploaded) -> Self {
        Self {
            file: Some(MediaFile(u.file)),
            deduplicated: u.deduplicated,
            user_errors: Vec::new(),
        }
    }
    fn user_errors(errors: Vec<kernel::UserError>) -> Self {
        Self {
            file: None,
            deduplicated: false,
            user_errors: errors,
        }
    }
}

/// Input of `mediaFileUpload`.
#[derive(InputObject)]
pub struct MediaFileUploadInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// The folder to put it in (absent: the top of the library).
    pub folder_id: Option<ID>,
    /// The file, sent as a GraphQL multipart request. Its type is sniffed from its bytes;
    /// a part's `Content-Type` that disagrees is refused.
    pub file: Upload,
    /// Its name (absent: the uploaded file's name).
    pub name: Option<String>,
}

/// Input of `mediaFolderCreate`.
#[derive(InputObject)]
pub struct MediaFolderCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// The folder to make it in (absent: the top of the library).
    pub parent_id: Option<ID>,
    /// Its name (1 to 255 characters, no slashes, unique among its siblings).
    pub name: String,
}

fn id_of(id: &ID, kind: NodeKind) -> Result<uuid::Uuid, kernel::Error> {
    GlobalId::parse_as(id, kind)
}

fn opt_id(id: Option<&ID>, kind: NodeKind) -> Result<Option<uuid::Uuid>, kernel::Error> {
    id.map(|i| GlobalId::parse_as(i, kind)).transpose()
}

/// Media library mutations.
#[derive(Default)]
pub struct MediaMutation;

#[Object]
impl MediaMutation {
    /// Uploads a file into a sub-account's media library (`MEDIA_WRITE`), sent as a GraphQL
    /// multipart request with the header `GraphQL-Require-Preflight: 1`. The type is sniffed
    /// from the bytes (PNG, JPEG, GIF, WebP, AVIF and ICO images, PDF, MP4, WebM, MP3); an
    /// empty, oversized or unaccepted file, a declared type the bytes contradict, or one past
    /// the library's quota answers in `userErrors` (`INVALID`, `TOO_LARGE`,
    /// `UNSUPPORTED_TYPE`). Bytes the sub-account holds already return the existing file.
    async fn media_file_upload(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file and where it goes.")] input: MediaFileUploadInput,
    ) -> async_graphql::Result<MediaFileUploadPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let lib = ctx.data::<Arc<Library>>()?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        let folder = opt_id(input.folder_id.as_ref(), NodeKind::MediaFolder)?;
        let upload = input.file.value(ctx)?;
        let file = upload
            .content
            .try_clone()
            .map_err(|e| kernel::Error::internal(format!("reading the upload: {e}")))?;
        // One byte more than allowed tells an oversized file apart.
        let limit = lib.max_bytes.saturating_add(1);
        let data = tokio::task::spawn_blocking(move || {
            let mut data = Vec::new();
            file.take(limit).read_to_end(&mut data).map(|_| data)
        })
        .await
        .map_err(|e| kernel::Error::internal(format!("reading the upload: {e}")))?
        .map_err(|e| kernel::Error::internal(format!("reading the upload: {e}")))?;
        let new = NewFile {
            name: input.name.unwrap_or(upload.filename),
            declared_type: upload.content_type,
            bytes: data.into(),
        };
        // A thumbnail due wakes the job workers after the commit (`jobs::enqueue`).
        file::upload(&**tx, &rc.actor, lib, sub, folder, new)
            .await
            .into_payload()
    }

    /// Renames a file (`MEDIA_WRITE`); its URL keeps working.
    async fn media_file_rename(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file's global id.")] id: ID,
        #[graphql(desc = "The new name (1 to 255 characters, no slashes).")] name: String,
    ) -> async_graphql::Result<MediaFilePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        file::rename(&**tx, &rc.actor, id_of(&id, NodeKind::MediaFile)?, &name)
            .await
            .map(MediaFile)
            .into_payload()
    }

    /// Moves a file into a folder of its sub-account, or to the top (`MEDIA_WRITE`).
    async fn media_file_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file's global id.")] id: ID,
        #[graphql(
            desc = "The folder to move it into, of the same sub-account (absent or null: \
                          the top)."
        )]
        folder_id: Option<ID>,
    ) -> async_graphql::Result<MediaFilePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let to = opt_id(folder_id.as_ref(), NodeKind::MediaFolder)?;
        file::relocate(&**tx, &rc.actor, id_of(&id, NodeKind::MediaFile)?, to)
            .await
            .map(MediaFile)
            .into_payload()
    }

    /// Deletes a file (`MEDIA_WRITE`). While a published page or a task attachment uses it,
    /// it is refused with `IN_USE` unless `force`. Its URL stops working at once; its bytes
    /// are removed in the background once no file of the agency has them.
    async fn media_file_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file's global id.")] id: ID,
        #[graphql(
            desc = "Delete it even while published pages or task attachments use it \
                          (they then show a missing file). Default: false, and a used file is \
                          refused with `IN_USE`."
        )]
        force: Option<bool>,
    ) -> async_graphql::Result<MediaDeletePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::MediaFile)?;
        file::delete(&**tx, &rc.actor, id, force.unwrap_or(false))
            .await
            .map(|f| gid(NodeKind::MediaFile, f.id))
            .into_payload()
    }

    /// Makes a folder in a sub-account's media library (`MEDIA_WRITE`; at most 1,000 folders,
    /// 10 deep).
    async fn media_folder_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where the folder goes and its name.")] input: MediaFolderCreateInput,
    ) -> async_graphql::Result<MediaFolderPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        let parent = opt_id(input.parent_id.as_ref(), NodeKind::MediaFolder)?;
        folder::create(&**tx, &rc.actor, sub, parent, &input.name)
            .await
            .map(MediaFolder)
            .into_payload()
    }

    /// Renames a folder (`MEDIA_WRITE`).
    async fn media_folder_rename(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The folder's global id.")] id: ID,
        #[graphql(
            desc = "The new name (1 to 255 characters, no slashes, unique among its \
                          siblings)."
        )]
        name: String,
    ) -> async_graphql::Result<MediaFolderPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        folder::rename(&**tx, &rc.actor, id_of(&id, NodeKind::MediaFolder)?, &name)
            .await
            .map(MediaFolder)
            .into_payload()
    }

    /// Moves a folder, with what it holds, into another folder of its sub-account or to the
    /// top (`MEDIA_WRITE`). Moving it into itself or one of its own folders is `NOT_ALLOWED`.
    async fn media_folder_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The folder's global id.")] id: ID,
        #[graphql(
            desc = "The folder to move it into, of the same sub-account (absent or null: \
                          the top). Never itself or one of its own folders."
        )]
        parent_id: Option<ID>,
    ) -> async_graphql::Result<MediaFolderPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let to = opt_id(parent_id.as_ref(), NodeKind::MediaFolder)?;
        folder::relocate(&**tx, &rc.actor, id_of(&id, NodeKind::MediaFolder)?, to)
            .await
            .map(MediaFolder)
            .into_payload()
    }

    /// Deletes an empty folder (`MEDIA_WRITE`); one that holds files or folders is `IN_USE`.
    async fn media_folder_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The folder's global id.")] id: ID,
    ) -> async_graphql::Result<MediaDeletePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        folder::delete(&**tx, &rc.actor, id_of(&id, NodeKind::MediaFolder)?)
            .await
            .map(|f| gid(NodeKind::MediaFolder, f.id))
            .into_payload()
    }
}
