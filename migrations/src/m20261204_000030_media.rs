//! media: a sub-account's media library.
//!
//! - `media_folders`: a tree of folders (`parent_id` NULL at the top).
//! - `media_files`: one row per file. The bytes live in the object store under
//!   `<agency_id>/<sha256>`: content-addressed, so the same bytes are kept once per agency, and a
//!   sub-account holds them at most once (unique `(agency_id, sub_account_id, sha256)`). A file
//!   is served to the public by its random `token` (`/media/<token>/<name>`).
//! - `media_uses`: what uses a file (a funnel page's live version, a task attachment): deleting
//!   a used file is refused unless forced.
//!
//! A task attachment may reference a library file (`task_attachments.media_file_id`, no
//! foreign key: a forced delete leaves the attachment, showing a missing file).
//!
//! All three are tenant data tables keyed `(agency_id, id)`. On PostgreSQL a file is also
//! readable by its token (`app.media_token`, `kernel::db::Opening::MediaToken`), so the public
//! file endpoint finds the tenant before it knows it.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use crate::m20261203_000025_second_wall::{T, secure};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MediaFolders {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    ParentId,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MediaFiles {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    FolderId,
    Name,
    ContentType,
    ByteSize,
    Sha256,
    Token,
    Width,
    Height,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MediaUses {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    FileId,
    OwnerKind,
    OwnerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TaskAttachments {
    Table,
    MediaFileId,
}

#[derive(DeriveIden)]
enum SubAccounts {
    Table,
    AgencyId,
    Id,
}

/// The token the public file endpoint asks for.
const MEDIA_TOKEN: &str = "(SELECT NULLIF(current_setting('app.media_token', true), ''))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MediaFolders::Table)
                    .col(uuid(MediaFolders::AgencyId))
                    .col(uuid(MediaFolders::Id))
                    .col(uuid(MediaFolders::SubAccountId))
                    .col(uuid_null(MediaFolders::ParentId))
                    .col(string_len(MediaFolders::Name, 255))
                    .col(timestamp_with_time_zone(MediaFolders::CreatedAt))
                    .col(timestamp_with_time_zone(MediaFolders::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(MediaFolders::AgencyId)
                            .col(MediaFolders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                MediaFolders::Table,
                                (MediaFolders::AgencyId, MediaFolders::SubAccountId),
                            )
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                MediaFolders::Table,
                                (MediaFolders::AgencyId, MediaFolders::ParentId),
                            )
                            .to(
                                MediaFolders::Table,
                                (MediaFolders::AgencyId, MediaFolders::Id),
                            ),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("media_folders_parent")
                    .table(MediaFolders::Table)
                    .col(MediaFolders::AgencyId)
                    .col(MediaFolders::SubAccountId)
                    .col(MediaFolders::ParentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MediaFiles::Table)
                    .col(uuid(MediaFiles::AgencyId))
                    .col(uuid(MediaFiles::Id))
                    .col(uuid(MediaFiles::SubAccountId))
                    .col(uuid_null(MediaFiles::FolderId))
                    .col(string_len(MediaFiles::Name, 255))
                    .col(string_len(MediaFiles::ContentType, 100))
                    .col(big_integer(MediaFiles::ByteSize))
                    .col(string_len(MediaFiles::Sha256, 64))
                    .col(string_len(MediaFiles::Token, 43))
                    .col(integer_null(MediaFiles::Width))
                    .col(integer_null(MediaFiles::Height))
                    .col(timestamp_with_time_zone(MediaFiles::CreatedAt))
                    .col(timestamp_with_time_zone(MediaFiles::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(MediaFiles::AgencyId)
                            .col(MediaFiles::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                MediaFiles::Table,
                                (MediaFiles::AgencyId, MediaFiles::SubAccountId),
                            )
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                MediaFiles::Table,
                                (MediaFiles::AgencyId, MediaFiles::FolderId),
                            )
                            .to(
                                MediaFolders::Table,
                                (MediaFolders::AgencyId, MediaFolders::Id),
                            ),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "media_files_folder",
                vec![
                    MediaFiles::AgencyId,
                    MediaFiles::SubAccountId,
                    MediaFiles::FolderId,
                ],
                false,
            ),
            (
                "media_files_content",
                vec![
                    MediaFiles::AgencyId,
                    MediaFiles::SubAccountId,
                    MediaFiles::Sha256,
                ],
                true,
            ),
            (
                "media_files_blob",
                vec![MediaFiles::AgencyId, MediaFiles::Sha256],
                false,
            ),
            ("media_files_token", vec![MediaFiles::Token], true),
        ] {
            let mut index = Index::create();
            index.name(name).table(MediaFiles::Table);
            for c in cols {
                index.col(c);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(MediaUses::Table)
                    .col(uuid(MediaUses::AgencyId))
                    .col(uuid(MediaUses::Id))
                    .col(uuid(MediaUses::SubAccountId))
                    .col(uuid(MediaUses::FileId))
                    .col(string_len(MediaUses::OwnerKind, 30))
                    .col(uuid(MediaUses::OwnerId))
                    .col(timestamp_with_time_zone(MediaUses::CreatedAt))
                    .primary_key(Index::create().col(MediaUses::AgencyId).col(MediaUses::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MediaUses::Table, (MediaUses::AgencyId, MediaUses::FileId))
                            .to(MediaFiles::Table, (MediaFiles::AgencyId, MediaFiles::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("media_uses_owner")
                    .table(MediaUses::Table)
                    .col(MediaUses::AgencyId)
                    .col(MediaUses::OwnerKind)
                    .col(MediaUses::OwnerId)
                    .col(MediaUses::FileId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("media_uses_file")
                    .table(MediaUses::Table)
                    .col(MediaUses::AgencyId)
                    .col(MediaUses::FileId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(TaskAttachments::Table)
                    .add_column(uuid_null(TaskAttachments::MediaFileId))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            let read = format!("({T}) OR (token = {MEDIA_TOKEN})");
            db.execute_unprepared(&secure("media_files", &read, T, T, T))
                .await?;
            for table in ["media_folders", "media_uses"] {
                db.execute_unprepared(&tenant_table(table, Reach::Data))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TaskAttachments::Table)
                    .drop_column(TaskAttachments::MediaFileId)
                    .to_owned(),
            )
            .await?;
        for t in [
            MediaUses::Table.into_iden(),
            MediaFiles::Table.into_iden(),
            MediaFolders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
