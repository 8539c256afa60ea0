//! `reseller_credit_entries`: the ledger of a reseller's wallet. The balance is their sum.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reseller_credit_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reseller_id: Uuid,
    /// Positive: credits added; negative: credits spent.
    pub amount: i64,
    /// `credit` or `agency_created`.
    pub kind: String,
    pub agency_id: Option<Uuid>,
    pub note: Option<String>,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
