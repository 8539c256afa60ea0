//! PostgreSQL only: the runtime role and row-level security, the second wall behind the
//! application's checks.
//!
//! - `canopy_app` is the role the server connects as: not a superuser, no `BYPASSRLS`, owns no
//!   table; it may read and write rows, nothing more. (Migrations run as the owner.)
//! - Every tenant table (a NOT NULL `agency_id`) gets `ENABLE` and `FORCE ROW LEVEL SECURITY`, a
//!   permissive base policy, and a `RESTRICTIVE` tenant policy: a row is visible and writable
//!   only when its `agency_id` is the transaction's `app.agency_id`; tree tables also open to
//!   the platform's staff (`app.cross_tenant`) and to resellers' staff for the agencies they
//!   sold (`app.reseller_ids`). Unset means nothing is visible.
//!
//! A later tenant table copies this with [`tenant_table`].

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The runtime role.
pub const APP_ROLE: &str = "canopy_app";

/// Who may see a tenant table's rows beside the request's own tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A tree table (sub-accounts, sidebars): also the platform's staff (`app.cross_tenant`)
    /// and, for the agencies they sold, resellers' staff (`app.reseller_ids`).
    Tree,
    /// A data table (contacts, tickets, ...): the tenant alone. Staff above an agency never
    /// read its data.
    Data,
}

/// The statements that put a tenant table behind row-level security.
pub fn tenant_table(table: &str, reach: Reach) -> String {
    let predicate = tenant_predicate(reach);
    format!(
        r#"
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_base ON {table} AS PERMISSIVE FOR ALL USING (true) WITH CHECK (true);
CREATE POLICY {table}_tenant ON {table} AS RESTRICTIVE FOR ALL
  USING ({predicate})
  WITH CHECK ({predicate});
"#
    )
}

/// Whether a row's `agency_id` is visible under `reach` (the predicate of [`tenant_table`]).
pub fn tenant_predicate(reach: Reach) -> String {
    let tenant = "agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::uuid)";
    match reach {
        Reach::Data => tenant.to_owned(),
        Reach::Tree => format!(
            "{tenant}
         OR (SELECT current_setting('app.cross_tenant', true)) = 'on'
         OR agency_id IN (SELECT a.id FROM agencies a WHERE a.reseller_id = ANY (
              (SELECT string_to_array(NULLIF(current_setting('app.reseller_ids', true), ''), ','))::uuid[]))"
        ),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            r#"
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END $$;
GRANT USAGE ON SCHEMA public TO {APP_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE};
REVOKE ALL ON seaql_migrations FROM {APP_ROLE};
"#
        ))
        .await?;
        db.execute_unprepared(&tenant_table("sub_accounts", Reach::Tree))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "DROP POLICY IF EXISTS sub_accounts_tenant ON sub_accounts;
                 DROP POLICY IF EXISTS sub_accounts_base ON sub_accounts;
                 ALTER TABLE sub_accounts NO FORCE ROW LEVEL SECURITY;
                 ALTER TABLE sub_accounts DISABLE ROW LEVEL SECURITY;",
            )
            .await?;
        Ok(())
    }
}
