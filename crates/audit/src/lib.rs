//! The audit log: one row per top-level mutation by any actor — who, as whom (an API key's
//! owner), in which tenant, the operation, its targets, its result, the client's IP and the
//! request id — written in the mutation's own transaction, readable by a scope's admins
//! (`AUDIT_READ`) and removed after `CANOPY_AUDIT_RETENTION_DAYS`.
//!
//! Architecture Invariant: a mutation that changed anything has its row, committed with it
//! (the gateway's savepoint extension writes it inside the mutation's savepoint, and undoes
//! the mutation if it cannot); a failed mutation has its row too, with its error code.

pub mod entity;
pub mod graphql;
pub mod service;

pub use graphql::AuditQuery;

use kernel::purge::TenantTable;

/// The audit log's table, for removing a tenant.
pub const TENANT_TABLES: &[TenantTable] = &[TenantTable::data("audit_log")];

/// The daily retention run's kind.
pub const RETENTION: &str = "audit.retention";

/// Registers the daily removal of rows older than `retention_days` (0 keeps them forever).
pub fn register(registry: &mut jobs::Registry, retention_days: u64) {
    registry.on(RETENTION, jobs::Backoff::default(), move |run| async move {
        service::expire(&run.db, retention_days)
            .await
            .map(|n| serde_json::json!({ "removed": n }))
            .map_err(|e| jobs::JobError::Retry(e.operator_message()))
    });
    registry.every(jobs::Recurring {
        name: RETENTION,
        cron: "41 3 * * *",
        timezone: "UTC",
        kind: RETENTION,
        payload: serde_json::json!({}),
    });
}
