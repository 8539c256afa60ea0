//! `funnel_page_days`: per page and day (UTC), its views, visitors (first sightings) and form
//! submissions. A tenant data table keyed `(agency_id, page_id, day)`; only ever incremented.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "funnel_page_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    pub sub_account_id: Uuid,
    pub funnel_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub page_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub views: i64,
    pub visitors: i64,
    pub submissions: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
