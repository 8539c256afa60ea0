//! `referral_codes`: a contact's referral code (unique in its sub-account) with its offer,
//! expiry, most uses and uses so far, and the random token of its public link. A tenant data
//! table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    /// The referrer.
    pub contact_id: Uuid,
    /// Upper-case letters, digits and dashes.
    pub code: String,
    /// The token of its public link (`/refer/<token>`).
    pub token: String,
    pub offer_details: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
    pub max_uses: Option<i32>,
    pub times_used: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
