//! kernel: the credential cache's announcements on PostgreSQL — every committed event that can
//! make a replica's cached credential stale (a sign-out, a password change, a membership or API
//! key change, a tenant's suspension or deletion) is announced on `canopy_credentials` with its
//! type, so every replica clears what it caches of that kind (`kernel::credentials`) without
//! reading the row. The trigger sorts before the live bus's (`events_live`), so a replica
//! clears its cache before its subscribers hear of the event. SQLite needs nothing: its follower
//! looks for these events by rowid.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel the gateway listens on.
pub const CHANNEL: &str = "canopy_credentials";

/// The event types announced: `kernel::credentials::Class::clearing_events()` (a test keeps
/// the two lists equal). A newer type that clears must be added here by a new migration.
pub const EVENTS: &[&str] = &[
    "agency.suspended",
    "agency.reactivated",
    "agency.deleted",
    "agency.restored",
    "api_key.revoked",
    "membership.granted",
    "membership.updated",
    "membership.removed",
    "reseller.suspended",
    "reseller.reactivated",
    "reseller.deleted",
    "reseller.restored",
    "session.reuse_detected",
    "session.revoked",
    "sub_account.suspended",
    "sub_account.reactivated",
    "sub_account.deleted",
    "sub_account.restored",
    "user.password_changed",
    "user.password_reset",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let types = EVENTS
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"
CREATE OR REPLACE FUNCTION canopy_credentials_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', NEW.event_type);
  RETURN NULL;
END $$;
CREATE TRIGGER events_credentials AFTER INSERT ON events
  FOR EACH ROW WHEN (NEW.event_type IN ({types}))
  EXECUTE FUNCTION canopy_credentials_announce();
"#
            ))
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
                "DROP TRIGGER IF EXISTS events_credentials ON events;
                 DROP FUNCTION IF EXISTS canopy_credentials_announce();",
            )
            .await?;
        Ok(())
    }
}
