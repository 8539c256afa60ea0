//! `tasks`: tasks of a sub-account's workspace (a sub-task has a `parent_id`). A tenant data table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// How urgent a task is.
    pub enum TaskPriority: "String(StringLen::N(8))" {
        /// Low.
        Low = "low",
        /// Normal.
        Normal = "normal",
        /// High.
        High = "high",
        /// Urgent.
        Urgent = "urgent",
    }
}

kernel::stored_enum! {
    /// Where a task stands.
    pub enum TaskStatus: "String(StringLen::N(12))" {
        /// Not started.
        Todo = "todo",
        /// Being worked on.
        InProgress = "in_progress",
        /// Completed.
        Done = "done",
        /// Dropped.
        Cancelled = "cancelled",
    }
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
