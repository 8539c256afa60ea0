//! `email_outbox`: every email Canopy sends, queued in the transaction that caused it.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// Where an email stands.
    pub enum OutboxStatus: "String(StringLen::N(12))" {
        /// Waiting to be handed over (or for a retry).
        Queued = "queued",
        /// Handed over to the SMTP server (or written to the mail directory).
        Sent = "sent",
        /// Refused for good by the SMTP server (a 5xx reply).
        Bounced = "bounced",
    }
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agency_id: Option<Uuid>,
    pub to_address: String,
    pub from_name: Option<String>,
    pub from_address: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub status: OutboxStatus,
    pub last_error: Option<String>,
    pub redact: Option<Json>,
    /// `[{filename, content_type, content}]` (`crate::Attachment`).
    pub attachments: Option<Json>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
