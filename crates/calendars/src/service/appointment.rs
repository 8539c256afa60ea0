//! Appointments: booking (which the database keeps from double-booking), rescheduling,
//! cancelling, confirming and closing them, and listing a sub-account's.
//!
//! A booking takes one resource of each kind its service needs. The time it holds on each
//! (`appointment_resources`, its buffers included) competes with every other active hold of that
//! resource: on PostgreSQL an exclusion constraint refuses an overlap whatever races, and the
//! loser gets `SLOT_TAKEN`; on SQLite writers are serialised and the check below runs under the
//! write lock. Holds are written in resource order, so two bookings never wait on each other in
//! a circle.

use super::free::{Calendar, by_kind};
use super::{fail_if, offering};
use crate::entity::appointment::{self, AppointmentStatus, BookedVia};
use crate::entity::{hold, offering as svc, resource};
use crate::slots::{self, Unfit};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use chrono_tz::Tz;
use kernel::auth::{Actor, Permission};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use kernel::metric::{self, Change, Metric};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use tenancy::guard::{self, Access, Entered};
use uuid::Uuid;

/// Longest notes or cancellation reason.
pub const MAX_NOTES: usize = 5_000;
/// Most appointments one list returns.
pub const MAX_LIST: u64 = 1_000;

/// A booking to make.
#[derive(Debug, Clone)]
pub struct NewBooking {
    /// The service.
    pub service_id: Uuid,
    /// Who it is for.
    pub contact_id: Uuid,
    /// When it starts (UTC).
    pub start: DateTime<Utc>,
    /// The invitee's IANA zone.
    pub time_zone: String,
    /// Resources asked for (at most one of each kind; the others are picked).
    pub resource_ids: Vec<Uuid>,
    /// Notes.
    pub notes: Option<String>,
}

/// An appointment the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<appointment::Model, Error> {
    guard::load::<appointment::Entity>(db, actor, id, Access::Read).await
}

/// A sub-account's appointments starting between `from` and `to` (at most 62 days apart), by
/// start: the first [`MAX_LIST`] of them (narrow the range to see the rest); only those of
/// `status` when given.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    status: Option<AppointmentStatus>,
) -> Result<Vec<appointment::Model>, Error> {
    let at = guard::enter::<appointment::Entity>(db, actor, sub_account_id, Access::Read).await?;
    super::free::check_range(from, to)?;
    let mut q = appointment::Entity::find()
        .filter(appointment::Column::AgencyId.eq(at.agency_id))
        .filter(appointment::Column::SubAccountId.eq(at.sub_account_id))
        .filter(appointment::Column::StartsAt.gte(from))
        .filter(appointment::Column::StartsAt.lt(to));
    if let Some(s) = status {
        q = q.filter(appointment::Column::Status.eq(s));
    }
    Ok(q.order_by_asc(appointment::Column::StartsAt)
        .order_by_asc(appointment::Column::Id)
        .limit(MAX_LIST)
        .all(db)
        .await?)
}

