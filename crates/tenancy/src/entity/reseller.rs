//! `resellers`: white-label partners that sell the platform to agencies under their own brand.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resellers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub brand_name: String,
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    pub primary_color: Option<String>,
    /// The white-label sender of its (and its agencies') email.
    pub sender_email: Option<String>,
    #[sea_orm(unique)]
    pub white_label_domain: Option<String>,
    /// The reseller's share of its agencies' revenue, in basis points (0..=10000).
    pub revenue_share_bps: i32,
    /// Credits spent from the wallet per agency the reseller creates.
    pub agency_price_credits: i64,
    /// The reseller's own main agency, if any.
    pub manager_agency_id: Option<Uuid>,
    /// `active` or `suspended`.
    pub status: String,
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
