//! `form_submissions`: accepted submissions of a published page's form. A tenant data table
//! keyed `(agency_id, id)`; kept when the page or the funnel is deleted.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_submissions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub funnel_id: Uuid,
    pub page_id: Uuid,
    /// The published version whose form was filled in.
    pub version_id: Uuid,
    /// The form's key on the page.
    pub form_key: String,
    pub contact_id: Uuid,
    /// `{ fieldName: value }` of the form's fields, as accepted (checkboxes as booleans).
    pub values: Json,
    /// `{ utm_source: …, … }`: the campaign parameters the visitor arrived with.
    pub utm: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
