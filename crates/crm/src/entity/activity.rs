//! `contact_activities`: notes and logged interactions on a contact's timeline.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub contact_id: Uuid,
    /// `note`, `email`, `sms`, `call` or `meeting`.
    pub kind: String,
    /// `inbound` or `outbound` (interactions only).
    pub direction: Option<String>,
    /// `sent`, `delivered`, `opened`, `clicked`, `replied`, `failed`, `completed` or `missed`.
    pub status: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub author_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
