//! Signed outbound webhooks for partners: an agency or sub-account subscribes an HTTPS endpoint to
//! event types; a dispatcher turns the event log into one message per matching endpoint; a
//! `webhook.deliver` job posts it, signed the Standard Webhooks way, retried on Svix's schedule,
//! every attempt logged; an endpoint failing for 5 days is disabled and its owner told.
//!
//! Architecture Invariant: an endpoint sees only what its owner may read. It keeps the
//! permissions its creator had (or the API key that made it) and, at every event, the owner's
//! current permissions in the event's scope; an event whose subject they may not read is not
//! sent to it.
//!
//! Architecture Invariant: no request leaves for a private, loopback or link-local address
//! (checked on the URL and after DNS resolution), unless `CANOPY_WEBHOOK_ALLOW_PRIVATE` is set.

mod deliver;
mod dispatch;
pub mod entity;
pub mod graphql;
pub mod service;
mod ssrf;

pub use deliver::{DELIVER, register};
pub use graphql::{WebhookEndpoint, WebhookMessage, WebhooksMutation, WebhooksQuery};
pub use service::Settings;

use kernel::purge::TenantTable;

/// The webhooks' tables in the order removing a tenant deletes them (children first).
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable::child(
        "webhook_attempts",
        "agency_id = $1 AND message_id IN (SELECT m.id FROM webhook_messages m JOIN webhook_endpoints e ON e.id = m.endpoint_id WHERE m.agency_id = $1 AND e.sub_account_id = $2)",
    ),
    TenantTable::child(
        "webhook_messages",
        "agency_id = $1 AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE agency_id = $1 AND sub_account_id = $2)",
    ),
    TenantTable::data("webhook_endpoints"),
];
