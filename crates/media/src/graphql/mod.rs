//! The media crate's GraphQL: files and folders of a sub-account's library, and the mutations
//! that upload, rename, move and delete them.

mod mutation;
mod types;

pub use mutation::MediaMutation;
pub use types::{MediaFile, MediaFolder, MediaUse, MediaUseKind};

use crate::Library;
use crate::service::{file, folder};
use async_graphql::{Context, ID, Object};
use kernel::connection::{Page, wants_total_count};
use kernel::id::{GlobalId, NodeKind};
use std::sync::Arc;
use types::{MediaFileConnection, MediaLibrary};

/// Media library queries.
#[derive(Default)]
pub struct MediaQuery;

#[Object]
impl MediaQuery {
    /// The files of a sub-account's media library (of the agency you act in), newest first:
    /// those at the top, those of one folder, or all of them. Needs `MEDIA_READ` there.
    #[allow(clippy::too_many_arguments)]
    async fn media_files(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Only the files of this folder (absent: those at the top).")]
        folder_id: Option<ID>,
        #[graphql(desc = "Every file, in any folder (`folderId` is then ignored).")]
        any_folder: Option<bool>,
        #[graphql(desc = "Return the first n files (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return files after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n files (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return files before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<MediaFileConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let place = match (any_folder.unwrap_or(false), folder_id) {
            (true, _) => file::Where::Anywhere,
            (false, Some(f)) => file::Where::In(GlobalId::parse_as(&f, NodeKind::MediaFolder)?),
            (false, None) => file::Where::TopLevel,
        };
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            file::list(&**tx, &rc.actor, sub, place, page, wants_total_count(ctx)).await?;
        Ok(MediaFileConnection::build(
            rows.into_iter().map(MediaFile).collect(),
            info,
            total,
            |f| f.0.id,
        ))
    }

    /// The folders directly inside a folder of a sub-account's media library (or at its top),
    /// by name. Needs `MEDIA_READ` there.
    async fn media_folders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "The folder whose folders to list (absent: the top).")] parent_id: Option<
            ID,
        >,
    ) -> async_graphql::Result<Vec<MediaFolder>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let parent = parent_id
            .map(|p| GlobalId::parse_as(&p, NodeKind::MediaFolder))
            .transpose()?;
        Ok(folder::list(&**tx, &rc.actor, sub, parent)
            .await?
            .into_iter()
            .map(MediaFolder)
            .collect())
    }

    /// A sub-account's media library: the bytes it holds, its quota, and what it accepts.
    /// Needs `MEDIA_READ` there.
    async fn media_library(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
    ) -> async_graphql::Result<MediaLibrary> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let lib = ctx.data::<Arc<Library>>()?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let used = file::library_bytes(&**tx, &rc.actor, sub).await?;
        Ok(MediaLibrary {
            used_bytes: used,
            quota_bytes: i64::try_from(lib.quota_bytes).unwrap_or(i64::MAX),
            max_file_bytes: i64::try_from(lib.max_bytes).unwrap_or(i64::MAX),
            accepted_types: crate::sniff::ACCEPTED
                .iter()
                .map(|(m, _)| (*m).to_owned())
                .collect(),
        })
    }
}
