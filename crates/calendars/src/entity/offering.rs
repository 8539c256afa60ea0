//! `calendar_services`: what a sub-account's clients can book (seed 002's Service), named
//! `offering` here so it does not read as this crate's `service` layer. A tenant data table keyed
//! `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// Where a service takes place.
    pub enum LocationKind: "String(StringLen::N(12))" {
        /// At a place (the location is an address).
        InPerson = "in_person",
        /// Online (the location is a meeting link or a phone number).
        Online = "online",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i32,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub interval_minutes: i32,
    pub min_notice_minutes: i32,
    pub horizon_days: i32,
    pub price_minor: i64,
    pub currency: String,
    pub location_kind: LocationKind,
    pub location: Option<String>,
    /// Minutes before the start a reminder goes out (NULL: none).
    pub reminder_minutes: Option<i32>,
    /// The random token of its public booking page (NULL: not bookable by the public).
    pub booking_token: Option<String>,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
