//! `ideas`: ideas on a board, with their vote count. A tenant data table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an idea stands.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatus {
    /// Proposed.
    #[sea_orm(string_value = "new")]
    New,
    /// Planned.
    #[sea_orm(string_value = "planned")]
    Planned,
    /// Being worked on.
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    /// Done.
    #[sea_orm(string_value = "done")]
    Done,
    /// Not going ahead.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ideas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub board_id: Uuid,
    pub sub_account_id: Uuid,
    pub title: String,
    pub body: Option<String>,
    pub status: IdeaStatus,
    pub votes: i32,
    pub author_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
