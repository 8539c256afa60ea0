//! `contact_activities`: notes and logged interactions on a contact's timeline.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a timeline entry is.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A note someone wrote.
    #[sea_orm(string_value = "note")]
    Note,
    /// An email.
    #[sea_orm(string_value = "email")]
    Email,
    /// A text message.
    #[sea_orm(string_value = "sms")]
    Sms,
    /// A phone call.
    #[sea_orm(string_value = "call")]
    Call,
    /// A meeting.
    #[sea_orm(string_value = "meeting")]
    Meeting,
}

/// Which way an interaction went.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the contact.
    #[sea_orm(string_value = "inbound")]
    Inbound,
    /// To the contact.
    #[sea_orm(string_value = "outbound")]
    Outbound,
}

/// How far an interaction got.
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum InteractionStatus {
    /// Sent.
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Delivered.
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// Opened.
    #[sea_orm(string_value = "opened")]
    Opened,
    /// A link in it was clicked.
    #[sea_orm(string_value = "clicked")]
    Clicked,
    /// The contact replied.
    #[sea_orm(string_value = "replied")]
    Replied,
    /// It failed.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// The call or meeting took place.
    #[sea_orm(string_value = "completed")]
    Completed,
    /// The call or meeting was missed.
    #[sea_orm(string_value = "missed")]
    Missed,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub contact_id: Uuid,
    pub kind: ActivityKind,
    /// Interactions only.
    pub direction: Option<Direction>,
    pub status: Option<InteractionStatus>,
    pub subject: Option<String>,
    pub body: String,
    pub author_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
