//! `contacts`: a sub-account's people. A tenant data table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// Where a contact came from.
    pub enum ContactSource: "String(StringLen::N(16))" {
        /// Entered by hand.
        Manual = "manual",
        /// A form submission.
        Form = "form",
        /// An ad.
        Ad = "ad",
        /// A CSV import.
        Import = "import",
        /// A partner integration.
        Api = "api",
        /// A referral.
        Referral = "referral",
        /// A booking through a service's public booking page.
        Booking = "booking",
        /// Anything else.
        Other = "other",
    }
}

kernel::stored_enum! {
    /// Where a contact stands in the sales process.
    pub enum ContactStatus: "String(StringLen::N(16))" {
        /// Not contacted yet.
        New = "new",
        /// Contacted.
        Contacted = "contacted",
        /// Qualified as a prospect.
        Qualified = "qualified",
        /// Became a customer.
        Converted = "converted",
        /// Lost.
        Lost = "lost",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    /// `first_name` lowercased, for search.
    pub first_name_key: String,
    /// `last_name` lowercased, for search.
    pub last_name_key: String,
    /// Lowercased.
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub company: Option<String>,
    pub source: ContactSource,
    pub status: ContactStatus,
    pub owner_id: Option<Uuid>,
    pub dnd_email: bool,
    pub dnd_sms: bool,
    pub dnd_calls: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, uppercase.
    pub country: Option<String>,
    /// Set when the contact was merged into another one (and soft-deleted).
    pub merged_into_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

super::lowercase_keys!(first_name => first_name_key, last_name => last_name_key);
