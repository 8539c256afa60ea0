//! `funnel_pages`: a funnel's pages (its steps, in rank order), each with a draft block document
//! and the version the public sees. A tenant data table keyed `(agency_id, id)`; `path` and
//! `rank` are unique within the funnel.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "funnel_pages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub funnel_id: Uuid,
    pub name: String,
    /// `/` or `/segment/...`, lower case.
    pub path: String,
    pub rank: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// The draft: a block document (`crate::document::Document`).
    pub draft: Json,
    /// The published version the public sees (`None`: offline).
    pub live_version_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
