//! `appointments`: a contact's booking of a service (seed 002's Appointment), in UTC. A tenant
//! data table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// Where an appointment stands (seed 002's statuses, and a no-show).
    pub enum AppointmentStatus: "String(StringLen::N(12))" {
        /// Booked, not confirmed yet.
        Scheduled = "scheduled",
        /// Confirmed by the business.
        Confirmed = "confirmed",
        /// It took place.
        Completed = "completed",
        /// Called off (with a reason); its time is free again.
        Cancelled = "cancelled",
        /// The client did not come.
        NoShow = "no_show",
    }
}

kernel::stored_enum! {
    /// How an appointment was booked.
    pub enum BookedVia: "String(StringLen::N(12))" {
        /// Through the API (the dashboard, an integration).
        Api = "api",
        /// Through the public booking widget.
        Widget = "widget",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub service_id: Uuid,
    pub contact_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// The invitee's IANA zone (how times are shown to them).
    pub time_zone: String,
    pub status: AppointmentStatus,
    pub cancel_reason: Option<String>,
    pub notes: Option<String>,
    pub price_minor: i64,
    pub currency: String,
    pub booked_via: BookedVia,
    pub reminded_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
