//! forms: what a funnel page's form leaves behind, and where a sub-account's widgets may be
//! embedded.
//!
//! - `form_submissions`: one row per accepted submission of a published page's form: the
//!   values as sent (after checking), the contact it created or updated, the page and version
//!   it came from, and the campaign (`utm_*`) it arrived with. Pages and funnels may be deleted
//!   later; their submissions stay (no foreign key to them).
//! - `contact_consents`: the consent a contact gave, one row per channel and occasion, with the
//!   statement they agreed to and where they gave it. Never changed, only added to.
//! - `embed_domains`: the hosts (seed 002's `Domain`) a sub-account's public endpoints accept
//!   cross-origin calls from (CORS), besides the funnel's own hosts.
//!
//! All three are tenant data tables keyed `(agency_id, id)`.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FormSubmissions {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    FunnelId,
    PageId,
    VersionId,
    FormKey,
    ContactId,
    Values,
    Utm,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContactConsents {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    ContactId,
    Channel,
    Statement,
    Source,
    SourceId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EmbedDomains {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    Host,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SubAccounts {
    Table,
    AgencyId,
    Id,
}

#[derive(DeriveIden)]
enum Contacts {
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
                    .table(FormSubmissions::Table)
                    .col(uuid(FormSubmissions::AgencyId))
                    .col(uuid(FormSubmissions::Id))
                    .col(uuid(FormSubmissions::SubAccountId))
                    .col(uuid(FormSubmissions::FunnelId))
                    .col(uuid(FormSubmissions::PageId))
                    .col(uuid(FormSubmissions::VersionId))
                    .col(string_len(FormSubmissions::FormKey, 40))
                    .col(uuid(FormSubmissions::ContactId))
                    .col(json_binary(FormSubmissions::Values))
                    .col(json_binary(FormSubmissions::Utm))
                    .col(timestamp_with_time_zone(FormSubmissions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(FormSubmissions::AgencyId)
                            .col(FormSubmissions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                FormSubmissions::Table,
                                (FormSubmissions::AgencyId, FormSubmissions::ContactId),
                            )
                            .to(Contacts::Table, (Contacts::AgencyId, Contacts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("form_submissions_sub_account")
                    .table(FormSubmissions::Table)
                    .col(FormSubmissions::AgencyId)
                    .col(FormSubmissions::SubAccountId)
                    .col(FormSubmissions::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("form_submissions_contact")
                    .table(FormSubmissions::Table)
                    .col(FormSubmissions::AgencyId)
                    .col(FormSubmissions::ContactId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactConsents::Table)
                    .col(uuid(ContactConsents::AgencyId))
                    .col(uuid(ContactConsents::Id))
                    .col(uuid(ContactConsents::SubAccountId))
                    .col(uuid(ContactConsents::ContactId))
                    .col(string_len(ContactConsents::Channel, 10))
                    .col(string_len(ContactConsents::Statement, 1000))
                    .col(string_len(ContactConsents::Source, 16))
                    .col(uuid_null(ContactConsents::SourceId))
                    .col(timestamp_with_time_zone(ContactConsents::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContactConsents::AgencyId)
                            .col(ContactConsents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ContactConsents::Table,
                                (ContactConsents::AgencyId, ContactConsents::ContactId),
                            )
                            .to(Contacts::Table, (Contacts::AgencyId, Contacts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("contact_consents_contact")
                    .table(ContactConsents::Table)
                    .col(ContactConsents::AgencyId)
                    .col(ContactConsents::ContactId)
                    .col(ContactConsents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmbedDomains::Table)
                    .col(uuid(EmbedDomains::AgencyId))
                    .col(uuid(EmbedDomains::Id))
                    .col(uuid(EmbedDomains::SubAccountId))
                    .col(string_len(EmbedDomains::Host, 253))
                    .col(timestamp_with_time_zone(EmbedDomains::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(EmbedDomains::AgencyId)
                            .col(EmbedDomains::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                EmbedDomains::Table,
                                (EmbedDomains::AgencyId, EmbedDomains::SubAccountId),
                            )
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("embed_domains_host")
                    .table(EmbedDomains::Table)
                    .col(EmbedDomains::AgencyId)
                    .col(EmbedDomains::SubAccountId)
                    .col(EmbedDomains::Host)
                    .unique()
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            for table in ["form_submissions", "contact_consents", "embed_domains"] {
                db.execute_unprepared(&tenant_table(table, Reach::Data))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            EmbedDomains::Table.into_iden(),
            ContactConsents::Table.into_iden(),
            FormSubmissions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
