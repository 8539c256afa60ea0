//! Services (what clients book): create, update, archive, list, and the resources that give
//! each. Setting them up needs `CALENDARS_MANAGE`.

use super::{check_name, check_range, fail_if};
use crate::entity::offering::{self as svc, LocationKind};
use crate::entity::{offering_resource as link, resource};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;
use std::collections::HashSet;
use tenancy::guard::{self, Access, Entered};
use uuid::Uuid;

/// Most services in one sub-account.
pub const MAX_SERVICES: u64 = 500;
/// Most resources giving one service.
pub const MAX_SERVICE_RESOURCES: usize = 100;

/// A service's settings (on create all are given; on update, absent ones stay).
#[derive(Debug, Clone, Default)]
pub struct ServiceFields {
    /// Its name.
    pub name: Option<String>,
    /// What it is.
    pub description: Option<String>,
    /// How long it lasts, in minutes (5 to 1,440).
    pub duration_minutes: Option<i32>,
    /// Minutes kept free before it (0 to 720).
    pub buffer_before_minutes: Option<i32>,
    /// Minutes kept free after it (0 to 720).
    pub buffer_after_minutes: Option<i32>,
    /// Minutes between offered starts (5 to 1,440; by default its duration).
    pub interval_minutes: Option<i32>,
    /// The least minutes between booking and start (0 to a year).
    pub min_notice_minutes: Option<i32>,
    /// How many days ahead it can be booked (1 to 730).
    pub horizon_days: Option<i32>,
    /// Its price in the currency's minor unit (cents).
    pub price_minor: Option<i64>,
    /// ISO 4217 code (`USD`).
    pub currency: Option<String>,
    /// In person or online.
    pub location_kind: Option<LocationKind>,
    /// The address or meeting link (`Some("")` clears it).
    pub location: Option<String>,
    /// Minutes before the start a reminder goes out (`Some(None)`: none).
    pub reminder_minutes: Option<Option<i32>>,
    /// The resources that give it (replacing them all).
    pub resource_ids: Option<Vec<Uuid>>,
}

/// A service the actor may read.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<svc::Model, Error> {
    guard::load::<svc::Entity>(db, actor, id, Access::Read).await
}

/// The services of a sub-account, by name (archived ones only when asked).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    archived: bool,
) -> Result<Vec<svc::Model>, Error> {
    let at = guard::enter::<svc::Entity>(db, actor, sub_account_id, Access::Read).await?;
    let mut q = svc::Entity::find()
        .filter(svc::Column::AgencyId.eq(at.agency_id))
        .filter(svc::Column::SubAccountId.eq(at.sub_account_id));
    if !archived {
        q = q.filter(svc::Column::ArchivedAt.is_null());
    }
    Ok(q.order_by_asc(svc::Column::Name)
        .order_by_asc(svc::Column::Id)
        .all(db)
        .await?)
}