/// The resources an appointment holds (its active holds), in resource order.
pub async fn held(
    db: &impl ConnectionTrait,
    a: &appointment::Model,
) -> Result<Vec<resource::Model>, Error> {
    let ids: Vec<Uuid> = hold::Entity::find()
        .filter(hold::Column::AgencyId.eq(a.agency_id))
        .filter(hold::Column::AppointmentId.eq(a.id))
        .filter(hold::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|h| h.resource_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(resource::Entity::find()
        .filter(resource::Column::AgencyId.eq(a.agency_id))
        .filter(resource::Column::Id.is_in(ids))
        .order_by_asc(resource::Column::Kind)
        .order_by_asc(resource::Column::Name)
        .all(db)
        .await?)
}

fn unavailable(why: Unfit, s: &svc::Model) -> UserError {
    let message = match why {
        Unfit::TooSoon => format!(
            "too soon: this service is booked at least {} minute(s) ahead",
            s.min_notice_minutes
        ),
        Unfit::TooFar => format!(
            "too far ahead: this service is booked at most {} day(s) ahead",
            s.horizon_days
        ),
        Unfit::OutsideHours => "outside the hours of whom or what it needs".to_owned(),
    };
    UserError::new("input.start", UserErrorCode::SlotUnavailable, message)
}

fn taken() -> Error {
    Error::user(
        "input.start",
        UserErrorCode::SlotTaken,
        "this time was just booked: pick another slot",
    )
}

/// Picks one resource of each kind `s` needs for `start` (those asked for in `asked`): within
/// its hours and free of other holds (but those of `except`). `SLOT_UNAVAILABLE` when none of a
/// kind is within its hours, `SLOT_TAKEN` when those that are are booked.
async fn choose(
    db: &impl ConnectionTrait,
    s: &svc::Model,
    start: DateTime<Utc>,
    asked: &[Uuid],
    except: Option<Uuid>,
) -> Result<Vec<resource::Model>, Error> {
    let rules = super::rules(s);
    let all = offering::resources(db, s).await?;
    let mut errors = Vec::new();
    if asked.len() > 10 {
        return Err(Error::user(
            "input.resourceIds",
            UserErrorCode::Invalid,
            "ask for at most one resource of each kind",
        ));
    }
    for id in asked {
        if !all.iter().any(|r| r.id == *id) {
            errors.push(UserError::new(
                "input.resourceIds",
                UserErrorCode::Invalid,
                "a resource asked for does not give this service",
            ));
            break;
        }
    }
    let groups = by_kind(all, None);
    for rs in groups.values() {
        if rs.iter().filter(|r| asked.contains(&r.id)).count() > 1 {
            errors.push(UserError::new(
                "input.resourceIds",
                UserErrorCode::Invalid,
                "ask for at most one resource of each kind",
            ));
        }
    }
    if groups.is_empty() {
        errors.push(UserError::new(
            "input.serviceId",
            UserErrorCode::NotAllowed,
            "no one gives this service now",
        ));
    }
    fail_if(errors)?;
    let wanted: Vec<resource::Model> = groups.values().flatten().cloned().collect();
    let from = start - rules.buffer_before;
    let to = start + rules.duration + rules.buffer_after;
    let cal = Calendar::load(db, s.agency_id, &wanted, start, to, except).await?;
    let mut chosen = Vec::new();
    for rs in groups.values() {
        let candidates: Vec<&resource::Model> = if rs.iter().any(|r| asked.contains(&r.id)) {
            rs.iter().filter(|r| asked.contains(&r.id)).collect()
        } else {
            rs.iter().collect()
        };
        let in_hours: Vec<&resource::Model> = candidates
            .into_iter()
            .filter(|r| {
                cal.avail
                    .get(&r.id)
                    .is_some_and(|av| slots::fits_hours(av, &rules, start).is_ok())
            })
            .collect();
        if in_hours.is_empty() {
            return Err(Error::User(vec![unavailable(Unfit::OutsideHours, s)]));
        }
        let free = in_hours
            .into_iter()
            .find(|r| !cal.busy(r.id).iter().any(|b| b.start < to && from < b.end));
        match free {
            Some(r) => chosen.push(r.clone()),
            None => return Err(taken()),
        }
    }
    chosen.sort_by_key(|r| r.id);
    Ok(chosen)
}

/// Whether a database error is an exclusion-constraint violation (`23P01`): an overlapping hold.
fn is_overlap(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| c == "23P01"),
        _ => false,
    }
}

