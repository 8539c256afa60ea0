//! The email sender: Canopy's outbox (`email_outbox`), delivered as `email.send` jobs over
//! SMTP through lettre, or, with no SMTP configured, written as `.eml` files into a directory.
//!
//! Architecture Invariant: an email is queued in the transaction of the change that causes it
//! ([`queue`]); nothing sends mail directly. The outbox row and its job commit or roll back
//! together.

pub mod entity;
mod queue;
mod send;

pub use entity::OutboxStatus;
pub use queue::{Attachment, Email, SEND, Sender, queue};
pub use send::{MailConfig, Mailer, register};

use kernel::purge::TenantTable;

/// The outbox, as removing a tenant deletes it: an agency's mail goes with it (a sub-account's
/// mail is not told apart in the outbox, and goes with its agency).
pub const TENANT_TABLES: &[TenantTable] = &[TenantTable {
    table: "email_outbox",
    agency: "agency_id = $1",
    sub_account: None,
    reseller: None,
    detach: None,
}];
