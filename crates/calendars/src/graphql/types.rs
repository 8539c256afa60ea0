//! Services, resources, slots and appointments as GraphQL objects.

use crate::entity::appointment::{self, AppointmentStatus, BookedVia};
use crate::entity::exception;
use crate::entity::offering::{self as svc, LocationKind};
use crate::entity::resource::{self, ResourceKind};
use crate::hours;
use crate::service::{appointment as appt, free, offering, resource as res};
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use kernel::id::{NodeKind, gid};
use kernel::loader::get;

/// A day of the week.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl From<Weekday> for chrono::Weekday {
    fn from(d: Weekday) -> Self {
        match d {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }
}

impl From<chrono::Weekday> for Weekday {
    fn from(d: chrono::Weekday) -> Self {
        match d {
            chrono::Weekday::Mon => Weekday::Monday,
            chrono::Weekday::Tue => Weekday::Tuesday,
            chrono::Weekday::Wed => Weekday::Wednesday,
            chrono::Weekday::Thu => Weekday::Thursday,
            chrono::Weekday::Fri => Weekday::Friday,
            chrono::Weekday::Sat => Weekday::Saturday,
            chrono::Weekday::Sun => Weekday::Sunday,
        }
    }
}

/// Weekly hours: a window of local time on one day of the week.
#[derive(SimpleObject)]
pub struct WeeklyWindow {
    /// The day.
    pub weekday: Weekday,
    /// When it opens, `"HH:MM"` in the resource's zone.
    pub start: String,
    /// When it closes, `"HH:MM"` (`"24:00"`: at midnight).
    pub end: String,
}

/// A window of local time on a date.
#[derive(SimpleObject)]
pub struct DayWindow {
    /// When it opens, `"HH:MM"` in the resource's zone.
    pub start: String,
    /// When it closes, `"HH:MM"` (`"24:00"`: at midnight).
    pub end: String,
}

/// A resource's hours on one date, replacing its weekly hours there.
pub struct CalendarException(pub exception::Model);

/// A resource's hours on one date, replacing its weekly hours there.
#[Object]
impl CalendarException {
    /// The local date (`YYYY-MM-DD`) in the resource's zone.
    async fn date(&self) -> NaiveDate {
        self.0.day
    }
    /// Its windows; none: closed all day.
    async fn windows(&self) -> Vec<DayWindow> {
        hours::given(&self.0.windows)
            .into_iter()
            .map(|g| DayWindow {
                start: g.start,
                end: g.end,
            })
            .collect()
    }
}

/// Whom or what a booking takes: a staff member, a room or a piece of equipment, with its time
/// zone and weekly hours.
#[derive(Clone)]
pub struct CalendarResource(pub resource::Model);

/// Whom or what a booking takes: a staff member, a room or a piece of equipment, with its time
/// zone and weekly hours.
#[Object]
impl CalendarResource {
    /// The resource's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::CalendarResource, self.0.id)
    }
    /// Staff, room or equipment.
    async fn kind(&self) -> ResourceKind {
        self.0.kind
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Where to reach it (staff).
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The member it is (staff with a login).
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.map(|u| gid(NodeKind::User, u))
    }
    /// Its IANA time zone: its hours are local times there.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    /// Its weekly hours.
    async fn weekly(&self) -> Vec<WeeklyWindow> {
        hours::given(&self.0.weekly)
            .into_iter()
            .filter_map(|g| {
                Some(WeeklyWindow {
                    weekday: g.weekday?.into(),
                    start: g.start,
                    end: g.end,
                })
            })
            .collect()
    }
    /// Its dated exceptions from a date on (all when absent), by date.
    async fn exceptions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first date to list (`YYYY-MM-DD`).")] from: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<CalendarException>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(res::exceptions(&**tx, &self.0, from)
            .await?
            .into_iter()
            .map(CalendarException)
            .collect())
    }
    /// Whether it is archived (offered no more).
    async fn archived(&self) -> bool {
        self.0.archived_at.is_some()
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A service a sub-account's clients can book (seed 002's Service): how long it takes, the time
/// kept free around it, when it can be booked, its price, and who or what gives it.
#[derive(Clone)]
pub struct CalendarService(pub svc::Model);

