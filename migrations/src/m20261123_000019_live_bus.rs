//! kernel: the live bus on PostgreSQL — every committed event and notification is announced on
//! the `canopy_live` channel (`e<uuid>` or `n<uuid>`), so that every gateway replica hears of
//! it. `NOTIFY` is transactional: a rolled-back change announces nothing, and announcements
//! arrive in commit order. SQLite needs nothing: its single process follows the tables by rowid.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel the gateway listens on.
pub const CHANNEL: &str = "canopy_live";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"
CREATE OR REPLACE FUNCTION canopy_live_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', TG_ARGV[0] || NEW.id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER events_live AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION canopy_live_announce('e');
CREATE TRIGGER notifications_live AFTER INSERT ON notifications
  FOR EACH ROW EXECUTE FUNCTION canopy_live_announce('n');
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
                "DROP TRIGGER IF EXISTS events_live ON events;
                 DROP TRIGGER IF EXISTS notifications_live ON notifications;
                 DROP FUNCTION IF EXISTS canopy_live_announce();",
            )
            .await?;
        Ok(())
    }
}
