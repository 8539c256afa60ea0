//! `calendar_exceptions`: a resource's hours on one local date, replacing its weekly hours (no
//! window: closed). A tenant data table keyed `(agency_id, id)`, one row per resource and date.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_exceptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub resource_id: Uuid,
    /// The local date in the resource's zone.
    pub day: Date,
    /// `[{"start": "09:00", "end": "12:00"}, …]`; empty: closed.
    pub windows: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
