//! Bookable resources (staff, rooms, equipment): create, update, archive, list, and their
//! dated exceptions. Setting them up needs `CALENDARS_MANAGE`.

use super::{check_name, fail_if};
use crate::entity::{exception, hold, resource};
use crate::hours::{self, Given};
use chrono::{NaiveDate, Utc};
use kernel::auth::{Actor, Permission};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use resource::ResourceKind;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Most resources in one sub-account.
pub const MAX_RESOURCES: u64 = 500;
/// Most dated exceptions of one resource.
pub const MAX_EXCEPTIONS: u64 = 1_000;

/// A resource to create.
#[derive(Debug, Clone)]
pub struct NewResource {
    /// Staff, room or equipment.
    pub kind: ResourceKind,
    /// Its name.
    pub name: String,
    /// Where to reach it (staff).
    pub email: Option<String>,
    /// The member it is (staff with a login).
    pub user_id: Option<Uuid>,
    /// Its IANA zone.
    pub time_zone: String,
    /// Its weekly hours.
    pub weekly: Vec<Given>,
}

/// Changes to a resource (absent: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ResourcePatch {
    /// A new name.
    pub name: Option<String>,
    /// A new address (`Some("")` clears it).
    pub email: Option<String>,
    /// A new zone.
    pub time_zone: Option<String>,
    /// New weekly hours (replacing them all).
    pub weekly: Option<Vec<Given>>,
}

fn check_email(errors: &mut Vec<UserError>, email: &str) -> Option<String> {
    let e = email.trim();
    if e.is_empty() {
        return None;
    }
    if !email_address::EmailAddress::is_valid(e) || e.len() > 320 {
        errors.push(UserError::new(
            "input.email",
            UserErrorCode::Invalid,
            "not an email address",
        ));
    }
    Some(e.to_owned())
}

/// A resource the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<resource::Model, Error> {
    guard::load::<resource::Entity>(db, actor, id, Access::Read).await
}

/// The resources of a sub-account, by kind and name (archived ones only when asked).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    kind: Option<ResourceKind>,
    archived: bool,
) -> Result<Vec<resource::Model>, Error> {
    let at = guard::enter::<resource::Entity>(db, actor, sub_account_id, Access::Read).await?;
    let mut q = resource::Entity::find()
        .filter(resource::Column::AgencyId.eq(at.agency_id))
        .filter(resource::Column::SubAccountId.eq(at.sub_account_id));
    if let Some(k) = kind {
        q = q.filter(resource::Column::Kind.eq(k));
    }
    if !archived {
        q = q.filter(resource::Column::ArchivedAt.is_null());
    }
    Ok(q.order_by_asc(resource::Column::Kind)
        .order_by_asc(resource::Column::Name)
        .order_by_asc(resource::Column::Id)
        .all(db)
        .await?)
}

