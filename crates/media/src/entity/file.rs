//! `media_files`: one file of a sub-account's media library. A tenant data table keyed
//! `(agency_id, id)`; the bytes are in the object store under `<agency_id>/<sha256>`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    /// NULL: at the top of the library.
    pub folder_id: Option<Uuid>,
    pub name: String,
    /// The media type sniffed from the bytes (never the client's claim).
    pub content_type: String,
    pub byte_size: i64,
    /// Lower-case hex SHA-256 of the bytes: the object's key and the dedupe key.
    pub sha256: String,
    /// The random public token of `/media/<token>/<name>`.
    pub token: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Whether its thumbnail (`<sha256>.thumb` in the store, a JPEG) has been made.
    pub has_thumbnail: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
