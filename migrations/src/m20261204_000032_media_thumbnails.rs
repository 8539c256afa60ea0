//! media thumbnails: an image's thumbnail is kept beside its bytes, `<agency_id>/<sha256>.thumb`
//! in the object store; `media_files.has_thumbnail` says it has been made.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MediaFiles {
    Table,
    HasThumbnail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MediaFiles::Table)
                    .add_column(boolean(MediaFiles::HasThumbnail).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MediaFiles::Table)
                    .drop_column(MediaFiles::HasThumbnail)
                    .to_owned(),
            )
            .await
    }
}
