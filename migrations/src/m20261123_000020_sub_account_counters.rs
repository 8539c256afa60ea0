//! tenancy: `sub_account_counters` — each sub-account's live contacts and open tickets, kept
//! by triggers in the same transaction as the change, so a list of sub-accounts reads its
//! numbers from one row each instead of counting the tables (which grows with the tenant).
//!
//! - A row is created with its sub-account (trigger on `sub_accounts`) and goes with it
//!   (foreign key, `ON DELETE CASCADE`).
//! - `contacts` counts rows with `deleted_at IS NULL`; `open_tickets` rows with
//!   `status = 'open'` (in archived pipelines too). Inserts, deletes (also cascaded ones) and
//!   updates of those columns adjust them; other updates do not touch the row.
//! - Concurrent writers in one sub-account queue on its counter row until they commit.
//! - Bulk loads that skip triggers (seeding with `session_replication_role = replica`) must
//!   recount (`gateway::scale` does).
//! - PostgreSQL: a tree table behind row-level security, like `sub_accounts` (writable where
//!   the sub-account is). Existing data is counted here, with `FORCE` lifted for the owner
//!   for the length of this migration's transaction.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SubAccountCounters {
    Table,
    AgencyId,
    SubAccountId,
    Contacts,
    OpenTickets,
}

#[derive(DeriveIden)]
enum SubAccounts {
    Table,
    AgencyId,
    Id,
}

/// Sets the counter rows of the sub-accounts `filter` selects (a condition on `s`, the
/// `sub_accounts` row; `1 = 1` for all) from a count of their rows: the migration's backfill,
/// and bulk loads that skipped the triggers (`gateway::scale`). The one definition, beside the
/// triggers, of what the counters count. (The `WHERE` is always there: without it SQLite would
/// read the upsert's `ON CONFLICT` as a join constraint.)
pub fn recount_sql(filter: &str) -> String {
    format!(
        "INSERT INTO sub_account_counters (agency_id, sub_account_id, contacts, open_tickets)
SELECT s.agency_id, s.id,
  (SELECT count(*) FROM contacts c
    WHERE c.agency_id = s.agency_id AND c.sub_account_id = s.id AND c.deleted_at IS NULL),
  (SELECT count(*) FROM tickets t
    WHERE t.agency_id = s.agency_id AND t.sub_account_id = s.id AND t.status = 'open')
FROM sub_accounts s WHERE {filter}
ON CONFLICT (agency_id, sub_account_id)
DO UPDATE SET contacts = excluded.contacts, open_tickets = excluded.open_tickets"
    )
}

