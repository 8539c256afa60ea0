//! `invitations`: a person invited by email into a scope with a role.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Lowercased.
    pub email: String,
    pub scope_kind: String,
    /// The nil UUID for the platform.
    pub scope_id: Uuid,
    pub agency_id: Option<Uuid>,
    pub role: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    /// `pending`, `accepted` or `revoked` (expiry is read from `expires_at`).
    pub status: String,
    pub invited_by: Uuid,
    pub accepted_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