/// Writes the appointment's holds on `chosen` (in their order). An overlap with another
/// booking's (a race lost, on PostgreSQL) is `SLOT_TAKEN`.
async fn hold_all(
    db: &impl ConnectionTrait,
    a: &appointment::Model,
    s: &svc::Model,
    chosen: &[resource::Model],
) -> Result<(), Error> {
    let rules = super::rules(s);
    let from = a.starts_at - rules.buffer_before;
    let to = a.ends_at + rules.buffer_after;
    for r in chosen {
        let row = hold::ActiveModel {
            agency_id: Set(a.agency_id),
            id: Set(new_uuid()),
            sub_account_id: Set(a.sub_account_id),
            appointment_id: Set(a.id),
            resource_id: Set(r.id),
            held_from: Set(from),
            held_to: Set(to),
            active: Set(true),
        };
        if let Err(e) = hold::Entity::insert(row).exec_without_returning(db).await {
            return Err(if is_overlap(&e) { taken() } else { e.into() });
        }
    }
    Ok(())
}

/// Runs `f` in a savepoint: when it fails (a hold lost its race), all it wrote is undone and the
/// transaction stays usable, so the mutation answers `userErrors` with nothing half-written.
async fn atomically<C, T, F>(db: &C, f: F) -> Result<T, Error>
where
    C: ConnectionTrait,
    F: AsyncFnOnce(&C) -> Result<T, Error>,
{
    db.execute_unprepared("SAVEPOINT calendars_booking").await?;
    match f(db).await {
        Ok(v) => {
            db.execute_unprepared("RELEASE SAVEPOINT calendars_booking")
                .await?;
            Ok(v)
        }
        Err(e) => {
            db.execute_unprepared("ROLLBACK TO SAVEPOINT calendars_booking")
                .await?;
            db.execute_unprepared("RELEASE SAVEPOINT calendars_booking")
                .await?;
            Err(e)
        }
    }
}

fn check_notes(errors: &mut Vec<UserError>, field: &str, notes: Option<&str>) -> Option<String> {
    let n = notes.map(str::trim).filter(|n| !n.is_empty())?;
    if n.chars().count() > MAX_NOTES {
        errors.push(UserError::new(
            field,
            UserErrorCode::TooLong,
            format!("at most {MAX_NOTES} characters"),
        ));
    }
    Some(n.to_owned())
}

