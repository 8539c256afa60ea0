//! crm: contacts of a sub-account. A data table: keyed `(agency_id, id)`, every index leads with
//! `agency_id`, its sub-account is a composite foreign key (it cannot point into another
//! agency), and row-level security opens it to its tenant alone.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contacts {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    FirstName,
    LastName,
    FirstNameKey,
    LastNameKey,
    Email,
    Phone,
    Company,
    Source,
    Status,
    OwnerId,
    DndEmail,
    DndSms,
    DndCalls,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum SubAccounts {
    Table,
    AgencyId,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(uuid(Contacts::AgencyId))
                    .col(uuid(Contacts::Id))
                    .col(uuid(Contacts::SubAccountId))
                    .col(string_len(Contacts::FirstName, 100))
                    .col(string_len(Contacts::LastName, 100))
                    // Lowercased copies for prefix search: Unicode-aware on every database
                    // (SQLite's LOWER folds ASCII only) and indexable.
                    .col(string_len(Contacts::FirstNameKey, 200))
                    .col(string_len(Contacts::LastNameKey, 200))
                    .col(string_len_null(Contacts::Email, 254))
                    .col(string_len_null(Contacts::Phone, 20))
                    .col(string_len_null(Contacts::Company, 200))
                    .col(string_len(Contacts::Source, 16))
                    .col(string_len(Contacts::Status, 16))
                    .col(uuid_null(Contacts::OwnerId))
                    .col(boolean(Contacts::DndEmail).default(false))
                    .col(boolean(Contacts::DndSms).default(false))
                    .col(boolean(Contacts::DndCalls).default(false))
                    .col(timestamp_with_time_zone(Contacts::CreatedAt))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Contacts::DeletedAt))
                    .primary_key(Index::create().col(Contacts::AgencyId).col(Contacts::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                Contacts::Table,
                                (Contacts::AgencyId, Contacts::SubAccountId),
                            )
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "contacts_sub_account",
                vec![Contacts::SubAccountId, Contacts::Id],
            ),
            (
                "contacts_email",
                vec![Contacts::SubAccountId, Contacts::Email],
            ),
            (
                "contacts_name",
                vec![
                    Contacts::SubAccountId,
                    Contacts::LastNameKey,
                    Contacts::FirstNameKey,
                ],
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name)
                .table(Contacts::Table)
                .col(Contacts::AgencyId);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&tenant_table("contacts", Reach::Data))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Contacts::Table).to_owned())
            .await
    }
}
