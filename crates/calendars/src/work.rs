//! What a booking sets going: the contact's timeline, a confirmation by email with an `.ics`
//! invitation, and a reminder through the job runtime (`calendars.reminder`).
//!
//! A reminder job names the start it was planned for; when it runs it sends only if the
//! appointment still starts then, is still open, and was not reminded yet (marked in the same
//! transaction that queues the email), so it fires once, and a moved or cancelled appointment's
//! old reminder does nothing.

use crate::entity::appointment::{self, AppointmentStatus};
use crate::entity::{offering as svc, resource};
use chrono::{DateTime, Utc};
use crm::entity::activity::{ActivityKind, Direction};
use crm::service::activity::NewActivity;
use icalendar::{Component, EventLike};
use jobs::{Backoff, JobError, JobResult, JobRun, NewJob, Owner, Registry};
use kernel::auth::{Actor, Scope};
use kernel::db::TenantGuard;
use kernel::error::Error;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tenancy::guard::Entered;
use uuid::Uuid;

/// The kind of an appointment's reminder.
pub const REMINDER: &str = "calendars.reminder";

/// Registers the reminder handler.
pub fn register(registry: &mut Registry) {
    registry.on(REMINDER, Backoff::default(), |run| async move {
        remind(run).await
    });
}

fn when(a: &appointment::Model) -> String {
    crate::service::appointment::local(a.starts_at, &a.time_zone)
}

/// The `.ics` of an appointment: one event, `REQUEST` while it stands and `CANCEL` once it is
/// called off, its `SEQUENCE` the time of its last change (so a later one wins), with the
/// business as organizer and the contact as attendee.
pub fn ics(
    a: &appointment::Model,
    s: &svc::Model,
    with: &[resource::Model],
    organizer: Option<&str>,
    attendee: &str,
) -> String {
    let cancelled = a.status == AppointmentStatus::Cancelled;
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("{}@canopy", a.id))
        .summary(&s.name)
        .starts(a.starts_at)
        .ends(a.ends_at)
        .timestamp(Utc::now())
        .sequence(u32::try_from(a.updated_at.timestamp()).unwrap_or(0))
        .add_property("ATTENDEE", format!("mailto:{attendee}"));
    if let Some(o) = organizer {
        event.add_property("ORGANIZER", format!("mailto:{o}"));
    }
    if let Some(l) = &s.location {
        event.location(l);
    }
    let names: Vec<&str> = with.iter().map(|r| r.name.as_str()).collect();
    if !names.is_empty() {
        event.description(&format!("With {}", names.join(", ")));
    }
    event.status(if cancelled {
        icalendar::EventStatus::Cancelled
    } else {
        icalendar::EventStatus::Confirmed
    });
    let mut cal = icalendar::Calendar::new();
    cal.append_property(("METHOD", if cancelled { "CANCEL" } else { "REQUEST" }));
    cal.push(event.done());
    cal.done().to_string()
}

/// Queues an email about `a` to its contact (when it has an address and accepts email), with
/// the appointment's `.ics`.
async fn invite(
    db: &impl ConnectionTrait,
    a: &appointment::Model,
    s: &svc::Model,
    with: &[resource::Model],
    subject: String,
    body: String,
) -> Result<(), Error> {
    let Some(to) = reachable(db, a).await? else {
        return Ok(());
    };
    let scope = Scope::SubAccount {
        agency_id: a.agency_id,
        id: a.sub_account_id,
    };
    let from = tenancy::service::branding::sender_for(db, scope).await?;
    let method = if a.status == AppointmentStatus::Cancelled {
        "CANCEL"
    } else {
        "REQUEST"
    };
    let content = ics(a, s, with, from.as_ref().map(|f| f.address.as_str()), &to);
    mail::queue(
        db,
        mail::Email {
            owner: Owner::of(scope),
            to,
            subject,
            body,
            from,
            redact: Vec::new(),
            attachments: vec![mail::Attachment {
                filename: "invite.ics".into(),
                content_type: format!("text/calendar; method={method}; charset=utf-8"),
                content,
            }],
        },
    )
    .await?;
    Ok(())
}

/// After a booking or a move (in its transaction): the timeline entry, the confirmation with
/// its `.ics` (when the contact has an address and accepts email), and the reminder's job.
pub(crate) async fn booked(
    db: &impl ConnectionTrait,
    actor: &Actor,
    at: Entered,
    a: &appointment::Model,
    s: &svc::Model,
    with: &[resource::Model],
    moved: bool,
) -> Result<(), Error> {
    let verb = if moved { "moved to" } else { "booked for" };
    crm::service::activity::log_for(
        db,
        actor,
        at,
        a.contact_id,
        NewActivity {
            kind: ActivityKind::Meeting,
            direction: Some(Direction::Outbound),
            status: None,
            subject: Some(format!("Appointment {verb} {}", when(a))),
            body: format!("{} ({} minutes)", s.name, s.duration_minutes),
            occurred_at: None,
        },
    )
    .await?;
    let scope = at.scope();
    let subject = if moved {
        format!("Moved: {} on {}", s.name, when(a))
    } else {
        format!("Booked: {} on {}", s.name, when(a))
    };
    let body = format!(
        "Your appointment for {} is {verb} {}.\n\nThe invitation is attached.\n",
        s.name,
        when(a)
    );
    invite(db, a, s, with, subject, body).await?;
    if let Some(at_time) = crate::service::appointment::reminder_at(a, s)
        && at_time > Utc::now()
    {
        jobs::enqueue(
            db,
            NewJob::new(
                REMINDER,
                Owner::of(scope),
                json!({ "appointment_id": a.id, "starts_at": a.starts_at.to_rfc3339() }),
            )
            .at(at_time)
            .key(format!(
                "reminder:{}:{}",
                a.id,
                a.updated_at.timestamp_micros()
            )),
        )
        .await?;
    }
    Ok(())
}

