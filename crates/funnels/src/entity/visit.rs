//! `funnel_visits`: a visitor's first view of a page on a day (UTC). A tenant data table keyed
//! `(agency_id, id)`; unique per page, day and visitor (a salted hash, never an address).
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "funnel_visits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub funnel_id: Uuid,
    pub page_id: Uuid,
    pub day: Date,
    /// Hex of the first 16 bytes of SHA-256(day's salt, IP, user agent, host).
    pub visitor: String,
    /// `{ utm_source: …, … }` of the address the visitor arrived at.
    pub utm: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
