//! `calendar_resources`: whom or what a booking takes (a staff member, a room, a piece of
//! equipment), with its time zone and weekly hours. A tenant data table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// What a bookable resource is.
    pub enum ResourceKind: "String(StringLen::N(12))" {
        /// A person who gives the service: a member of the sub-account, or someone bookable
        /// without a login.
        Staff = "staff",
        /// A room.
        Room = "room",
        /// A piece of equipment.
        Equipment = "equipment",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_resources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub kind: ResourceKind,
    pub name: String,
    pub email: Option<String>,
    /// The member it is, for staff with a login.
    pub user_id: Option<Uuid>,
    /// An IANA zone name (`Europe/Berlin`).
    pub time_zone: String,
    /// `[{"weekday": "MON", "start": "09:00", "end": "17:00"}, …]` (`crate::hours`).
    pub weekly: Json,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
