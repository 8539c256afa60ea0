//! `tasks`: tasks of a sub-account's workspace (a sub-task has a `parent_id`). A tenant data table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How urgent a task is.
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
pub enum TaskPriority {
    /// Low.
    #[sea_orm(string_value = "low")]
    Low,
    /// Normal.
    #[sea_orm(string_value = "normal")]
    Normal,
    /// High.
    #[sea_orm(string_value = "high")]
    High,
    /// Urgent.
    #[sea_orm(string_value = "urgent")]
    Urgent,
}

/// Where a task stands.
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
pub enum TaskStatus {
    /// Not started.
    #[sea_orm(string_value = "todo")]
    Todo,
    /// Being worked on.
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    /// Completed.
    #[sea_orm(string_value = "done")]
    Done,
    /// Dropped.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub group_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// The task this one repeats (made when that one was completed).
    pub repeat_of_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub due_at: Option<DateTimeUtc>,
    pub priority: TaskPriority,
    pub status: TaskStatus,
    pub repeat_rule: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
    pub rank: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