/// After a cancellation (in its transaction): the timeline says so, and the contact gets the
/// `.ics` that takes it off their calendar. Its reminder finds it closed and does nothing.
pub(crate) async fn cancelled(
    db: &impl ConnectionTrait,
    actor: &Actor,
    a: &appointment::Model,
    s: &svc::Model,
) -> Result<(), Error> {
    let at = Entered {
        agency_id: a.agency_id,
        sub_account_id: a.sub_account_id,
    };
    crm::service::activity::log_for(
        db,
        actor,
        at,
        a.contact_id,
        NewActivity {
            kind: ActivityKind::Meeting,
            direction: Some(Direction::Outbound),
            status: None,
            subject: Some(format!("Appointment of {} cancelled", when(a))),
            body: a.cancel_reason.clone().unwrap_or_default(),
            occurred_at: None,
        },
    )
    .await?;
    let subject = format!("Cancelled: {} on {}", s.name, when(a));
    let body = format!(
        "Your appointment for {} on {} is cancelled.\n",
        s.name,
        when(a)
    );
    invite(db, a, s, &[], subject, body).await
}

/// The contact's address, if it has one and accepts email.
async fn reachable(
    db: &impl ConnectionTrait,
    a: &appointment::Model,
) -> Result<Option<String>, Error> {
    Ok(
        crm::entity::contact::Entity::find_by_id((a.agency_id, a.contact_id))
            .one(db)
            .await?
            .filter(|c| c.deleted_at.is_none() && !c.dnd_email)
            .and_then(|c| c.email),
    )
}

async fn remind(run: JobRun) -> JobResult {
    let Owner::SubAccount { agency_id, .. } = run.owner else {
        return Err(JobError::Fail("a reminder belongs to a sub-account".into()));
    };
    let id: Uuid = run
        .payload
        .get("appointment_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| JobError::Fail("the payload names no appointment_id".into()))?;
    let planned: Option<DateTime<Utc>> = run
        .payload
        .get("starts_at")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok());
    let txn = kernel::db::begin_write(&run.db).await?;
    kernel::db::set_tenant(&txn, TenantGuard::Agency(agency_id)).await?;
    let outcome = remind_in(&txn, agency_id, id, planned).await?;
    txn.commit().await?;
    Ok(outcome)
}

async fn remind_in(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    id: Uuid,
    planned: Option<DateTime<Utc>>,
) -> Result<serde_json::Value, Error> {
    let skipped = |why: &str| Ok(json!({ "reminded": false, "why": why }));
    let Some(a) = appointment::Entity::find_by_id((agency_id, id))
        .one(db)
        .await?
    else {
        return skipped("the appointment is gone");
    };
    if !matches!(
        a.status,
        AppointmentStatus::Scheduled | AppointmentStatus::Confirmed
    ) {
        return skipped("the appointment is closed");
    }
    if planned != Some(a.starts_at) {
        return skipped("the appointment moved");
    }
    if a.starts_at <= Utc::now() {
        return skipped("the appointment has started");
    }
    // Sent once: whoever marks it first sends it.
    let won = appointment::Entity::update_many()
        .col_expr(appointment::Column::RemindedAt, Expr::value(Utc::now()))
        .filter(appointment::Column::AgencyId.eq(agency_id))
        .filter(appointment::Column::Id.eq(id))
        .filter(appointment::Column::RemindedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !won {
        return skipped("already reminded");
    }
    let Some(s) = svc::Entity::find_by_id((agency_id, a.service_id))
        .one(db)
        .await?
    else {
        return skipped("the service is gone");
    };
    let Some(to) = reachable(db, &a).await? else {
        return skipped("the contact has no address or accepts no email");
    };
    let scope = Scope::SubAccount {
        agency_id,
        id: a.sub_account_id,
    };
    mail::queue(
        db,
        mail::Email {
            owner: Owner::of(scope),
            to,
            subject: format!("Reminder: {} on {}", s.name, when(&a)),
            body: format!(
                "This is a reminder of your appointment for {} on {}.\n",
                s.name,
                when(&a)
            ),
            from: tenancy::service::branding::sender_for(db, scope).await?,
            redact: Vec::new(),
            attachments: Vec::new(),
        },
    )
    .await?;
    Ok(json!({ "reminded": true }))
}
