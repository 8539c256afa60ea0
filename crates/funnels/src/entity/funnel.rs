//! `funnels`: a sub-account's funnels and websites. A tenant data table keyed `(agency_id, id)`;
//! `subdomain` is unique platform-wide.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// What a funnel is for: a funnel is a sequence of steps; a website is pages with a
    /// navigation menu between them. Both are the same model.
    pub enum FunnelKind: "String(StringLen::N(10))" {
        /// A sales funnel: steps a visitor goes through in order.
        Funnel = "funnel",
        /// A website: pages with a navigation menu between them.
        Website = "website",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "funnels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub name: String,
    pub kind: FunnelKind,
    /// Served at `<subdomain>.<sites domain>`.
    pub subdomain: String,
    pub favicon_url: Option<String>,
    /// `crate::document::tracking::Tracking`, as JSON; rendered only while the sub-account
    /// allows tracking (`funnel_settings`).
    pub tracking: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
