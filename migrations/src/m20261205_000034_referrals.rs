//! referrals (seed 004): a contact's referral codes and the leads who redeemed them.
//!
//! - `referral_codes`: the referrer (`contact_id`), the code (unique in the sub-account), the
//!   offer, expiry, most uses and uses so far, and the random `token` of its public link. On
//!   PostgreSQL a code is also readable by that token (`app.referral_token`,
//!   `kernel::db::Opening::ReferralToken`), so the public endpoint finds the tenant before it
//!   knows it.
//! - `referral_redemptions`: a lead's redemption (one per lead and code, checked under the
//!   code's lock; merged contacts may keep two).
//!
//! Both are tenant data tables keyed `(agency_id, id)`.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use crate::m20261203_000025_second_wall::{T, secure};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReferralCodes {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    ContactId,
    Code,
    Token,
    OfferDetails,
    ExpiresAt,
    MaxUses,
    TimesUsed,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReferralRedemptions {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    CodeId,
    ContactId,
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

/// The token the public referral endpoint asks for.
const REFERRAL_TOKEN: &str = "(SELECT NULLIF(current_setting('app.referral_token', true), ''))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ReferralCodes as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(uuid(C::AgencyId))
                    .col(uuid(C::Id))
                    .col(uuid(C::SubAccountId))
                    .col(uuid(C::ContactId))
                    .col(string_len(C::Code, 32))
                    .col(string_len(C::Token, 43))
                    .col(text_null(C::OfferDetails))
                    .col(timestamp_with_time_zone_null(C::ExpiresAt))
                    .col(integer_null(C::MaxUses))
                    .col(integer(C::TimesUsed))
                    .col(uuid_null(C::CreatedBy))
                    .col(timestamp_with_time_zone(C::CreatedAt))
                    .col(timestamp_with_time_zone(C::UpdatedAt))
                    .primary_key(Index::create().col(C::AgencyId).col(C::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(C::Table, (C::AgencyId, C::SubAccountId))
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(C::Table, (C::AgencyId, C::ContactId))
                            .to(Contacts::Table, (Contacts::AgencyId, Contacts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "referral_codes_code",
                vec![C::AgencyId, C::SubAccountId, C::Code],
                true,
            ),
            ("referral_codes_token", vec![C::Token], true),
            (
                "referral_codes_contact",
                vec![C::AgencyId, C::ContactId],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(C::Table);
            for c in cols {
                index.col(c);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        use ReferralRedemptions as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(uuid(R::AgencyId))
                    .col(uuid(R::Id))
                    .col(uuid(R::SubAccountId))
                    .col(uuid(R::CodeId))
                    .col(uuid(R::ContactId))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .primary_key(Index::create().col(R::AgencyId).col(R::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, (R::AgencyId, R::SubAccountId))
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, (R::AgencyId, R::CodeId))
                            .to(C::Table, (C::AgencyId, C::Id)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, (R::AgencyId, R::ContactId))
                            .to(Contacts::Table, (Contacts::AgencyId, Contacts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            // Not unique: a lead redeems a code once (checked under the code's lock), but two
            // contacts who both did may later be merged into one.
            (
                "referral_redemptions_code",
                vec![R::AgencyId, R::CodeId, R::ContactId],
                false,
            ),
            (
                "referral_redemptions_contact",
                vec![R::AgencyId, R::ContactId],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(R::Table);
            for c in cols {
                index.col(c);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            let read = format!("({T}) OR (token = {REFERRAL_TOKEN})");
            db.execute_unprepared(&secure("referral_codes", &read, T, T, T))
                .await?;
            db.execute_unprepared(&tenant_table("referral_redemptions", Reach::Data))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["referral_redemptions", "referral_codes"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
