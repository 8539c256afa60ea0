//! crm: a contact's postal address and merge pointer; custom field definitions of a sub-account
//! and their values on contacts; saved segments. All tenant data tables keyed by agency first,
//! with composite foreign keys, behind tenant-only row-level security.

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
    AddressLine1,
    AddressLine2,
    City,
    Region,
    PostalCode,
    Country,
    MergedIntoId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomFields {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    Name,
    NameKey,
    Kind,
    Options,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContactFieldValues {
    Table,
    AgencyId,
    ContactId,
    FieldId,
    TextValue,
    NumberValue,
    DateValue,
    BoolValue,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    Name,
    NameKey,
    Filter,
    CreatedAt,
    UpdatedAt,
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
        // SQLite adds one column per ALTER TABLE.
        for col in [
            string_len_null(Contacts::AddressLine1, 200),
            string_len_null(Contacts::AddressLine2, 200),
            string_len_null(Contacts::City, 100),
            string_len_null(Contacts::Region, 100),
            string_len_null(Contacts::PostalCode, 20),
            string_len_null(Contacts::Country, 2),
            uuid_null(Contacts::MergedIntoId),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Contacts::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("contacts_updated")
                    .table(Contacts::Table)
                    .col(Contacts::AgencyId)
                    .col(Contacts::SubAccountId)
                    .col(Contacts::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomFields::Table)
                    .col(uuid(CustomFields::AgencyId))
                    .col(uuid(CustomFields::Id))
                    .col(uuid(CustomFields::SubAccountId))
                    .col(string_len(CustomFields::Name, 100))
                    .col(string_len(CustomFields::NameKey, 200))
                    .col(string_len(CustomFields::Kind, 16))
                    // A JSON array of the choices of a select field.
                    .col(text_null(CustomFields::Options))
                    .col(timestamp_with_time_zone_null(CustomFields::ArchivedAt))
                    .col(timestamp_with_time_zone(CustomFields::CreatedAt))
                    .col(timestamp_with_time_zone(CustomFields::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(CustomFields::AgencyId)
                            .col(CustomFields::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CustomFields::Table,
                                (CustomFields::AgencyId, CustomFields::SubAccountId),
                            )
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("custom_fields_sub_account_name")
                    .table(CustomFields::Table)
                    .col(CustomFields::AgencyId)
                    .col(CustomFields::SubAccountId)
                    .col(CustomFields::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactFieldValues::Table)
                    .col(uuid(ContactFieldValues::AgencyId))
                    .col(uuid(ContactFieldValues::ContactId))
                    .col(uuid(ContactFieldValues::FieldId))
                    // Text, URL and select values; a multi-select as `|a|b|`.
                    .col(string_len_null(ContactFieldValues::TextValue, 2000))
                    .col(double_null(ContactFieldValues::NumberValue))
                    // `YYYY-MM-DD`: sorts and compares as text on every database.
                    .col(string_len_null(ContactFieldValues::DateValue, 10))
                    .col(boolean_null(ContactFieldValues::BoolValue))
                    .col(timestamp_with_time_zone(ContactFieldValues::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContactFieldValues::AgencyId)
                            .col(ContactFieldValues::ContactId)
                            .col(ContactFieldValues::FieldId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ContactFieldValues::Table,
                                (ContactFieldValues::AgencyId, ContactFieldValues::ContactId),
                            )
                            .to(Contacts::Table, (Contacts::AgencyId, Contacts::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ContactFieldValues::Table,
                                (ContactFieldValues::AgencyId, ContactFieldValues::FieldId),
                            )
                            .to(
                                CustomFields::Table,
                                (CustomFields::AgencyId, CustomFields::Id),
                            )
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("contact_field_values_text", ContactFieldValues::TextValue),
            (
                "contact_field_values_number",
                ContactFieldValues::NumberValue,
            ),
            ("contact_field_values_date", ContactFieldValues::DateValue),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ContactFieldValues::Table)
                        .col(ContactFieldValues::AgencyId)
                        .col(ContactFieldValues::FieldId)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Segments::Table)
                    .col(uuid(Segments::AgencyId))
                    .col(uuid(Segments::Id))
                    .col(uuid(Segments::SubAccountId))
                    .col(string_len(Segments::Name, 100))
                    .col(string_len(Segments::NameKey, 200))
                    // The saved contact filter, as JSON.
                    .col(text(Segments::Filter))
                    .col(timestamp_with_time_zone(Segments::CreatedAt))
                    .col(timestamp_with_time_zone(Segments::UpdatedAt))
                    .primary_key(Index::create().col(Segments::AgencyId).col(Segments::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                Segments::Table,
                                (Segments::AgencyId, Segments::SubAccountId),
                            )
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("segments_sub_account_name")
                    .table(Segments::Table)
                    .col(Segments::AgencyId)
                    .col(Segments::SubAccountId)
                    .col(Segments::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            for t in ["custom_fields", "contact_field_values", "segments"] {
                db.execute_unprepared(&tenant_table(t, Reach::Data)).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ContactFieldValues::Table.into_iden(),
            Segments::Table.into_iden(),
            CustomFields::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