/// A service a sub-account's clients can book (seed 002's Service): how long it takes, the time
/// kept free around it, when it can be booked, its price, and who or what gives it.
#[Object]
impl CalendarService {
    /// The service's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::CalendarService, self.0.id)
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it is.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// How long it lasts, in minutes.
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }
    /// Minutes kept free before it.
    async fn buffer_before_minutes(&self) -> i32 {
        self.0.buffer_before_minutes
    }
    /// Minutes kept free after it.
    async fn buffer_after_minutes(&self) -> i32 {
        self.0.buffer_after_minutes
    }
    /// Minutes between offered starts, from the start of each window of hours.
    async fn interval_minutes(&self) -> i32 {
        self.0.interval_minutes
    }
    /// The least minutes between booking and start.
    async fn min_notice_minutes(&self) -> i32 {
        self.0.min_notice_minutes
    }
    /// How many days ahead it can be booked.
    async fn horizon_days(&self) -> i32 {
        self.0.horizon_days
    }
    /// Its price in the currency's minor unit (cents).
    async fn price_minor(&self) -> i64 {
        self.0.price_minor
    }
    /// Its ISO 4217 currency.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// In person or online.
    async fn location_kind(&self) -> LocationKind {
        self.0.location_kind
    }
    /// The address, or the meeting link.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// Minutes before the start a reminder goes to the contact (null: none).
    async fn reminder_minutes(&self) -> Option<i32> {
        self.0.reminder_minutes
    }
    /// The live resources that give it. A booking takes one of each kind listed.
    async fn resources(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CalendarResource>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(offering::resources(&**tx, &self.0)
            .await?
            .into_iter()
            .map(CalendarResource)
            .collect())
    }
    /// The path of its public booking page on the API's origin (`/book/<token>`: `GET` its
    /// free slots, `POST` a booking), for a booking widget on the sub-account's embed domains;
    /// null while it is not bookable by the public (`calendarServiceSetBookable`).
    async fn booking_path(&self) -> Option<String> {
        self.0.booking_token.as_ref().map(|t| format!("/book/{t}"))
    }
    /// Whether it is archived (offered no more).
    async fn archived(&self) -> bool {
        self.0.archived_at.is_some()
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A free slot of a service.
pub struct CalendarSlot {
    pub(crate) slot: free::Slot,
    pub(crate) zone: chrono_tz::Tz,
}

/// A free slot of a service.
#[Object]
impl CalendarSlot {
    /// When it starts (UTC).
    async fn start(&self) -> DateTime<Utc> {
        self.slot.start
    }
    /// When it ends (UTC).
    async fn end(&self) -> DateTime<Utc> {
        self.slot.end
    }
    /// Its start in the time zone asked for, with that zone's offset then (RFC 3339).
    async fn local_start(&self) -> String {
        self.slot.start.with_timezone(&self.zone).to_rfc3339()
    }
    /// Its end in the time zone asked for (RFC 3339).
    async fn local_end(&self) -> String {
        self.slot.end.with_timezone(&self.zone).to_rfc3339()
    }
    /// The staff free for it (book with one of them in `resourceIds`, or let Canopy pick).
    async fn staff_ids(&self) -> Vec<ID> {
        self.slot
            .staff
            .iter()
            .map(|s| gid(NodeKind::CalendarResource, *s))
            .collect()
    }
}

/// A contact's booking of a service (seed 002's Appointment). Times are UTC; `timeZone` is the
/// invitee's.
#[derive(Clone)]
pub struct Appointment(pub appointment::Model);

/// A contact's booking of a service (seed 002's Appointment). Times are UTC; `timeZone` is the
/// invitee's.
#[Object]
impl Appointment {
    /// The appointment's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Appointment, self.0.id)
    }
    /// Where it stands.
    async fn status(&self) -> AppointmentStatus {
        self.0.status
    }
    /// When it starts (UTC).
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// When it ends (UTC).
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// The invitee's IANA time zone.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    /// Its start in the invitee's time zone (RFC 3339, with the offset then).
    async fn local_start(&self) -> String {
        appt::local(self.0.starts_at, &self.0.time_zone)
    }
    /// The service booked (archived since, perhaps).
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CalendarService>> {
        let (tx, _) = kernel::db::request(ctx)?;
        use sea_orm::EntityTrait;
        Ok(
            svc::Entity::find_by_id((self.0.agency_id, self.0.service_id))
                .one(&**tx)
                .await
                .map_err(kernel::Error::from)?
                .map(CalendarService),
        )
    }
    /// Who it is for: null when the contact was deleted since, or you may not see contacts.
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<crm::Contact>> {
        let (_, rc) = kernel::db::request(ctx)?;
        let scope = kernel::Scope::SubAccount {
            agency_id: self.0.agency_id,
            id: self.0.sub_account_id,
        };
        if !rc.actor.can(kernel::Permission::ContactsRead, scope) {
            return Ok(None);
        }
        Ok(get::<crm::ContactLoader>(ctx)?
            .load_one(self.0.contact_id)
            .await?
            .flatten()
            .map(crm::Contact))
    }
    /// The resources it holds (none once it is cancelled).
    async fn resources(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CalendarResource>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(appt::held(&**tx, &self.0)
            .await?
            .into_iter()
            .map(CalendarResource)
            .collect())
    }
    /// Why it was cancelled.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    /// Notes.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// The service's price when it was booked, in minor units.
    async fn price_minor(&self) -> i64 {
        self.0.price_minor
    }
    /// The price's ISO 4217 currency.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// How it was booked.
    async fn booked_via(&self) -> BookedVia {
        self.0.booked_via
    }
    /// When its reminder went out (null: not yet, or none is due).
    async fn reminded_at(&self) -> Option<DateTime<Utc>> {
        self.0.reminded_at
    }
    /// When it was booked.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
