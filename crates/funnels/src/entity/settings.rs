//! `funnel_settings`: a sub-account's choices about its funnels, one row per sub-account (none:
//! the defaults). A tenant data table keyed `(agency_id, sub_account_id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "funnel_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sub_account_id: Uuid,
    /// Whether its funnels' pages may carry tracking tags (off until a settings manager turns
    /// it on).
    pub tracking_allowed: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
