//! `ticket_lane_entries`: each time a ticket entered a lane (on creation and on every move to
//! another lane), for conversion stats. A tenant data table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_lane_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub pipeline_id: Uuid,
    pub lane_id: Uuid,
    pub entered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
