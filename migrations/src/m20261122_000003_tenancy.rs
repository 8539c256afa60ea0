//! tenancy: memberships of users in scopes (the platform, resellers, agencies, sub-accounts).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    UserId,
    ScopeKind,
    ScopeId,
    AgencyId,
    Role,
    Granted,
    Withheld,
    AllSubAccounts,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(pk_uuid(Memberships::Id))
                    .col(uuid(Memberships::UserId))
                    .col(string_len(Memberships::ScopeKind, 16))
                    .col(uuid(Memberships::ScopeId))
                    .col(uuid_null(Memberships::AgencyId))
                    .col(string_len(Memberships::Role, 32))
                    .col(json_binary(Memberships::Granted))
                    .col(json_binary(Memberships::Withheld))
                    .col(boolean(Memberships::AllSubAccounts).default(false))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .col(timestamp_with_time_zone(Memberships::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_user_scope")
                    .table(Memberships::Table)
                    .col(Memberships::UserId)
                    .col(Memberships::ScopeKind)
                    .col(Memberships::ScopeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_scope")
                    .table(Memberships::Table)
                    .col(Memberships::ScopeKind)
                    .col(Memberships::ScopeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Memberships::Table).to_owned())
            .await
    }
}
