//! `tasks`: tasks of a sub-account's workspace (a sub-task has a `parent_id`). A tenant data table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

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
    pub priority: String,
    pub status: String,
    pub repeat_rule: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
    pub rank: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
