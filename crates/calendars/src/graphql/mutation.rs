//! The calendars' mutation root.

use super::types::{Appointment, CalendarResource, CalendarService, Weekday};
use crate::entity::appointment::{AppointmentStatus, BookedVia};
use crate::entity::offering::LocationKind;
use crate::entity::resource::ResourceKind;
use crate::hours::Given;
use crate::service::appointment::{self as appt, NewBooking};
use crate::service::offering::{self, ServiceFields};
use crate::service::resource::{self as res, NewResource, ResourcePatch};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, NaiveDate, Utc};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind};
use kernel::payload;
use uuid::Uuid;

payload!(CalendarResourcePayload, resource: CalendarResource, "The resource.");
payload!(CalendarServicePayload, service: CalendarService, "The service.");
payload!(AppointmentPayload, appointment: Appointment, "The appointment.");

/// A window of weekly hours.
#[derive(InputObject)]
pub struct WeeklyWindowInput {
    /// The day.
    pub weekday: Weekday,
    /// When it opens, `"HH:MM"` in the resource's zone.
    pub start: String,
    /// When it closes, `"HH:MM"` (`"24:00"`: at midnight), after it opens.
    pub end: String,
}

/// A window of hours on a date.
#[derive(InputObject)]
pub struct DayWindowInput {
    /// When it opens, `"HH:MM"` in the resource's zone.
    pub start: String,
    /// When it closes, `"HH:MM"` (`"24:00"`: at midnight), after it opens.
    pub end: String,
}

fn weekly(ws: Vec<WeeklyWindowInput>) -> Vec<Given> {
    ws.into_iter()
        .map(|w| Given {
            weekday: Some(w.weekday.into()),
            start: w.start,
            end: w.end,
        })
        .collect()
}

/// Input of `calendarResourceCreate`.
#[derive(InputObject)]
pub struct CalendarResourceCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// Staff, room or equipment.
    pub kind: ResourceKind,
    /// Its name (1 to 200 characters).
    pub name: String,
    /// Where to reach it (staff).
    pub email: Option<String>,
    /// The member it is (staff with a login): a user who works in the sub-account.
    pub user_id: Option<ID>,
    /// Its IANA time zone (`Europe/Berlin`): its hours are local times there.
    pub time_zone: String,
    /// Its weekly hours (at most 12 windows a day, not overlapping).
    pub weekly: Vec<WeeklyWindowInput>,
}

/// Input of `calendarResourceUpdate` (absent fields stay as they are).
#[derive(InputObject)]
pub struct CalendarResourceUpdateInput {
    /// A new name.
    pub name: Option<String>,
    /// A new address (empty: none).
    pub email: Option<String>,
    /// A new IANA time zone.
    pub time_zone: Option<String>,
    /// New weekly hours, replacing them all.
    pub weekly: Option<Vec<WeeklyWindowInput>>,
}

/// Input of `calendarServiceCreate` (absent settings take their defaults).
#[derive(InputObject)]
pub struct CalendarServiceCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// Its name (1 to 200 characters).
    pub name: String,
    /// What it is (at most 5,000 characters).
    pub description: Option<String>,
    /// How long it lasts: 5 to 1,440 minutes (default 30).
    pub duration_minutes: Option<i32>,
    /// Minutes kept free before it: 0 to 720 (default 0).
    pub buffer_before_minutes: Option<i32>,
    /// Minutes kept free after it: 0 to 720 (default 0).
    pub buffer_after_minutes: Option<i32>,
    /// Minutes between offered starts: 5 to 1,440 (default: its duration).
    pub interval_minutes: Option<i32>,
    /// The least minutes between booking and start: 0 to 525,600 (default 0).
    pub min_notice_minutes: Option<i32>,
    /// How many days ahead it can be booked: 1 to 730 (default 60).
    pub horizon_days: Option<i32>,
    /// Its price in the currency's minor unit (default 0).
    pub price_minor: Option<i64>,
    /// Its ISO 4217 currency (default `USD`).
    pub currency: Option<String>,
    /// In person or online (default in person).
    pub location_kind: Option<LocationKind>,
    /// The address or meeting link (empty: none).
    pub location: Option<String>,
    /// Minutes before the start a reminder goes to the contact: 5 to 10,080 (default 1,440);
    /// null: none.
    pub reminder_minutes: MaybeUndefined<i32>,
    /// The resources that give it, replacing them all (up to 100 live resources of the
    /// sub-account). A booking takes one of each kind listed; with none, nothing can be booked.
    pub resource_ids: Option<Vec<ID>>,
}

