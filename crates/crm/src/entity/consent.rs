//! `contact_consents`: the consent a contact gave, one row per channel and occasion, with the
//! statement they agreed to. Rows are only added, never changed.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// How a contact agreed to be reached.
    pub enum ConsentChannel: "String(StringLen::N(10))" {
        /// By email.
        Email = "email",
        /// By text message.
        Sms = "sms",
        /// By phone call.
        Calls = "calls",
    }
}

kernel::stored_enum! {
    /// Where a contact gave their consent.
    pub enum ConsentSource: "String(StringLen::N(16))" {
        /// A funnel page's form (`sourceId`: the submission).
        Form = "form",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub contact_id: Uuid,
    pub channel: ConsentChannel,
    /// The words the contact agreed to, as shown to them.
    pub statement: String,
    pub source: ConsentSource,
    /// The row of the source (a form submission).
    pub source_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
