//! `embed_domains`: the hosts a sub-account's public endpoints (a form's submissions, later a
//! booking widget) accept cross-origin calls from (seed 002's `Domain`). A tenant data table
//! keyed `(agency_id, id)`; a host is listed once per sub-account.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "embed_domains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    /// Lower case, without a scheme, a port or a trailing dot.
    pub host: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::sub_account_data!(
    Entity,
    kernel::id::NodeKind::EmbedDomain,
    SettingsManage,
    SettingsManage
);
