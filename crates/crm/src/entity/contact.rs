//! `contacts`: a sub-account's people. A tenant data table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a contact came from.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    async_graphql::Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ContactSource {
    /// Entered by hand.
    #[sea_orm(string_value = "manual")]
    Manual,
    /// A form submission.
    #[sea_orm(string_value = "form")]
    Form,
    /// An ad.
    #[sea_orm(string_value = "ad")]
    Ad,
    /// A CSV import.
    #[sea_orm(string_value = "import")]
    Import,
    /// A partner integration.
    #[sea_orm(string_value = "api")]
    Api,
    /// A referral.
    #[sea_orm(string_value = "referral")]
    Referral,
    /// Anything else.
    #[sea_orm(string_value = "other")]
    Other,
}

/// Where a contact stands in the sales process.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    async_graphql::Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Not contacted yet.
    #[sea_orm(string_value = "new")]
    New,
    /// Contacted.
    #[sea_orm(string_value = "contacted")]
    Contacted,
    /// Qualified as a prospect.
    #[sea_orm(string_value = "qualified")]
    Qualified,
    /// Became a customer.
    #[sea_orm(string_value = "converted")]
    Converted,
    /// Lost.
    #[sea_orm(string_value = "lost")]
    Lost,
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