/// Creates a bookable resource in a sub-account. Staff with a login name the member
/// (`userId`), who must work in the sub-account.
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    new: NewResource,
) -> Result<resource::Model, Error> {
    let at = guard::enter::<resource::Entity>(db, actor, sub_account_id, Access::Write).await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", &new.name, 200);
    let email = new
        .email
        .as_deref()
        .and_then(|e| check_email(&mut errors, e));
    hours::zone(&mut errors, "input.timeZone", &new.time_zone);
    let weekly = hours::check_windows(&mut errors, "input.weekly", &new.weekly);
    if new.weekly.iter().any(|w| w.weekday.is_none()) {
        errors.push(UserError::new(
            "input.weekly",
            UserErrorCode::Invalid,
            "each weekly window names its weekday",
        ));
    }
    if let Some(u) = new.user_id {
        if new.kind != ResourceKind::Staff {
            errors.push(UserError::new(
                "input.userId",
                UserErrorCode::Invalid,
                "only staff are members",
            ));
        } else if !tenancy::user_can(db, u, Permission::CalendarsRead, at.scope()).await? {
            errors.push(UserError::new(
                "input.userId",
                UserErrorCode::Invalid,
                "not a member who works in this sub-account",
            ));
        }
    }
    let count = resource::Entity::find()
        .filter(resource::Column::AgencyId.eq(at.agency_id))
        .filter(resource::Column::SubAccountId.eq(at.sub_account_id))
        .filter(resource::Column::ArchivedAt.is_null())
        .count(db)
        .await?;
    if count >= MAX_RESOURCES {
        errors.push(UserError::new(
            "input",
            UserErrorCode::LimitReached,
            format!(
                "a sub-account has at most {MAX_RESOURCES} bookable resources (archived ones aside)"
            ),
        ));
    }
    fail_if(errors)?;
    let now = Utc::now();
    let r = resource::ActiveModel {
        agency_id: Set(at.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(at.sub_account_id),
        kind: Set(new.kind),
        name: Set(name),
        email: Set(email),
        user_id: Set(new.user_id),
        time_zone: Set(new.time_zone.trim().to_owned()),
        weekly: Set(weekly),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    guard::record(
        db,
        actor,
        &r,
        EventType::CalendarResourceCreated,
        json!({ "kind": r.kind }),
    )
    .await?;
    Ok(r)
}

/// Changes a resource's name, address, zone or weekly hours. Booked appointments stay as they
/// are; new hours apply to new bookings.
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    patch: ResourcePatch,
) -> Result<resource::Model, Error> {
    let r = guard::load_where::<resource::Entity>(db, actor, id, Access::Write, |r| {
        r.archived_at.is_none()
    })
    .await?;
    let mut errors = Vec::new();
    let mut m: resource::ActiveModel = r.into();
    if let Some(n) = &patch.name {
        m.name = Set(check_name(&mut errors, "input.name", n, 200));
    }
    if let Some(e) = &patch.email {
        m.email = Set(check_email(&mut errors, e));
    }
    if let Some(z) = &patch.time_zone {
        hours::zone(&mut errors, "input.timeZone", z);
        m.time_zone = Set(z.trim().to_owned());
    }
    if let Some(w) = &patch.weekly {
        if w.iter().any(|w| w.weekday.is_none()) {
            errors.push(UserError::new(
                "input.weekly",
                UserErrorCode::Invalid,
                "each weekly window names its weekday",
            ));
        }
        m.weekly = Set(hours::check_windows(&mut errors, "input.weekly", w));
    }
    fail_if(errors)?;
    m.updated_at = Set(Utc::now());
    let r = m.update(db).await?;
    guard::record(db, actor, &r, EventType::CalendarResourceUpdated, json!({})).await?;
    Ok(r)
}

/// Archives a resource: it is offered no more. Refused (`IN_USE`) while it holds upcoming
/// appointments: move or cancel them first.
pub async fn archive(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<resource::Model, Error> {
    let r = guard::load_where::<resource::Entity>(db, actor, id, Access::Write, |r| {
        r.archived_at.is_none()
    })
    .await?;
    let upcoming = hold::Entity::find()
        .filter(hold::Column::AgencyId.eq(r.agency_id))
        .filter(hold::Column::ResourceId.eq(r.id))
        .filter(hold::Column::Active.eq(true))
        .filter(hold::Column::HeldTo.gt(Utc::now()))
        .count(db)
        .await?;
    if upcoming > 0 {
        return Err(Error::user(
            "id",
            UserErrorCode::InUse,
            format!("it holds {upcoming} upcoming appointment(s): reschedule or cancel them first"),
        ));
    }
    let mut m: resource::ActiveModel = r.into();
    m.archived_at = Set(Some(Utc::now()));
    m.updated_at = Set(Utc::now());
    let r = m.update(db).await?;
    guard::record(
        db,
        actor,
        &r,
        EventType::CalendarResourceArchived,
        json!({}),
    )
    .await?;
    Ok(r)
}

/// The resource's dated exceptions from `from` on (the first [`MAX_EXCEPTIONS`]), by date.
pub async fn exceptions(
    db: &impl ConnectionTrait,
    r: &resource::Model,
    from: Option<NaiveDate>,
) -> Result<Vec<exception::Model>, Error> {
    let mut q = exception::Entity::find()
        .filter(exception::Column::AgencyId.eq(r.agency_id))
        .filter(exception::Column::ResourceId.eq(r.id));
    if let Some(f) = from {
        q = q.filter(exception::Column::Day.gte(f));
    }
    Ok(q.order_by_asc(exception::Column::Day)
        .limit(MAX_EXCEPTIONS)
        .all(db)
        .await?)
}

/// Sets a resource's hours on one local date (no window: closed that day), replacing its weekly
/// hours there. `windows: None` removes the exception (the weekly hours apply again).
pub async fn set_exception(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    day: NaiveDate,
    windows: Option<Vec<Given>>,
) -> Result<resource::Model, Error> {
    let r = guard::load_where::<resource::Entity>(db, actor, id, Access::Write, |r| {
        r.archived_at.is_none()
    })
    .await?;
    if !(crate::service::free::earliest().date_naive()..crate::service::free::latest().date_naive())
        .contains(&day)
    {
        return Err(Error::user(
            "date",
            UserErrorCode::Invalid,
            "a date between 1970 and 2200",
        ));
    }
    // Changes of one resource's exceptions queue behind each other (PostgreSQL; SQLite
    // serialises), so two sets of one date never both insert.
    kernel::db::lock(db, &format!("calendar-resource:{}", r.id)).await?;
    let existing = exception::Entity::find()
        .filter(exception::Column::AgencyId.eq(r.agency_id))
        .filter(exception::Column::ResourceId.eq(r.id))
        .filter(exception::Column::Day.eq(day))
        .one(db)
        .await?;
    match windows {
        None => {
            if let Some(x) = existing {
                exception::Entity::delete_by_id((x.agency_id, x.id))
                    .exec(db)
                    .await?;
            }
        }
        Some(ws) => {
            let mut errors = Vec::new();
            let stored = hours::check_windows(&mut errors, "windows", &ws);
            if ws.iter().any(|w| w.weekday.is_some()) {
                errors.push(UserError::new(
                    "windows",
                    UserErrorCode::Invalid,
                    "a date's windows name no weekday",
                ));
            }
            if existing.is_none() {
                let n = exception::Entity::find()
                    .filter(exception::Column::AgencyId.eq(r.agency_id))
                    .filter(exception::Column::ResourceId.eq(r.id))
                    .filter(exception::Column::Day.gte(Utc::now().date_naive()))
                    .count(db)
                    .await?;
                if n >= MAX_EXCEPTIONS {
                    errors.push(UserError::new(
                        "date",
                        UserErrorCode::LimitReached,
                        format!("a resource has at most {MAX_EXCEPTIONS} dated exceptions to come"),
                    ));
                }
            }
            fail_if(errors)?;
            match existing {
                Some(x) => {
                    let mut m: exception::ActiveModel = x.into();
                    m.windows = Set(stored);
                    m.update(db).await?;
                }
                None => {
                    exception::ActiveModel {
                        agency_id: Set(r.agency_id),
                        id: Set(new_uuid()),
                        sub_account_id: Set(r.sub_account_id),
                        resource_id: Set(r.id),
                        day: Set(day),
                        windows: Set(stored),
                        created_at: Set(Utc::now()),
                    }
                    .insert(db)
                    .await?;
                }
            }
        }
    }
    guard::record(
        db,
        actor,
        &r,
        EventType::CalendarResourceUpdated,
        json!({ "exception": day.to_string() }),
    )
    .await?;
    Ok(r)
}
