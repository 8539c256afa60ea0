//! Secrets the runtime role cannot read.
//!
//! - Password hashes leave `users` for `user_credentials (user_id, password_hash, updated_at)`.
//!   On PostgreSQL `canopy_app` may insert a row and change a hash (`UPDATE … WHERE user_id`),
//!   but may not select one: sign-in and a password change read the one hash they check
//!   through `canopy_password_hash(user_id)`, a `SECURITY DEFINER` function owned by the
//!   migrating role. No row read returns a hash (a query that forgets its filter lists
//!   none); a hash comes out only by asking for one user's by id. That is narrower, not
//!   airtight: SQL run as `canopy_app` can still call the function for every id. A separate
//!   role on a pool of its own for sign-in would close that.
//! - `signing_keys` (the generated secret that signs access tokens): `canopy_app` has no
//!   privilege on it at all. The server reads it at start through the owner's connection
//!   (`CANOPY_OWNER_DATABASE_URL`), or is given `CANOPY_JWT_SECRET`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserCredentials {
    Table,
    UserId,
    PasswordHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    PasswordHash,
}

const APP_ROLE: &str = crate::m20261122_000005_row_level_security::APP_ROLE;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserCredentials::Table)
                    .col(pk_uuid(UserCredentials::UserId))
                    .col(string_len(UserCredentials::PasswordHash, 200))
                    .col(timestamp_with_time_zone(UserCredentials::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserCredentials::Table, UserCredentials::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO user_credentials (user_id, password_hash, updated_at) \
             SELECT id, password_hash, updated_at FROM users",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::PasswordHash)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            db.execute_unprepared(&format!(
                r#"
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    REVOKE ALL ON user_credentials FROM {APP_ROLE};
    GRANT INSERT ON user_credentials TO {APP_ROLE};
    GRANT SELECT (user_id), UPDATE (password_hash, updated_at) ON user_credentials TO {APP_ROLE};
    REVOKE ALL ON signing_keys FROM {APP_ROLE};
  END IF;
END $$;
CREATE FUNCTION canopy_password_hash(p_user uuid) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $f$ SELECT password_hash FROM user_credentials WHERE user_id = p_user $f$;
REVOKE ALL ON FUNCTION canopy_password_hash(uuid) FROM PUBLIC;
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    GRANT EXECUTE ON FUNCTION canopy_password_hash(uuid) TO {APP_ROLE};
  END IF;
END $$;
"#
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len(Users::PasswordHash, 200).default(""))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE users SET password_hash = (SELECT c.password_hash FROM user_credentials c WHERE c.user_id = users.id)",
        )
        .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            db.execute_unprepared(&format!(
                "DROP FUNCTION IF EXISTS canopy_password_hash(uuid); \
                 GRANT SELECT, INSERT, UPDATE, DELETE ON signing_keys TO {APP_ROLE};"
            ))
            .await?;
        }
        manager
            .drop_table(Table::drop().table(UserCredentials::Table).to_owned())
            .await
    }
}
