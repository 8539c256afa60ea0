//! reviews (seed 004): reviews asked of contacts or recorded, with their replies. A tenant data
//! table keyed `(agency_id, id)`.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reviews {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    ContactId,
    Platform,
    Status,
    Rating,
    Content,
    ReviewUrl,
    RequestMessage,
    RequestSentAt,
    CompletedAt,
    Reply,
    RepliedAt,
    CreatedAt,
    UpdatedAt,
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
        use Reviews as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(uuid(R::AgencyId))
                    .col(uuid(R::Id))
                    .col(uuid(R::SubAccountId))
                    .col(uuid_null(R::ContactId))
                    .col(string_len(R::Platform, 16))
                    .col(string_len(R::Status, 12))
                    .col(integer_null(R::Rating))
                    .col(text_null(R::Content))
                    .col(string_len_null(R::ReviewUrl, 2000))
                    .col(text_null(R::RequestMessage))
                    .col(timestamp_with_time_zone_null(R::RequestSentAt))
                    .col(timestamp_with_time_zone_null(R::CompletedAt))
                    .col(text_null(R::Reply))
                    .col(timestamp_with_time_zone_null(R::RepliedAt))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .col(timestamp_with_time_zone(R::UpdatedAt))
                    .primary_key(Index::create().col(R::AgencyId).col(R::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, (R::AgencyId, R::SubAccountId))
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, (R::AgencyId, R::ContactId))
                            .to(Contacts::Table, (Contacts::AgencyId, Contacts::Id)),
                    )
                    .check(
                        Expr::col(R::Rating)
                            .between(1, 5)
                            .or(Expr::col(R::Rating).is_null()),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "reviews_completed",
                vec![R::AgencyId, R::SubAccountId, R::CompletedAt],
            ),
            ("reviews_contact", vec![R::AgencyId, R::ContactId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(R::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&tenant_table("reviews", Reach::Data))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Reviews::Table).to_owned())
            .await
    }
}
