//! `sidebar_options`: the dashboard sidebar of an agency or sub-account. A tenant table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sidebar_options")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `agency` or `sub_account`.
    pub scope_kind: String,
    /// The agency's or the sub-account's id.
    pub scope_id: Uuid,
    /// What the entry opens (`contacts`, `pipelines`, ...), unique in its scope.
    pub key: String,
    pub label: String,
    pub icon: String,
    /// Fractional rank key (sorts bytewise).
    pub rank: String,
    pub visible: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
