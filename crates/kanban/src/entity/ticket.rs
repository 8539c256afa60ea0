//! `tickets`: deals on a pipeline, in a lane. A tenant data table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a ticket stands.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    async_graphql::Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// In progress.
    #[sea_orm(string_value = "open")]
    Open,
    /// Won.
    #[sea_orm(string_value = "won")]
    Won,
    /// Lost.
    #[sea_orm(string_value = "lost")]
    Lost,
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
