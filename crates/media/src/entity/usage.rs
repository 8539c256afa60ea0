//! `media_uses`: what uses a file (a funnel page's live version, a task attachment). A tenant
//! data table keyed `(agency_id, id)`, unique per `(owner_kind, owner_id, file_id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_uses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owner's sub-account.
    pub sub_account_id: Uuid,
    pub file_id: Uuid,
    /// `funnel_page` or `task_attachment` (`crate::service::usage::OwnerKind`).
    pub owner_kind: String,
    pub owner_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
