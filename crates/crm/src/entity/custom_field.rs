//! `custom_fields`: the extra contact fields a sub-account defines. A tenant data table keyed
//! `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// What a custom field holds.
    pub enum CustomFieldKind: "String(StringLen::N(16))" {
        /// Free text (`text`).
        Text = "text",
        /// A number (`number`).
        Number = "number",
        /// A calendar date, `YYYY-MM-DD` (`date`).
        Date = "date",
        /// One of the field's choices (`text`).
        SingleSelect = "single_select",
        /// Any of the field's choices (`options`).
        MultiSelect = "multi_select",
        /// Yes or no (`checked`).
        Checkbox = "checkbox",
        /// A web address, http or https (`text`).
        Url = "url",
    }
}

impl CustomFieldKind {
    /// Whether the field's values are picked among its choices.
    pub fn is_select(self) -> bool {
        matches!(self, Self::SingleSelect | Self::MultiSelect)
    }

    /// The kind as messages name it (`single-select`).
    pub fn label(self) -> String {
        self.to_value().replace('_', "-")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_fields")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub name: String,
    /// Lowercased name: unique in the sub-account.
    pub name_key: String,
    pub kind: CustomFieldKind,
    /// A JSON array of the choices of a select field.
    pub options: Option<String>,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

super::lowercase_keys!(name => name_key);
