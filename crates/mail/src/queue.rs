//! Queueing an email: a row in the outbox and an `email.send` job, both in the caller's
//! transaction.

use crate::entity::{self as outbox, OutboxStatus};
use chrono::Utc;
use jobs::{NewJob, Owner};
use kernel::Error;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// The job kind that delivers an outbox row.
pub const SEND: &str = "email.send";

/// Who an email is from: a brand's white-label sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The display name (`Acme Marketing`).
    pub name: String,
    /// The address (`hello@acme.test`).
    pub address: String,
}

/// An email to send.
#[derive(Debug, Clone)]
pub struct Email {
    /// Whose mail it is (the lane it is sent in).
    pub owner: Owner,
    /// The recipient's address.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The sender, when a brand has its own; `None`: the platform's (`CANOPY_MAIL_FROM`).
    pub from: Option<Sender>,
    /// Secrets in the body (sign-in codes) to blank once the email is handed over.
    pub redact: Vec<String>,
    /// Text files sent with it (an appointment's `.ics`).
    pub attachments: Vec<Attachment>,
}

/// A text file sent with an email.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    /// Its file name (`invite.ics`).
    pub filename: String,
    /// Its MIME type (`text/calendar; method=REQUEST`).
    pub content_type: String,
    /// Its text.
    pub content: String,
}

/// Queues `email` on `db` (the caller's transaction). Returns the outbox row's id.
pub async fn queue(db: &impl ConnectionTrait, email: Email) -> Result<Uuid, Error> {
    let id = kernel::id::new_uuid();
    let (agency_id, _) = email.owner.columns();
    // No `RETURNING`: the outbox is the mail job's to read, not the request's.
    let row = outbox::ActiveModel {
        id: Set(id),
        agency_id: Set((!agency_id.is_nil()).then_some(agency_id)),
        to_address: Set(email.to),
        from_name: Set(email.from.as_ref().map(|s| s.name.clone())),
        from_address: Set(email.from.map(|s| s.address)),
        subject: Set(email.subject),
        body_text: Set(email.body),
        status: Set(OutboxStatus::Queued),
        last_error: Set(None),
        redact: Set((!email.redact.is_empty()).then(|| serde_json::json!(email.redact))),
        attachments: Set(
            (!email.attachments.is_empty()).then(|| serde_json::json!(email.attachments))
        ),
        created_at: Set(Utc::now()),
        sent_at: Set(None),
    };
    outbox::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    jobs::enqueue(
        db,
        NewJob::new(SEND, email.owner, serde_json::json!({ "outbox_id": id }))
            .key(format!("outbox:{id}")),
    )
    .await?;
    Ok(id)
}