/// The live resources that give a service (those archived since are left out), by kind and
/// name.
pub async fn resources(
    db: &impl ConnectionTrait,
    s: &svc::Model,
) -> Result<Vec<resource::Model>, Error> {
    let ids: Vec<Uuid> = link::Entity::find()
        .filter(link::Column::AgencyId.eq(s.agency_id))
        .filter(link::Column::ServiceId.eq(s.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.resource_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(resource::Entity::find()
        .filter(resource::Column::AgencyId.eq(s.agency_id))
        .filter(resource::Column::Id.is_in(ids))
        .filter(resource::Column::ArchivedAt.is_null())
        .order_by_asc(resource::Column::Kind)
        .order_by_asc(resource::Column::Name)
        .order_by_asc(resource::Column::Id)
        .all(db)
        .await?)
}

fn check(errors: &mut Vec<UserError>, m: &mut svc::ActiveModel, f: &ServiceFields) {
    if let Some(n) = &f.name {
        m.name = Set(check_name(errors, "input.name", n, 200));
    }
    if let Some(d) = &f.description {
        let d = d.trim();
        if d.chars().count() > 5_000 {
            errors.push(UserError::new(
                "input.description",
                UserErrorCode::TooLong,
                "at most 5,000 characters",
            ));
        }
        m.description = Set((!d.is_empty()).then(|| d.to_owned()));
    }
    let mut minutes = |v: Option<i32>, field: &str, min: i32, max: i32| {
        v.map(|v| check_range(errors, field, v, min, max, "minutes"))
    };
    if let Some(v) = minutes(f.duration_minutes, "input.durationMinutes", 5, 1_440) {
        m.duration_minutes = Set(v);
    }
    if let Some(v) = minutes(f.buffer_before_minutes, "input.bufferBeforeMinutes", 0, 720) {
        m.buffer_before_minutes = Set(v);
    }
    if let Some(v) = minutes(f.buffer_after_minutes, "input.bufferAfterMinutes", 0, 720) {
        m.buffer_after_minutes = Set(v);
    }
    if let Some(v) = minutes(f.interval_minutes, "input.intervalMinutes", 5, 1_440) {
        m.interval_minutes = Set(v);
    }
    if let Some(v) = minutes(f.min_notice_minutes, "input.minNoticeMinutes", 0, 525_600) {
        m.min_notice_minutes = Set(v);
    }
    if let Some(Some(v)) = f.reminder_minutes {
        check_range(errors, "input.reminderMinutes", v, 5, 10_080, "minutes");
    }
    if let Some(r) = f.reminder_minutes {
        m.reminder_minutes = Set(r);
    }
    if let Some(v) = f.horizon_days {
        m.horizon_days = Set(check_range(errors, "input.horizonDays", v, 1, 730, "days"));
    }
    if let Some(p) = f.price_minor {
        if !(0..=1_000_000_000_000).contains(&p) {
            errors.push(UserError::new(
                "input.priceMinor",
                UserErrorCode::Invalid,
                "0 up to 10^12 minor units",
            ));
        }
        m.price_minor = Set(p);
    }
    if let Some(c) = &f.currency {
        let c = c.trim().to_ascii_uppercase();
        if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
            errors.push(UserError::new(
                "input.currency",
                UserErrorCode::Invalid,
                "an ISO 4217 code such as USD",
            ));
        }
        m.currency = Set(c);
    }
    if let Some(k) = f.location_kind {
        m.location_kind = Set(k);
    }
    if let Some(l) = &f.location {
        let l = l.trim();
        if l.chars().count() > 500 || l.chars().any(char::is_control) {
            errors.push(UserError::new(
                "input.location",
                UserErrorCode::Invalid,
                "one line of at most 500 characters",
            ));
        }
        m.location = Set((!l.is_empty()).then(|| l.to_owned()));
    }
}

/// Checks that `ids` are live resources of the sub-account (`input.resourceIds`), at most
/// [`MAX_SERVICE_RESOURCES`].
async fn check_resources(
    db: &impl ConnectionTrait,
    errors: &mut Vec<UserError>,
    at: Entered,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, Error> {
    let unique: Vec<Uuid> = {
        let mut seen = HashSet::new();
        ids.iter().copied().filter(|i| seen.insert(*i)).collect()
    };
    if unique.len() > MAX_SERVICE_RESOURCES {
        errors.push(UserError::new(
            "input.resourceIds",
            UserErrorCode::LimitReached,
            format!("at most {MAX_SERVICE_RESOURCES} resources give a service"),
        ));
        return Ok(unique);
    }
    if unique.is_empty() {
        return Ok(unique);
    }
    let found = resource::Entity::find()
        .filter(resource::Column::AgencyId.eq(at.agency_id))
        .filter(resource::Column::SubAccountId.eq(at.sub_account_id))
        .filter(resource::Column::ArchivedAt.is_null())
        .filter(resource::Column::Id.is_in(unique.clone()))
        .count(db)
        .await?;
    if found as usize != unique.len() {
        errors.push(UserError::new(
            "input.resourceIds",
            UserErrorCode::Invalid,
            "every resource must be a live resource of the service's sub-account",
        ));
    }
    Ok(unique)
}

async fn link_resources(
    db: &impl ConnectionTrait,
    s: &svc::Model,
    ids: &[Uuid],
) -> Result<(), Error> {
    link::Entity::delete_many()
        .filter(link::Column::AgencyId.eq(s.agency_id))
        .filter(link::Column::ServiceId.eq(s.id))
        .exec(db)
        .await?;
    let now = Utc::now();
    let rows: Vec<link::ActiveModel> = ids
        .iter()
        .map(|r| link::ActiveModel {
            agency_id: Set(s.agency_id),
            id: Set(new_uuid()),
            sub_account_id: Set(s.sub_account_id),
            service_id: Set(s.id),
            resource_id: Set(*r),
            created_at: Set(now),
        })
        .collect();
    link::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Creates a service in a sub-account, given by `resource_ids` (a booking takes one resource of
/// each kind listed: one of its staff, and one of its rooms if it lists rooms).
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    f: ServiceFields,
) -> Result<svc::Model, Error> {
    let at = guard::enter::<svc::Entity>(db, actor, sub_account_id, Access::Write).await?;
    let now = Utc::now();
    let duration = f.duration_minutes.unwrap_or(30);
    let mut m = svc::ActiveModel {
        agency_id: Set(at.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(at.sub_account_id),
        name: Set(String::new()),
        description: Set(None),
        duration_minutes: Set(duration),
        buffer_before_minutes: Set(0),
        buffer_after_minutes: Set(0),
        interval_minutes: Set(duration.clamp(5, 1_440)),
        min_notice_minutes: Set(0),
        horizon_days: Set(60),
        price_minor: Set(0),
        currency: Set("USD".into()),
        location_kind: Set(LocationKind::InPerson),
        location: Set(None),
        reminder_minutes: Set(Some(1_440)),
        booking_token: Set(None),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let mut errors = Vec::new();
    if f.name.is_none() {
        errors.push(UserError::new(
            "input.name",
            UserErrorCode::Invalid,
            "a service has a name",
        ));
    }
    check(&mut errors, &mut m, &f);
    let ids = check_resources(
        db,
        &mut errors,
        at,
        f.resource_ids.as_deref().unwrap_or(&[]),
    )
    .await?;
    let count = svc::Entity::find()
        .filter(svc::Column::AgencyId.eq(at.agency_id))
        .filter(svc::Column::SubAccountId.eq(at.sub_account_id))
        .filter(svc::Column::ArchivedAt.is_null())
        .count(db)
        .await?;
    if count >= MAX_SERVICES {
        errors.push(UserError::new(
            "input",
            UserErrorCode::LimitReached,
            format!("a sub-account has at most {MAX_SERVICES} services"),
        ));
    }
    fail_if(errors)?;
    let s = m.insert(db).await?;
    link_resources(db, &s, &ids).await?;
    guard::record(db, actor, &s, EventType::CalendarServiceCreated, json!({})).await?;
    Ok(s)
}

/// Changes a service. Booked appointments keep their times and price; the change applies to
/// new bookings.
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    f: ServiceFields,
) -> Result<svc::Model, Error> {
    let s =
        guard::load_where::<svc::Entity>(db, actor, id, Access::Write, |s| s.archived_at.is_none())
            .await?;
    let at = Entered {
        agency_id: s.agency_id,
        sub_account_id: s.sub_account_id,
    };
    // Changes of one service queue behind each other (PostgreSQL; SQLite serialises), so two
    // replacements of its resources never both insert.
    kernel::db::lock(db, &format!("calendar-service:{}", s.id)).await?;
    let mut errors = Vec::new();
    let mut m: svc::ActiveModel = s.into();
    check(&mut errors, &mut m, &f);
    let ids = match &f.resource_ids {
        Some(ids) => Some(check_resources(db, &mut errors, at, ids).await?),
        None => None,
    };
    fail_if(errors)?;
    m.updated_at = Set(Utc::now());
    let s = m.update(db).await?;
    if let Some(ids) = ids {
        link_resources(db, &s, &ids).await?;
    }
    guard::record(db, actor, &s, EventType::CalendarServiceUpdated, json!({})).await?;
    Ok(s)
}

/// Archives a service: it is offered no more; its appointments stay.
pub async fn archive(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<svc::Model, Error> {
    let s =
        guard::load_where::<svc::Entity>(db, actor, id, Access::Write, |s| s.archived_at.is_none())
            .await?;
    let mut m: svc::ActiveModel = s.into();
    m.archived_at = Set(Some(Utc::now()));
    m.updated_at = Set(Utc::now());
    let s = m.update(db).await?;
    guard::record(db, actor, &s, EventType::CalendarServiceArchived, json!({})).await?;
    Ok(s)
}
