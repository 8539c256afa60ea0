//! `memberships`: a user's role in a scope, with single permissions granted or withheld.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub scope_kind: String,
    /// The scope's id (the nil UUID for the platform).
    pub scope_id: Uuid,
    /// The agency of agency and sub-account memberships (the tenant key).
    pub agency_id: Option<Uuid>,
    pub role: String,
    /// JSON array of dotted permission names added to the role's defaults.
    pub granted: Json,
    /// JSON array of dotted permission names taken from the role's defaults.
    pub withheld: Json,
    pub all_sub_accounts: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When a support grant ends (`service::support`); NULL for an ordinary membership.
    pub expires_at: Option<DateTimeUtc>,
    /// Why a support grant was made; NULL for an ordinary membership.
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "identity::entity::user::Entity",
        from = "Column::UserId",
        to = "identity::entity::user::Column::Id"
    )]
    User,
}

impl Related<identity::entity::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
