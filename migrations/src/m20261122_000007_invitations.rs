//! tenancy: invitations into a scope with a role. The token is stored as a SHA-256 hash and
//! travels only by email.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    Email,
    ScopeKind,
    ScopeId,
    AgencyId,
    Role,
    TokenHash,
    Status,
    InvitedBy,
    AcceptedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(pk_uuid(Invitations::Id))
                    .col(string_len(Invitations::Email, 254))
                    .col(string_len(Invitations::ScopeKind, 16))
                    .col(uuid(Invitations::ScopeId))
                    .col(uuid_null(Invitations::AgencyId))
                    .col(string_len(Invitations::Role, 32))
                    .col(string_len_uniq(Invitations::TokenHash, 64))
                    .col(string_len(Invitations::Status, 16))
                    .col(uuid(Invitations::InvitedBy))
                    .col(uuid_null(Invitations::AcceptedBy))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invitations_scope")
                    .table(Invitations::Table)
                    .col(Invitations::ScopeKind)
                    .col(Invitations::ScopeId)
                    .col(Invitations::Status)
                    .to_owned(),
            )
            .await?;
        // At most one pending invitation per person and scope, even under concurrent invites
        // (a partial index: the same SQL on SQLite and PostgreSQL).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX invitations_one_pending ON invitations (email, scope_kind, scope_id) \
                 WHERE status = 'pending'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Invitations::Table).to_owned())
            .await
    }
}
