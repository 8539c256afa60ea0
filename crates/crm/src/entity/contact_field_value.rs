//! `contact_field_values`: a contact's value of a custom field, in the column of the field's
//! kind. A tenant data table keyed `(agency_id, contact_id, field_id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_field_values")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub field_id: Uuid,
    /// Text, URL and single-select values; a multi-select as `|a|b|`.
    pub text_value: Option<String>,
    pub number_value: Option<f64>,
    /// `YYYY-MM-DD`.
    pub date_value: Option<String>,
    pub bool_value: Option<bool>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::custom_field::Entity",
        from = "(Column::AgencyId, Column::FieldId)",
        to = "(super::custom_field::Column::AgencyId, super::custom_field::Column::Id)"
    )]
    Field,
}

impl Related<super::custom_field::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Field.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
