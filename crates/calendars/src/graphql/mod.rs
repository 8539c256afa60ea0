//! The calendars' GraphQL: resources, services, free slots and appointments, and the mutations
//! that set them up and book.

mod mutation;
mod types;

pub use mutation::CalendarsMutation;
pub use types::{
    Appointment, CalendarException, CalendarResource, CalendarService, CalendarSlot, DayWindow,
    Weekday, WeeklyWindow,
};

use crate::entity::appointment::AppointmentStatus;
use crate::entity::resource::ResourceKind;
use crate::service::{appointment, free, offering, resource};
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::id::{GlobalId, NodeKind};

/// Calendar queries.
#[derive(Default)]
pub struct CalendarsQuery;

#[Object]
impl CalendarsQuery {
    /// The bookable staff, rooms and equipment of a sub-account (of the agency you act in), by
    /// kind and name. Needs `CALENDARS_READ` there.
    async fn calendar_resources(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Only resources of this kind.")] kind: Option<ResourceKind>,
        #[graphql(desc = "Archived ones too.")] archived: Option<bool>,
    ) -> async_graphql::Result<Vec<CalendarResource>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(
            resource::list(&**tx, &rc.actor, sub, kind, archived.unwrap_or(false))
                .await?
                .into_iter()
                .map(CalendarResource)
                .collect(),
        )
    }

    /// The services of a sub-account, by name. Needs `CALENDARS_READ` there.
    async fn calendar_services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Archived ones too.")] archived: Option<bool>,
    ) -> async_graphql::Result<Vec<CalendarService>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(
            offering::list(&**tx, &rc.actor, sub, archived.unwrap_or(false))
                .await?
                .into_iter()
                .map(CalendarService)
                .collect(),
        )
    }

    /// The free slots of a service between two instants (at most 62 days apart; at most 2,000
    /// slots), by start. A slot starts on the service's interval from the start of a window of
    /// hours, respects its minimum notice, its horizon and its buffers, and has one resource of
    /// each kind the service needs free (one of `staffId` when given). Times come in UTC and in
    /// `timeZone`. An end before the start, or an unknown zone, is `BAD_USER_INPUT`. Needs
    /// `CALENDARS_READ`.
    async fn calendar_free_slots(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service's global id.")] service_id: ID,
        #[graphql(desc = "The first instant to look at.")] from: DateTime<Utc>,
        #[graphql(desc = "The instant to stop at (after `from`).")] to: DateTime<Utc>,
        #[graphql(desc = "The invitee's IANA time zone (`America/New_York`), for `localStart`.")]
        time_zone: String,
        #[graphql(desc = "Only slots this staff member (a resource of the service) is free for.")]
        staff_id: Option<ID>,
    ) -> async_graphql::Result<Vec<CalendarSlot>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&service_id, NodeKind::CalendarService)?;
        let staff = staff_id
            .map(|s| GlobalId::parse_as(&s, NodeKind::CalendarResource))
            .transpose()?;
        let slots = free::slots(&**tx, &rc.actor, id, from, to, staff).await?;
        let zone: chrono_tz::Tz = time_zone.trim().parse().map_err(|_| {
            Error::User(vec![UserError::new(
                "timeZone",
                UserErrorCode::Invalid,
                format!("{time_zone:?} is not an IANA time zone (such as \"Europe/Berlin\")"),
            )])
        })?;
        Ok(slots
            .into_iter()
            .map(|slot| CalendarSlot { slot, zone })
            .collect())
    }

    /// A sub-account's appointments starting between two instants (at most 62 days apart; at
    /// most 1,000), by start. Needs `CALENDARS_READ` there.
    async fn appointments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "The first start to list.")] from: DateTime<Utc>,
        #[graphql(desc = "List those starting before this.")] to: DateTime<Utc>,
        #[graphql(desc = "Only those with this status.")] status: Option<AppointmentStatus>,
    ) -> async_graphql::Result<Vec<Appointment>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(appointment::list(&**tx, &rc.actor, sub, from, to, status)
            .await?
            .into_iter()
            .map(Appointment)
            .collect())
    }
}
