//! `contact_activities`: notes and logged interactions on a contact's timeline.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// What a timeline entry is.
    pub enum ActivityKind: "String(StringLen::N(16))" {
        /// A note someone wrote.
        Note = "note",
        /// An email.
        Email = "email",
        /// A text message.
        Sms = "sms",
        /// A phone call.
        Call = "call",
        /// A meeting.
        Meeting = "meeting",
    }
}

kernel::stored_enum! {
    /// Which way an interaction went.
    pub enum Direction: "String(StringLen::N(16))" {
        /// From the contact.
        Inbound = "inbound",
        /// To the contact.
        Outbound = "outbound",
    }
}

kernel::stored_enum! {
    /// How far an interaction got.
    pub enum InteractionStatus: "String(StringLen::N(16))" {
        /// Sent.
        Sent = "sent",
        /// Delivered.
        Delivered = "delivered",
        /// Opened.
        Opened = "opened",
        /// A link in it was clicked.
        Clicked = "clicked",
        /// The contact replied.
        Replied = "replied",
        /// It failed.
        Failed = "failed",
        /// The call or meeting took place.
        Completed = "completed",
        /// The call or meeting was missed.
        Missed = "missed",
    }
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
