//! `ideas`: ideas on a board, with their vote count. A tenant data table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// Where an idea stands.
    pub enum IdeaStatus: "String(StringLen::N(12))" {
        /// Proposed.
        New = "new",
        /// Planned.
        Planned = "planned",
        /// Being worked on.
        InProgress = "in_progress",
        /// Done.
        Done = "done",
        /// Not going ahead.
        Rejected = "rejected",
    }
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
