//! PostgreSQL only: row-level security on the tables whose `agency_id` may be null — tenant
//! data that also has platform- or reseller-level rows — with a predicate that fits each
//! table's reach. Before this, `canopy_app` with no tenant set read every agency's events,
//! notifications, memberships, invitations, API keys, ledger entries and outgoing mail.
//!
//! The settings a predicate may name (transaction-local unless said otherwise):
//! - `app.agency_id` — the tenant (`T`); `app.cross_tenant` — the platform's staff (`X`);
//!   `app.reseller_ids` — resellers' staff, for their resellers and the agencies they sold
//!   (`R`), as in `m20261122_000005_row_level_security`;
//! - `app.user_id` — the signed-in user, set at the edge (`kernel::db::Opening::User`);
//! - `app.member_of` — a user whose memberships are being read (`Opening::MemberOf`);
//! - `app.api_key_prefix`, `app.invitation_token` — one key or one invitation, looked up by
//!   its public prefix or its code's hash before anyone is known;
//! - `app.job_runner` (session-wide, the job runner's own pool) and `app.live_bus`
//!   (session-wide, the live bus follower's own pool): the two readers across tenants.
//!
//! | table | read | write |
//! |---|---|---|
//! | `events` | T, runner, bus | insert: T, X, R's agencies, or no agency; update: T; delete: T, runner (no-agency rows) |
//! | `notifications` | the recipient (`app.user_id`), bus, runner (the purge) | insert: T, no agency, to `app.member_of`, runner; update: the recipient; delete: the recipient, runner |
//! | `memberships` | user, member_of, T, X, R (agencies and reseller scopes), runner | T, X, R, runner, or the acceptance of an invitation to that scope (`app.invitation_token`); delete: also the user's own |
//! | `invitations` | T, X, R, its code, runner | the same |
//! | `api_keys` | its prefix, T, X, R, runner | the same |
//! | `reseller_credit_entries` | its reseller in R, X, T, runner | its reseller in R, X, runner |
//! | `email_outbox` | T, runner | insert: also X, R's agencies, no agency |

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tenant (`app.agency_id`).
pub const T: &str = "agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::uuid)";
const X: &str = "(SELECT current_setting('app.cross_tenant', true)) = 'on'";
const RESELLERS: &str =
    "(SELECT string_to_array(NULLIF(current_setting('app.reseller_ids', true), ''), ','))::uuid[]";
const RUNNER: &str = "(SELECT current_setting('app.job_runner', true)) = 'on'";
const BUS: &str = "(SELECT current_setting('app.live_bus', true)) = 'on'";
const USER: &str = "user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid)";
const MEMBER_OF: &str =
    "user_id = (SELECT NULLIF(current_setting('app.member_of', true), '')::uuid)";

/// The agencies of the request's resellers (`R`, agency rows).
fn reseller_agencies() -> String {
    format!("agency_id IN (SELECT a.id FROM agencies a WHERE a.reseller_id = ANY ({RESELLERS}))")
}

/// A reseller-scope row of one of the request's resellers (`R`, reseller rows).
fn reseller_scope() -> String {
    format!("(scope_kind = 'reseller' AND scope_id = ANY ({RESELLERS}))")
}

fn any(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| format!("({p})"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// ENABLE + FORCE, a permissive base, and one restrictive policy per command.
pub fn secure(table: &str, read: &str, insert: &str, update: &str, delete: &str) -> String {
    format!(
        r#"
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_base ON {table} AS PERMISSIVE FOR ALL USING (true) WITH CHECK (true);
CREATE POLICY {table}_read ON {table} AS RESTRICTIVE FOR SELECT USING ({read});
CREATE POLICY {table}_insert ON {table} AS RESTRICTIVE FOR INSERT WITH CHECK ({insert});
CREATE POLICY {table}_update ON {table} AS RESTRICTIVE FOR UPDATE USING ({update}) WITH CHECK ({update});
CREATE POLICY {table}_delete ON {table} AS RESTRICTIVE FOR DELETE USING ({delete});
"#
    )
}

/// The tables this migration secures.
pub const TABLES: [&str; 7] = [
    "events",
    "notifications",
    "memberships",
    "invitations",
    "api_keys",
    "reseller_credit_entries",
    "email_outbox",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let (ra, rs) = (reseller_agencies(), reseller_scope());
        let no_agency = "agency_id IS NULL";
        let events = secure(
            "events",
            &any(&[T, RUNNER, BUS]),
            &any(&[no_agency, T, X, &ra]),
            T,
            &any(&[T, &format!("{no_agency} AND {RUNNER}")]),
        );
        let notifications = secure(
            "notifications",
            &any(&[USER, BUS, RUNNER]),
            &any(&[no_agency, T, MEMBER_OF, RUNNER]),
            USER,
            &any(&[T, USER, RUNNER]),
        );
        let tree = |own: &str| any(&[own, T, X, &ra, &rs, RUNNER]);
        // A user reads their own memberships (and, opened, another's) in every scope, but
        // writes one only in a scope the transaction is in, or as the one accepting an
        // invitation to that very scope.
        let memberships_read = tree(&any(&[USER, MEMBER_OF]));
        let accepting = "EXISTS (SELECT 1 FROM invitations i \
            WHERE i.token_hash = (SELECT NULLIF(current_setting('app.invitation_token', true), '')) \
              AND i.scope_kind = memberships.scope_kind AND i.scope_id = memberships.scope_id)";
        let memberships_write = tree(accepting);
        let invitations =
            tree("token_hash = (SELECT NULLIF(current_setting('app.invitation_token', true), ''))");
        let api_keys =
            tree("prefix = (SELECT NULLIF(current_setting('app.api_key_prefix', true), ''))");
        // An agency reads the ledger entries about it; only its reseller's staff, the
        // platform and the runner write them.
        let credits_write = any(&[&format!("reseller_id = ANY ({RESELLERS})"), X, RUNNER]);
        let credits_read = any(&[&credits_write, T]);
        let outbox = any(&[T, RUNNER]);
        let sql = [
            events,
            notifications,
            secure(
                "memberships",
                &memberships_read,
                &memberships_write,
                &memberships_write,
                &any(&[&memberships_write, USER]),
            ),
            secure(
                "invitations",
                &invitations,
                &invitations,
                &invitations,
                &invitations,
            ),
            secure("api_keys", &api_keys, &api_keys, &api_keys, &api_keys),
            secure(
                "reseller_credit_entries",
                &credits_read,
                &credits_write,
                &credits_write,
                &credits_write,
            ),
            secure(
                "email_outbox",
                &outbox,
                &any(&[no_agency, T, X, &ra, RUNNER]),
                &outbox,
                &outbox,
            ),
        ]
        .concat();
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let mut sql = String::new();
        for t in TABLES {
            for p in ["base", "read", "insert", "update", "delete"] {
                sql.push_str(&format!("DROP POLICY IF EXISTS {t}_{p} ON {t};"));
            }
            sql.push_str(&format!(
                "ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY; ALTER TABLE {t} DISABLE ROW LEVEL SECURITY;"
            ));
        }
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }
}
