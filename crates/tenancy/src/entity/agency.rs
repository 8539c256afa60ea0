//! `agencies`: the tenants. Keyed by `id`; every tenant table refers to it by `agency_id`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agencies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// NULL: a direct customer of the platform.
    pub reseller_id: Option<Uuid>,
    pub name: String,
    #[sea_orm(unique)]
    pub subdomain: Option<String>,
    #[sea_orm(unique)]
    pub custom_domain: Option<String>,
    pub timezone: String,
    pub address: Option<String>,
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    pub primary_color: Option<String>,
    /// The white-label sender of its email (and its sub-accounts').
    pub sender_email: Option<String>,
    pub marketplace_enabled: bool,
    pub ai_suite_enabled: bool,
    /// Minor units of `currency`.
    pub sub_account_price: i64,
    /// Minor units of `currency`.
    pub white_label_price: i64,
    pub currency: String,
    pub stripe_connect_account_id: Option<String>,
    /// `active` or `suspended`.
    pub status: String,
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
