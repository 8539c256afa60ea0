//! `funnel_page_versions`: every published version of a page, numbered from 1. Never updated
//! (on PostgreSQL the runtime role holds no UPDATE on it). A tenant data table keyed
//! `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "funnel_page_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub funnel_id: Uuid,
    pub page_id: Uuid,
    pub number: i32,
    /// The block document as published.
    pub document: Json,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// The user who published it (`None`: an API key or Canopy itself).
    pub published_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
