//! `sub_account_counters`: a sub-account's live contacts and open tickets, kept by database
//! triggers in the transaction of each change (see the migration `…_sub_account_counters`).
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sub_account_counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sub_account_id: Uuid,
    /// Contacts not deleted.
    pub contacts: i64,
    /// Tickets whose status is `open`.
    pub open_tickets: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
