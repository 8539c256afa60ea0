//! `appointment_resources`: the time an appointment holds on one resource, buffers included.
//! Active holds of one resource never overlap (an exclusion constraint on PostgreSQL). A tenant
//! data table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointment_resources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub appointment_id: Uuid,
    pub resource_id: Uuid,
    pub held_from: DateTimeUtc,
    pub held_to: DateTimeUtc,
    /// False once the appointment is cancelled: the time is free again.
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