/// Input of `calendarServiceUpdate` (absent fields stay as they are).
#[derive(InputObject)]
pub struct CalendarServiceUpdateInput {
    /// A new name (1 to 200 characters).
    pub name: Option<String>,
    /// What it is (at most 5,000 characters).
    pub description: Option<String>,
    /// How long it lasts: 5 to 1,440 minutes.
    pub duration_minutes: Option<i32>,
    /// Minutes kept free before it: 0 to 720.
    pub buffer_before_minutes: Option<i32>,
    /// Minutes kept free after it: 0 to 720.
    pub buffer_after_minutes: Option<i32>,
    /// Minutes between offered starts: 5 to 1,440.
    pub interval_minutes: Option<i32>,
    /// The least minutes between booking and start: 0 to 525,600.
    pub min_notice_minutes: Option<i32>,
    /// How many days ahead it can be booked: 1 to 730.
    pub horizon_days: Option<i32>,
    /// Its price in the currency's minor unit.
    pub price_minor: Option<i64>,
    /// Its ISO 4217 currency.
    pub currency: Option<String>,
    /// In person or online.
    pub location_kind: Option<LocationKind>,
    /// The address or meeting link (empty: none).
    pub location: Option<String>,
    /// Minutes before the start a reminder goes to the contact: 5 to 10,080;
    /// null: none.
    pub reminder_minutes: MaybeUndefined<i32>,
    /// The resources that give it, replacing them all (up to 100 live resources of the
    /// sub-account). A booking takes one of each kind listed; with none, nothing can be booked.
    pub resource_ids: Option<Vec<ID>>,
}

/// Input of `appointmentBook`.
#[derive(InputObject)]
pub struct AppointmentBookInput {
    /// The service.
    pub service_id: ID,
    /// The contact it is for (of the service's sub-account).
    pub contact_id: ID,
    /// When it starts. It must fit the service's notice and horizon and the hours of one
    /// resource of each kind the service needs, on the slot grid or off it.
    pub start: DateTime<Utc>,
    /// The invitee's IANA time zone (how their emails show times).
    pub time_zone: String,
    /// Resources to book (at most one of each kind; the others are picked among the free).
    pub resource_ids: Option<Vec<ID>>,
    /// Notes (at most 5,000 characters).
    pub notes: Option<String>,
}

fn id_of(id: &ID, kind: NodeKind) -> Result<Uuid, kernel::Error> {
    GlobalId::parse_as(id, kind)
}

fn ids_of(ids: Option<Vec<ID>>, kind: NodeKind) -> Result<Vec<Uuid>, kernel::Error> {
    ids.unwrap_or_default()
        .iter()
        .map(|i| id_of(i, kind))
        .collect()
}

macro_rules! service_fields {
    ($input:expr, $name:expr) => {{
        let input = $input;
        Ok::<_, kernel::Error>(ServiceFields {
            name: $name,
            description: input.description,
            duration_minutes: input.duration_minutes,
            buffer_before_minutes: input.buffer_before_minutes,
            buffer_after_minutes: input.buffer_after_minutes,
            interval_minutes: input.interval_minutes,
            min_notice_minutes: input.min_notice_minutes,
            horizon_days: input.horizon_days,
            price_minor: input.price_minor,
            currency: input.currency,
            location_kind: input.location_kind,
            location: input.location,
            reminder_minutes: match input.reminder_minutes {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(v)),
            },
            resource_ids: match input.resource_ids {
                Some(ids) => Some(ids_of(Some(ids), NodeKind::CalendarResource)?),
                None => None,
            },
        })
    }};
}

/// Calendar mutations.
#[derive(Default)]
pub struct CalendarsMutation;

