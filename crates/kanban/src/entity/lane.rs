//! `lanes`: the ordered columns of a pipeline. A tenant data table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lanes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub pipeline_id: Uuid,
    pub name: String,
    /// Fractional rank among the pipeline's lanes.
    pub rank: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
