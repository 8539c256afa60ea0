//! funnels: a sub-account's funnels and websites (one model: a website is a funnel with
//! navigation), their custom domains, their pages (ordered steps, each with a draft block
//! document) and every published version of a page (immutable: the runtime role may insert
//! and delete them, never update).
//!
//! Names a visitor reaches are unique platform-wide, across tenants: a funnel's `subdomain`
//! (under the sites' domain) and a custom domain's `host`. They are the two unique keys here
//! without `agency_id`, like an agency's own subdomain.
//!
//! On PostgreSQL the tables are tenant data, with one opening: a funnel and a custom domain are
//! readable by the host a visitor asked for (`app.site_host`, `kernel::db::Opening::SiteHost`:
//! a funnel by its subdomain, which has no dot; a custom domain by its whole name),
//! so the public renderer finds the tenant before it knows it. Everything else it reads (the
//! page, its live version) it reads in that tenant.

use crate::m20261122_000005_row_level_security::{APP_ROLE, Reach, tenant_table};
use crate::m20261203_000025_second_wall::{T, secure};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Funnels {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    Name,
    Kind,
    Subdomain,
    FaviconUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FunnelDomains {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    FunnelId,
    Host,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FunnelPages {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    FunnelId,
    Name,
    Path,
    Rank,
    SeoTitle,
    SeoDescription,
    Draft,
    LiveVersionId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FunnelPageVersions {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    FunnelId,
    PageId,
    Number,
    Document,
    SeoTitle,
    SeoDescription,
    PublishedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SubAccounts {
    Table,
    AgencyId,
    Id,
}

/// The host a visitor asked for, as the public renderer opens it.
const SITE_HOST: &str = "(SELECT NULLIF(current_setting('app.site_host', true), ''))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Funnels::Table)
                    .col(uuid(Funnels::AgencyId))
                    .col(uuid(Funnels::Id))
                    .col(uuid(Funnels::SubAccountId))
                    .col(string_len(Funnels::Name, 100))
                    .col(string_len(Funnels::Kind, 10))
                    .col(string_len(Funnels::Subdomain, 63))
                    .col(string_len_null(Funnels::FaviconUrl, 2000))
                    .col(timestamp_with_time_zone(Funnels::CreatedAt))
                    .col(timestamp_with_time_zone(Funnels::UpdatedAt))
                    .primary_key(Index::create().col(Funnels::AgencyId).col(Funnels::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Funnels::Table, (Funnels::AgencyId, Funnels::SubAccountId))
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funnels_subdomain")
                    .table(Funnels::Table)
                    .col(Funnels::Subdomain)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funnels_sub_account")
                    .table(Funnels::Table)
                    .col(Funnels::AgencyId)
                    .col(Funnels::SubAccountId)
                    .col(Funnels::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FunnelDomains::Table)
                    .col(uuid(FunnelDomains::AgencyId))
                    .col(uuid(FunnelDomains::Id))
                    .col(uuid(FunnelDomains::SubAccountId))
                    .col(uuid(FunnelDomains::FunnelId))
                    .col(string_len(FunnelDomains::Host, 253))
                    .col(timestamp_with_time_zone(FunnelDomains::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(FunnelDomains::AgencyId)
                            .col(FunnelDomains::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                FunnelDomains::Table,
                                (FunnelDomains::AgencyId, FunnelDomains::FunnelId),
                            )
                            .to(Funnels::Table, (Funnels::AgencyId, Funnels::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funnel_domains_host")
                    .table(FunnelDomains::Table)
                    .col(FunnelDomains::Host)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funnel_domains_funnel")
                    .table(FunnelDomains::Table)
                    .col(FunnelDomains::AgencyId)
                    .col(FunnelDomains::FunnelId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FunnelPages::Table)
                    .col(uuid(FunnelPages::AgencyId))
                    .col(uuid(FunnelPages::Id))
                    .col(uuid(FunnelPages::SubAccountId))
                    .col(uuid(FunnelPages::FunnelId))
                    .col(string_len(FunnelPages::Name, 100))
                    .col(string_len(FunnelPages::Path, 200))
                    .col(string_len(FunnelPages::Rank, 255))
                    .col(string_len_null(FunnelPages::SeoTitle, 200))
                    .col(string_len_null(FunnelPages::SeoDescription, 500))
                    .col(json_binary(FunnelPages::Draft))
                    .col(uuid_null(FunnelPages::LiveVersionId))
                    .col(timestamp_with_time_zone(FunnelPages::CreatedAt))
                    .col(timestamp_with_time_zone(FunnelPages::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(FunnelPages::AgencyId)
                            .col(FunnelPages::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                FunnelPages::Table,
                                (FunnelPages::AgencyId, FunnelPages::FunnelId),
                            )
                            .to(Funnels::Table, (Funnels::AgencyId, Funnels::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funnel_pages_path")
                    .table(FunnelPages::Table)
                    .col(FunnelPages::AgencyId)
                    .col(FunnelPages::FunnelId)
                    .col(FunnelPages::Path)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funnel_pages_rank")
                    .table(FunnelPages::Table)
                    .col(FunnelPages::AgencyId)
                    .col(FunnelPages::FunnelId)
                    .col(FunnelPages::Rank)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FunnelPageVersions::Table)
                    .col(uuid(FunnelPageVersions::AgencyId))
                    .col(uuid(FunnelPageVersions::Id))
                    .col(uuid(FunnelPageVersions::SubAccountId))
                    .col(uuid(FunnelPageVersions::FunnelId))
                    .col(uuid(FunnelPageVersions::PageId))
                    .col(integer(FunnelPageVersions::Number))
                    .col(json_binary(FunnelPageVersions::Document))
                    .col(string_len_null(FunnelPageVersions::SeoTitle, 200))
                    .col(string_len_null(FunnelPageVersions::SeoDescription, 500))
                    .col(uuid_null(FunnelPageVersions::PublishedBy))
                    .col(timestamp_with_time_zone(FunnelPageVersions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(FunnelPageVersions::AgencyId)
                            .col(FunnelPageVersions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                FunnelPageVersions::Table,
                                (FunnelPageVersions::AgencyId, FunnelPageVersions::PageId),
                            )
                            .to(FunnelPages::Table, (FunnelPages::AgencyId, FunnelPages::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funnel_page_versions_number")
                    .table(FunnelPageVersions::Table)
                    .col(FunnelPageVersions::AgencyId)
                    .col(FunnelPageVersions::PageId)
                    .col(FunnelPageVersions::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            for (table, by_host) in [
                ("funnels", format!("subdomain = {SITE_HOST}")),
                ("funnel_domains", format!("host = {SITE_HOST}")),
            ] {
                let read = format!("({T}) OR ({by_host})");
                db.execute_unprepared(&secure(table, &read, T, T, T))
                    .await?;
            }
            for table in ["funnel_pages", "funnel_page_versions"] {
                db.execute_unprepared(&tenant_table(table, Reach::Data))
                    .await?;
            }
            // A published version never changes: rollback repoints the page, it edits nothing.
            db.execute_unprepared(&format!(
                "REVOKE UPDATE ON funnel_page_versions FROM {APP_ROLE}"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            FunnelPageVersions::Table.into_iden(),
            FunnelPages::Table.into_iden(),
            FunnelDomains::Table.into_iden(),
            Funnels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