#[Object]
impl CalendarsMutation {
    /// Creates a bookable staff member, room or piece of equipment (`CALENDARS_MANAGE`; at
    /// most 500 a sub-account).
    async fn calendar_resource_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resource.")] input: CalendarResourceCreateInput,
    ) -> async_graphql::Result<CalendarResourcePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        let new = NewResource {
            kind: input.kind,
            name: input.name,
            email: input.email,
            user_id: input
                .user_id
                .map(|u| id_of(&u, NodeKind::User))
                .transpose()?,
            time_zone: input.time_zone,
            weekly: weekly(input.weekly),
        };
        res::create(&**tx, &rc.actor, sub, new)
            .await
            .map(CalendarResource)
            .into_payload()
    }

    /// Changes a resource's name, address, time zone or weekly hours (`CALENDARS_MANAGE`).
    /// Booked appointments stay; new hours apply to new bookings.
    async fn calendar_resource_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resource's global id.")] id: ID,
        #[graphql(desc = "What changes.")] input: CalendarResourceUpdateInput,
    ) -> async_graphql::Result<CalendarResourcePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let patch = ResourcePatch {
            name: input.name,
            email: input.email,
            time_zone: input.time_zone,
            weekly: input.weekly.map(weekly),
        };
        res::update(
            &**tx,
            &rc.actor,
            id_of(&id, NodeKind::CalendarResource)?,
            patch,
        )
        .await
        .map(CalendarResource)
        .into_payload()
    }

    /// Archives a resource: it is offered no more (`CALENDARS_MANAGE`). While it holds upcoming
    /// appointments it is `IN_USE`.
    async fn calendar_resource_archive(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resource's global id.")] id: ID,
    ) -> async_graphql::Result<CalendarResourcePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        res::archive(&**tx, &rc.actor, id_of(&id, NodeKind::CalendarResource)?)
            .await
            .map(CalendarResource)
            .into_payload()
    }

    /// Sets a resource's hours on one local date, replacing its weekly hours that day (no
    /// window: closed); at most 1,000 dates a resource (`CALENDARS_MANAGE`).
    async fn calendar_exception_set(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resource's global id.")] resource_id: ID,
        #[graphql(desc = "The local date (`YYYY-MM-DD`) in the resource's zone.")] date: NaiveDate,
        #[graphql(desc = "Its windows that day (empty: closed).")] windows: Vec<DayWindowInput>,
    ) -> async_graphql::Result<CalendarResourcePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let ws = windows
            .into_iter()
            .map(|w| Given {
                weekday: None,
                start: w.start,
                end: w.end,
            })
            .collect();
        let id = id_of(&resource_id, NodeKind::CalendarResource)?;
        res::set_exception(&**tx, &rc.actor, id, date, Some(ws))
            .await
            .map(CalendarResource)
            .into_payload()
    }

    /// Removes a resource's exception on a date: its weekly hours apply again
    /// (`CALENDARS_MANAGE`).
    async fn calendar_exception_clear(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resource's global id.")] resource_id: ID,
        #[graphql(desc = "The local date (`YYYY-MM-DD`).")] date: NaiveDate,
    ) -> async_graphql::Result<CalendarResourcePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&resource_id, NodeKind::CalendarResource)?;
        res::set_exception(&**tx, &rc.actor, id, date, None)
            .await
            .map(CalendarResource)
            .into_payload()
    }

    /// Creates a service (`CALENDARS_MANAGE`; at most 500 a sub-account).
    async fn calendar_service_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service.")] input: CalendarServiceCreateInput,
    ) -> async_graphql::Result<CalendarServicePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        let name = Some(input.name.clone());
        offering::create(&**tx, &rc.actor, sub, service_fields!(input, name)?)
            .await
            .map(CalendarService)
            .into_payload()
    }

    /// Changes a service (`CALENDARS_MANAGE`). Booked appointments keep their times and price.
    async fn calendar_service_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service's global id.")] id: ID,
        #[graphql(desc = "What changes.")] input: CalendarServiceUpdateInput,
    ) -> async_graphql::Result<CalendarServicePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::CalendarService)?;
        let name = input.name.clone();
        offering::update(&**tx, &rc.actor, id, service_fields!(input, name)?)
            .await
            .map(CalendarService)
            .into_payload()
    }

    /// Archives a service: it is offered no more; its appointments stay (`CALENDARS_MANAGE`).
    async fn calendar_service_archive(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service's global id.")] id: ID,
    ) -> async_graphql::Result<CalendarServicePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        offering::archive(&**tx, &rc.actor, id_of(&id, NodeKind::CalendarService)?)
            .await
            .map(CalendarService)
            .into_payload()
    }

    /// Turns a service's public booking page on (with a new address: an old one stops working)
    /// or off (`CALENDARS_MANAGE`). See `CalendarService.bookingPath`.
    async fn calendar_service_set_bookable(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service's global id.")] id: ID,
        #[graphql(desc = "Whether the public may book it.")] bookable: bool,
    ) -> async_graphql::Result<CalendarServicePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::CalendarService)?;
        crate::service::public::set_bookable(&**tx, &rc.actor, id, bookable)
            .await
            .map(CalendarService)
            .into_payload()
    }

    /// Books a service for a contact (`CALENDARS_WRITE`, and `CONTACTS_READ`). The database
    /// keeps any two bookings of one staff member, room or piece of equipment from overlapping
    /// (buffers included): whoever loses a race for a slot gets `SLOT_TAKEN` and nothing is
    /// written. A start inside the minimum notice, past the horizon or outside the hours is
    /// `SLOT_UNAVAILABLE`. The contact gets a confirmation with an `.ics` invitation (when it
    /// has an address and accepts email) and, if the service has one, a reminder; the booking
    /// appears on its timeline.
    async fn appointment_book(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What, for whom and when.")] input: AppointmentBookInput,
    ) -> async_graphql::Result<AppointmentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let b = NewBooking {
            service_id: id_of(&input.service_id, NodeKind::CalendarService)?,
            contact_id: id_of(&input.contact_id, NodeKind::Contact)?,
            start: input.start,
            time_zone: input.time_zone,
            resource_ids: ids_of(input.resource_ids, NodeKind::CalendarResource)?,
            notes: input.notes,
        };
        appt::book(&**tx, &rc.actor, b, BookedVia::Api)
            .await
            .map(Appointment)
            .into_payload()
    }

    /// Moves a scheduled or confirmed appointment to a new start (and, if asked, other
    /// resources), under the same rules as a booking (`CALENDARS_WRITE`). Its old time does not
    /// stand in its way; its reminder follows it.
    async fn appointment_reschedule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The appointment's global id.")] id: ID,
        #[graphql(desc = "The new start.")] start: DateTime<Utc>,
        #[graphql(desc = "Resources to book (absent: picked among the free).")]
        resource_ids: Option<Vec<ID>>,
    ) -> async_graphql::Result<AppointmentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let ids = ids_of(resource_ids, NodeKind::CalendarResource)?;
        appt::reschedule(
            &**tx,
            &rc.actor,
            id_of(&id, NodeKind::Appointment)?,
            start,
            ids,
        )
        .await
        .map(Appointment)
        .into_payload()
    }

    /// Cancels a scheduled or confirmed appointment, with a reason (`CALENDARS_WRITE`). Its time
    /// is free again; its reminder does not go out.
    async fn appointment_cancel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The appointment's global id.")] id: ID,
        #[graphql(desc = "Why (1 to 500 characters).")] reason: String,
    ) -> async_graphql::Result<AppointmentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        appt::cancel(
            &**tx,
            &rc.actor,
            id_of(&id, NodeKind::Appointment)?,
            &reason,
        )
        .await
        .map(Appointment)
        .into_payload()
    }

    /// Confirms a scheduled appointment (`CALENDARS_WRITE`).
    async fn appointment_confirm(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The appointment's global id.")] id: ID,
    ) -> async_graphql::Result<AppointmentPayload> {
        status(ctx, &id, AppointmentStatus::Confirmed).await
    }

    /// Marks an appointment that has started as completed (`CALENDARS_WRITE`).
    async fn appointment_complete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The appointment's global id.")] id: ID,
    ) -> async_graphql::Result<AppointmentPayload> {
        status(ctx, &id, AppointmentStatus::Completed).await
    }

    /// Marks an appointment that has started as a no-show: the client did not come
    /// (`CALENDARS_WRITE`).
    async fn appointment_mark_no_show(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The appointment's global id.")] id: ID,
    ) -> async_graphql::Result<AppointmentPayload> {
        status(ctx, &id, AppointmentStatus::NoShow).await
    }
}

async fn status(
    ctx: &Context<'_>,
    id: &ID,
    to: AppointmentStatus,
) -> async_graphql::Result<AppointmentPayload> {
    let (tx, rc) = kernel::db::request(ctx)?;
    appt::set_status(&**tx, &rc.actor, id_of(id, NodeKind::Appointment)?, to)
        .await
        .map(Appointment)
        .into_payload()
}