const PG_TRIGGERS: &str = r#"
CREATE FUNCTION canopy_sub_account_counters_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sub_account_counters (agency_id, sub_account_id) VALUES (NEW.agency_id, NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER sub_accounts_counters AFTER INSERT ON sub_accounts
  FOR EACH ROW EXECUTE FUNCTION canopy_sub_account_counters_row();

CREATE FUNCTION canopy_count_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.deleted_at IS NOT DISTINCT FROM NEW.deleted_at
     AND OLD.sub_account_id = NEW.sub_account_id THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
    UPDATE sub_account_counters SET contacts = contacts - 1
      WHERE agency_id = OLD.agency_id AND sub_account_id = OLD.sub_account_id;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.deleted_at IS NULL THEN
    UPDATE sub_account_counters SET contacts = contacts + 1
      WHERE agency_id = NEW.agency_id AND sub_account_id = NEW.sub_account_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_counters AFTER INSERT OR DELETE OR UPDATE OF deleted_at, sub_account_id
  ON contacts FOR EACH ROW EXECUTE FUNCTION canopy_count_contacts();

CREATE FUNCTION canopy_count_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status = NEW.status
     AND OLD.sub_account_id = NEW.sub_account_id THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' THEN
    UPDATE sub_account_counters SET open_tickets = open_tickets - 1
      WHERE agency_id = OLD.agency_id AND sub_account_id = OLD.sub_account_id;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'open' THEN
    UPDATE sub_account_counters SET open_tickets = open_tickets + 1
      WHERE agency_id = NEW.agency_id AND sub_account_id = NEW.sub_account_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tickets_counters AFTER INSERT OR DELETE OR UPDATE OF status, sub_account_id
  ON tickets FOR EACH ROW EXECUTE FUNCTION canopy_count_tickets();
"#;

const SQLITE_TRIGGERS: [&str; 7] = [
    "CREATE TRIGGER sub_accounts_counters AFTER INSERT ON sub_accounts BEGIN
       INSERT INTO sub_account_counters (agency_id, sub_account_id, contacts, open_tickets)
       VALUES (NEW.agency_id, NEW.id, 0, 0);
     END",
    "CREATE TRIGGER contacts_counters_insert AFTER INSERT ON contacts
     WHEN NEW.deleted_at IS NULL BEGIN
       UPDATE sub_account_counters SET contacts = contacts + 1
       WHERE agency_id = NEW.agency_id AND sub_account_id = NEW.sub_account_id;
     END",
    "CREATE TRIGGER contacts_counters_delete AFTER DELETE ON contacts
     WHEN OLD.deleted_at IS NULL BEGIN
       UPDATE sub_account_counters SET contacts = contacts - 1
       WHERE agency_id = OLD.agency_id AND sub_account_id = OLD.sub_account_id;
     END",
    "CREATE TRIGGER contacts_counters_update AFTER UPDATE OF deleted_at, sub_account_id ON contacts
     WHEN OLD.deleted_at IS NOT NEW.deleted_at OR OLD.sub_account_id IS NOT NEW.sub_account_id
     BEGIN
       UPDATE sub_account_counters SET contacts = contacts - 1
       WHERE OLD.deleted_at IS NULL
         AND agency_id = OLD.agency_id AND sub_account_id = OLD.sub_account_id;
       UPDATE sub_account_counters SET contacts = contacts + 1
       WHERE NEW.deleted_at IS NULL
         AND agency_id = NEW.agency_id AND sub_account_id = NEW.sub_account_id;
     END",
    "CREATE TRIGGER tickets_counters_insert AFTER INSERT ON tickets
     WHEN NEW.status = 'open' BEGIN
       UPDATE sub_account_counters SET open_tickets = open_tickets + 1
       WHERE agency_id = NEW.agency_id AND sub_account_id = NEW.sub_account_id;
     END",
    "CREATE TRIGGER tickets_counters_delete AFTER DELETE ON tickets
     WHEN OLD.status = 'open' BEGIN
       UPDATE sub_account_counters SET open_tickets = open_tickets - 1
       WHERE agency_id = OLD.agency_id AND sub_account_id = OLD.sub_account_id;
     END",
    "CREATE TRIGGER tickets_counters_update AFTER UPDATE OF status, sub_account_id ON tickets
     WHEN OLD.status IS NOT NEW.status OR OLD.sub_account_id IS NOT NEW.sub_account_id
     BEGIN
       UPDATE sub_account_counters SET open_tickets = open_tickets - 1
       WHERE OLD.status = 'open'
         AND agency_id = OLD.agency_id AND sub_account_id = OLD.sub_account_id;
       UPDATE sub_account_counters SET open_tickets = open_tickets + 1
       WHERE NEW.status = 'open'
         AND agency_id = NEW.agency_id AND sub_account_id = NEW.sub_account_id;
     END",
];

/// The tables the backfill reads and writes (row-level security is lifted for the owner on
/// these while it runs, inside this migration's transaction).
const BACKFILL_TABLES: [&str; 4] = [
    "sub_accounts",
    "contacts",
    "tickets",
    "sub_account_counters",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SubAccountCounters::Table)
                    .col(uuid(SubAccountCounters::AgencyId))
                    .col(uuid(SubAccountCounters::SubAccountId))
                    .col(big_integer(SubAccountCounters::Contacts).default(0))
                    .col(big_integer(SubAccountCounters::OpenTickets).default(0))
                    .primary_key(
                        Index::create()
                            .col(SubAccountCounters::AgencyId)
                            .col(SubAccountCounters::SubAccountId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                SubAccountCounters::Table,
                                (
                                    SubAccountCounters::AgencyId,
                                    SubAccountCounters::SubAccountId,
                                ),
                            )
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            for t in BACKFILL_TABLES {
                db.execute_unprepared(&format!("ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY"))
                    .await?;
            }
            db.execute_unprepared(&recount_sql("1 = 1")).await?;
            for t in BACKFILL_TABLES
                .into_iter()
                .filter(|t| *t != "sub_account_counters")
            {
                db.execute_unprepared(&format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY"))
                    .await?;
            }
            db.execute_unprepared(&tenant_table("sub_account_counters", Reach::Tree))
                .await?;
            db.execute_unprepared(PG_TRIGGERS).await?;
        } else {
            db.execute_unprepared(&recount_sql("1 = 1")).await?;
            for t in SQLITE_TRIGGERS {
                db.execute_unprepared(t).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            db.execute_unprepared(
                "DROP TRIGGER IF EXISTS sub_accounts_counters ON sub_accounts;
                 DROP TRIGGER IF EXISTS contacts_counters ON contacts;
                 DROP TRIGGER IF EXISTS tickets_counters ON tickets;
                 DROP FUNCTION IF EXISTS canopy_sub_account_counters_row();
                 DROP FUNCTION IF EXISTS canopy_count_contacts();
                 DROP FUNCTION IF EXISTS canopy_count_tickets();",
            )
            .await?;
        } else {
            for t in [
                "sub_accounts_counters",
                "contacts_counters_insert",
                "contacts_counters_delete",
                "contacts_counters_update",
                "tickets_counters_insert",
                "tickets_counters_delete",
                "tickets_counters_update",
            ] {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(SubAccountCounters::Table).to_owned())
            .await
    }
}