/// Books a service for a contact (`CALENDARS_WRITE`, and `CONTACTS_READ` to name the contact).
/// The start must fit the service's notice and horizon and the hours of one resource of each
/// kind it needs (`SLOT_UNAVAILABLE`), and those resources must be free (`SLOT_TAKEN`).
pub async fn book(
    db: &impl ConnectionTrait,
    actor: &Actor,
    b: NewBooking,
    via: BookedVia,
) -> Result<appointment::Model, Error> {
    let s = guard::load_where::<svc::Entity>(db, actor, b.service_id, Access::Read, |s| {
        s.archived_at.is_none()
    })
    .await?;
    let at =
        guard::enter::<appointment::Entity>(db, actor, s.sub_account_id, Access::Write).await?;
    actor.require_inside(at.scope(), &[Permission::ContactsRead])?;
    if !crm::service::contact::live_in(db, at, b.contact_id).await? {
        return Err(Error::NotFound);
    }
    let mut errors = Vec::new();
    let zone = crate::hours::zone(&mut errors, "input.timeZone", &b.time_zone);
    let notes = check_notes(&mut errors, "input.notes", b.notes.as_deref());
    fail_if(errors)?;
    let rules = super::rules(&s);
    // Whole seconds: what is stored is what a reminder and an invitation name.
    let start = b.start.trunc_subsecs(0);
    if let Err(why) = slots::fits_rules(&rules, start, Utc::now()) {
        return Err(Error::User(vec![unavailable(why, &s)]));
    }
    let chosen = choose(db, &s, start, &b.resource_ids, None).await?;
    let a = atomically(db, async |db| {
        let now = Utc::now();
        let a = appointment::ActiveModel {
            agency_id: Set(at.agency_id),
            id: Set(new_uuid()),
            sub_account_id: Set(at.sub_account_id),
            service_id: Set(s.id),
            contact_id: Set(b.contact_id),
            starts_at: Set(start),
            ends_at: Set(start + rules.duration),
            time_zone: Set(zone.name().to_owned()),
            status: Set(AppointmentStatus::Scheduled),
            cancel_reason: Set(None),
            notes: Set(notes),
            price_minor: Set(s.price_minor),
            currency: Set(s.currency.clone()),
            booked_via: Set(via),
            reminded_at: Set(None),
            created_by: Set(actor.user_id()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        hold_all(db, &a, &s, &chosen).await?;
        guard::record(
            db,
            actor,
            &a,
            EventType::AppointmentBooked,
            json!({
                "serviceId": s.id.to_string(),
                "contactId": a.contact_id.to_string(),
                "startsAt": a.starts_at.to_rfc3339(),
                "resourceIds": chosen.iter().map(|r| r.id.to_string()).collect::<Vec<_>>(),
            }),
        )
        .await?;
        let booked = Change::one(Metric::AppointmentsBooked, a.created_at);
        metric::count_one(db, a.agency_id, a.sub_account_id, booked).await?;
        Ok(a)
    })
    .await?;
    crate::work::booked(db, actor, at, &a, &s, &chosen, false).await?;
    Ok(a)
}

/// The appointment to change, if it is still open (scheduled or confirmed): `NOT_ALLOWED`
/// otherwise.
async fn open_one(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<appointment::Model, Error> {
    let a = guard::load::<appointment::Entity>(db, actor, id, Access::Write).await?;
    // Changes of one appointment queue behind each other (PostgreSQL; SQLite serialises).
    kernel::db::lock(db, &format!("appointment:{}", a.id)).await?;
    let a = appointment::Entity::find_by_id((a.agency_id, a.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    if !matches!(
        a.status,
        AppointmentStatus::Scheduled | AppointmentStatus::Confirmed
    ) {
        return Err(Error::user(
            "id",
            UserErrorCode::NotAllowed,
            "only a scheduled or confirmed appointment can change",
        ));
    }
    Ok(a)
}

async fn release(db: &impl ConnectionTrait, a: &appointment::Model) -> Result<(), Error> {
    hold::Entity::update_many()
        .col_expr(hold::Column::Active, Expr::value(false))
        .filter(hold::Column::AgencyId.eq(a.agency_id))
        .filter(hold::Column::AppointmentId.eq(a.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves an appointment to a new start (and, if asked, other resources), under the same rules as
/// a booking; its own old time does not stand in its way. A confirmed appointment stays
/// confirmed.
pub async fn reschedule(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    start: DateTime<Utc>,
    resource_ids: Vec<Uuid>,
) -> Result<appointment::Model, Error> {
    let a = open_one(db, actor, id).await?;
    let s = svc::Entity::find_by_id((a.agency_id, a.service_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let rules = super::rules(&s);
    let start = start.trunc_subsecs(0);
    if let Err(why) = slots::fits_rules(&rules, start, Utc::now()) {
        return Err(Error::User(vec![unavailable(why, &s)]));
    }
    // Without resources asked for, it keeps those it holds if they are free then.
    let chosen = if resource_ids.is_empty() {
        let mine: Vec<Uuid> = held(db, &a).await?.into_iter().map(|r| r.id).collect();
        match choose(db, &s, start, &mine, Some(a.id)).await {
            Ok(c) => c,
            Err(Error::User(_)) => choose(db, &s, start, &[], Some(a.id)).await?,
            Err(e) => return Err(e),
        }
    } else {
        choose(db, &s, start, &resource_ids, Some(a.id)).await?
    };
    let before = a.starts_at;
    let a = atomically(db, async |db| {
        release(db, &a).await?;
        let mut m: appointment::ActiveModel = a.into();
        m.starts_at = Set(start);
        m.ends_at = Set(start + rules.duration);
        m.reminded_at = Set(None);
        m.updated_at = Set(Utc::now());
        let a = m.update(db).await?;
        hold_all(db, &a, &s, &chosen).await?;
        Ok(a)
    })
    .await?;
    guard::record(
        db,
        actor,
        &a,
        EventType::AppointmentRescheduled,
        json!({ "from": before.to_rfc3339(), "startsAt": a.starts_at.to_rfc3339() }),
    )
    .await?;
    let at = Entered {
        agency_id: a.agency_id,
        sub_account_id: a.sub_account_id,
    };
    crate::work::booked(db, actor, at, &a, &s, &chosen, true).await?;
    Ok(a)
}

/// Cancels an appointment with a reason; its time is free again and its reminder is called off.
pub async fn cancel(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<appointment::Model, Error> {
    let a = open_one(db, actor, id).await?;
    let mut errors = Vec::new();
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.push(UserError::new(
            "reason",
            UserErrorCode::Invalid,
            "say why, in 1 to 500 characters",
        ));
    }
    fail_if(errors)?;
    release(db, &a).await?;
    let mut m: appointment::ActiveModel = a.into();
    m.status = Set(AppointmentStatus::Cancelled);
    m.cancel_reason = Set(Some(reason.to_owned()));
    m.updated_at = Set(Utc::now());
    let a = m.update(db).await?;
    guard::record(
        db,
        actor,
        &a,
        EventType::AppointmentCancelled,
        json!({ "reason": reason }),
    )
    .await?;
    let change = Change::one(Metric::AppointmentsCancelled, a.starts_at);
    metric::count_one(db, a.agency_id, a.sub_account_id, change).await?;
    let s = svc::Entity::find_by_id((a.agency_id, a.service_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    crate::work::cancelled(db, actor, &a, &s).await?;
    Ok(a)
}

/// Confirms a scheduled appointment, or closes an open one as completed or a no-show (only once
/// it has started).
pub async fn set_status(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    to: AppointmentStatus,
) -> Result<appointment::Model, Error> {
    let a = open_one(db, actor, id).await?;
    let refuse = |why: &str| Err(Error::user("id", UserErrorCode::NotAllowed, why));
    match to {
        AppointmentStatus::Confirmed if a.status == AppointmentStatus::Confirmed => {
            return Err(Error::user(
                "id",
                UserErrorCode::AlreadyDone,
                "it is confirmed already",
            ));
        }
        AppointmentStatus::Confirmed => {}
        AppointmentStatus::Completed | AppointmentStatus::NoShow => {
            if a.starts_at > Utc::now() {
                return refuse("it has not started yet");
            }
        }
        _ => return refuse("not a status to set this way"),
    }
    let before = a.status;
    let mut m: appointment::ActiveModel = a.into();
    m.status = Set(to);
    m.updated_at = Set(Utc::now());
    let a = m.update(db).await?;
    guard::record(
        db,
        actor,
        &a,
        EventType::AppointmentStatusChanged,
        json!({ "from": before, "to": to }),
    )
    .await?;
    let closed = match to {
        AppointmentStatus::Completed => Some(Metric::AppointmentsKept),
        AppointmentStatus::NoShow => Some(Metric::AppointmentsNoShow),
        _ => None,
    };
    if let Some(m) = closed {
        let change = Change::one(m, a.starts_at);
        metric::count_one(db, a.agency_id, a.sub_account_id, change).await?;
    }
    Ok(a)
}

/// The UTC instant shown in `zone` (RFC 3339 with its offset).
pub fn local(t: DateTime<Utc>, zone: &str) -> String {
    let z: Tz = zone.parse().unwrap_or(Tz::UTC);
    t.with_timezone(&z).to_rfc3339()
}

/// When an appointment's reminder is due (`None`: its service sends none).
pub fn reminder_at(a: &appointment::Model, s: &svc::Model) -> Option<DateTime<Utc>> {
    s.reminder_minutes
        .map(|m| a.starts_at - Duration::minutes(i64::from(m)))
}
