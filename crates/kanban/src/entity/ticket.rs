//! `tickets`: deals on a pipeline, in a lane. A tenant data table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// Where a ticket stands.
    pub enum TicketStatus: "String(StringLen::N(8))" {
        /// In progress.
        Open = "open",
        /// Won.
        Won = "won",
        /// Lost.
        Lost = "lost",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub pipeline_id: Uuid,
    pub lane_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    /// In minor units of the pipeline's currency.
    pub value_minor: Option<i64>,
    pub contact_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub due_at: Option<DateTimeUtc>,
    pub status: TicketStatus,
    pub status_reason: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    /// Fractional rank in its lane (unique there).
    pub rank: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
