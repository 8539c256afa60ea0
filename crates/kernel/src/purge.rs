//! What removing a tenant deletes. A tenant (agency, sub-account or reseller) deleted more than
//! 30 days ago is removed with its data by `tenancy::retention`. Each crate lists its tables
//! here, children before parents; the gateway puts the lists in foreign-key order.
//!
//! Architecture Invariant: every table with an `agency_id` column is on some crate's list (the
//! purge test checks the catalog against the lists).

/// One table's part in removing a tenant: SQL conditions over the table's columns that select
/// the tenant's rows. Parameters: `$1` is the agency's id and `$2` the sub-account's (for a
/// sub-account, `$1` always appears before `$2`: SQLite numbers named parameters in order of
/// first appearance); for a reseller, `$1` is the reseller's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantTable {
    /// The table.
    pub table: &'static str,
    /// An agency's rows (`$1`).
    pub agency: &'static str,
    /// A sub-account's rows (`$1` agency, `$2` sub-account); `None` when it holds none.
    pub sub_account: Option<&'static str>,
    /// A reseller's own rows (`$1`); `None` when it holds none.
    pub reseller: Option<&'static str>,
    /// Keep an agency's or sub-account's rows and clear this column instead (`None`: delete
    /// them): for records kept for someone else, such as a reseller's ledger.
    pub detach: Option<&'static str>,
}

impl TenantTable {
    /// A table with `agency_id` and `sub_account_id` columns.
    pub const fn data(table: &'static str) -> Self {
        Self {
            table,
            agency: "agency_id = $1",
            sub_account: Some("agency_id = $1 AND sub_account_id = $2"),
            reseller: None,
            detach: None,
        }
    }

    /// A child table: an agency's rows by `agency_id`, a sub-account's by `sub_account`.
    pub const fn child(table: &'static str, sub_account: &'static str) -> Self {
        Self {
            table,
            agency: "agency_id = $1",
            sub_account: Some(sub_account),
            reseller: None,
            detach: None,
        }
    }

    /// A table of scoped rows (`scope_kind`, `scope_id`, and `agency_id` inside an agency):
    /// memberships, invitations, API keys, sidebar entries.
    pub const fn scoped(table: &'static str) -> Self {
        Self {
            table,
            agency: "agency_id = $1",
            sub_account: Some("agency_id = $1 AND scope_kind = 'sub_account' AND scope_id = $2"),
            reseller: Some("scope_kind = 'reseller' AND scope_id = $1"),
            detach: None,
        }
    }
}

/// The kernel's own tenant tables: the event log and the inbox.
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable {
        table: "events",
        agency: "agency_id = $1",
        sub_account: Some("agency_id = $1 AND sub_account_id = $2"),
        reseller: Some("scope_kind = 'reseller' AND scope_id = $1"),
        detach: None,
    },
    TenantTable::data("notifications"),
];
