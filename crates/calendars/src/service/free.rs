//! The free-slots query, and what it and a booking both read: the hours and holds of a
//! service's resources over a range.

use super::offering;
use crate::entity::resource::ResourceKind;
use crate::entity::{exception, hold, offering as svc, resource};
use crate::hours;
use crate::slots::{self, Availability, Busy, Taken};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, HashMap};
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// The widest range one free-slots query covers.
pub const MAX_RANGE_DAYS: i64 = 62;
/// Most slots one query returns.
pub const MAX_SLOTS: usize = 2_000;

/// The hours and holds of some resources around a range.
pub(crate) struct Calendar {
    /// Each resource's availability.
    pub avail: HashMap<Uuid, Availability>,
    /// Each resource's active holds.
    pub busy: HashMap<Uuid, Vec<Busy>>,
}

impl Calendar {
    /// Reads the hours and the active holds (but those of `except`, an appointment being
    /// moved) of `resources` between `from` and `to`, a day of margin either side.
    pub async fn load(
        db: &impl ConnectionTrait,
        agency_id: Uuid,
        resources: &[resource::Model],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        except: Option<Uuid>,
    ) -> Result<Self, Error> {
        let ids: Vec<Uuid> = resources.iter().map(|r| r.id).collect();
        let margin = Duration::days(2);
        let (lo, hi) = (from - margin, to + margin);
        let xs = exception::Entity::find()
            .filter(exception::Column::AgencyId.eq(agency_id))
            .filter(exception::Column::ResourceId.is_in(ids.clone()))
            .filter(exception::Column::Day.gte(lo.date_naive()))
            .filter(exception::Column::Day.lte(hi.date_naive()))
            .all(db)
            .await?;
        let mut q = hold::Entity::find()
            .filter(hold::Column::AgencyId.eq(agency_id))
            .filter(hold::Column::ResourceId.is_in(ids))
            .filter(hold::Column::Active.eq(true))
            .filter(hold::Column::HeldFrom.lt(hi))
            .filter(hold::Column::HeldTo.gt(lo));
        if let Some(a) = except {
            q = q.filter(hold::Column::AppointmentId.ne(a));
        }
        let holds = q.all(db).await?;
        let mut busy: HashMap<Uuid, Vec<Busy>> = HashMap::new();
        for h in holds {
            busy.entry(h.resource_id).or_default().push(Busy {
                start: h.held_from,
                end: h.held_to,
            });
        }
        let avail = resources
            .iter()
            .map(|r| {
                let zone: Tz = r.time_zone.parse().unwrap_or(Tz::UTC);
                let mine: Vec<_> = xs
                    .iter()
                    .filter(|x| x.resource_id == r.id)
                    .map(|x| (x.day, &x.windows))
                    .collect();
                (r.id, hours::availability(zone, &r.weekly, &mine))
            })
            .collect();
        Ok(Self { avail, busy })
    }

    /// The resource's holds.
    pub fn busy(&self, id: Uuid) -> &[Busy] {
        self.busy.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A free slot: when, and the staff free then.
#[derive(Debug, Clone)]
pub struct Slot {
    /// Its start (UTC).
    pub start: DateTime<Utc>,
    /// Its end (UTC).
    pub end: DateTime<Utc>,
    /// The staff free for it (every kind the service needs has one free).
    pub staff: Vec<Uuid>,
}

/// The resources of a service grouped by kind, restricted to `staff` when given.
pub(crate) fn by_kind(
    resources: Vec<resource::Model>,
    staff: Option<Uuid>,
) -> BTreeMap<&'static str, Vec<resource::Model>> {
    let mut out: BTreeMap<&'static str, Vec<resource::Model>> = BTreeMap::new();
    for r in resources {
        if r.kind == ResourceKind::Staff && staff.is_some_and(|s| s != r.id) {
            continue;
        }
        let key = match r.kind {
            ResourceKind::Staff => "staff",
            ResourceKind::Room => "room",
            ResourceKind::Equipment => "equipment",
        };
        out.entry(key).or_default().push(r);
    }
    out
}

/// The free slots of a service from `from` until before `to` (`CALENDARS_READ`): starts
/// stepped by its interval from each window's start of its staff (or of the first kind it needs),
/// within its notice and horizon, where one resource of every kind the service needs (one of
/// `staff` when given) is within its hours and free with the service's buffers. An end before
/// the start, a range past [`MAX_RANGE_DAYS`] or outside 1970 to 2200 is `INVALID`.
pub async fn slots(
    db: &impl ConnectionTrait,
    actor: &Actor,
    service_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    staff: Option<Uuid>,
) -> Result<Vec<Slot>, Error> {
    let s: svc::Model =
        guard::load_where::<svc::Entity>(db, actor, service_id, Access::Read, |s| {
            s.archived_at.is_none()
        })
        .await?;
    check_range(from, to)?;
    free_of(db, &s, from, to, staff, Utc::now()).await
}

/// The earliest instant a range may name.
pub fn earliest() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default()
}

/// The latest instant a range may name (1 January 2200).
pub fn latest() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(7_258_118_400, 0).unwrap_or_default()
}

/// `to` after `from`, at most [`MAX_RANGE_DAYS`] apart, both between 1970 and 2200.
pub fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), Error> {
    if from < earliest() || to > latest() {
        return Err(Error::User(vec![UserError::new(
            "from",
            UserErrorCode::Invalid,
            "a range lies between 1970 and 2200",
        )]));
    }
    if to <= from {
        return Err(Error::User(vec![UserError::new(
            "to",
            UserErrorCode::Invalid,
            "the range ends after it starts",
        )]));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(Error::User(vec![UserError::new(
            "to",
            UserErrorCode::Invalid,
            format!("a range covers at most {MAX_RANGE_DAYS} days"),
        )]));
    }
    Ok(())
}

/// The free slots of a service the caller has loaded (see [`slots`]).
pub(crate) async fn free_of(
    db: &impl ConnectionTrait,
    s: &svc::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    staff: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<Slot>, Error> {
    let all = offering::resources(db, s).await?;
    if staff.is_some_and(|id| {
        !all.iter()
            .any(|r| r.id == id && r.kind == ResourceKind::Staff)
    }) {
        return Err(Error::User(vec![UserError::new(
            "staffId",
            UserErrorCode::Invalid,
            "not one of the staff who give this service",
        )]));
    }
    let groups = by_kind(all, staff);
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let resources: Vec<resource::Model> = groups.values().flatten().cloned().collect();
    let cal = Calendar::load(db, s.agency_id, &resources, from, to, None).await?;
    let rules = super::rules(s);
    let taken: HashMap<Uuid, Taken> = resources
        .iter()
        .map(|r| (r.id, Taken::new(cal.busy(r.id))))
        .collect();
    // The grid comes from the staff (or the first kind the service needs); every other kind
    // needs one resource within its hours and free at each start, wherever its windows begin.
    let primary = if groups.contains_key("staff") {
        "staff"
    } else {
        groups.keys().next().copied().unwrap_or("staff")
    };
    let mut starts: BTreeMap<DateTime<Utc>, Vec<Uuid>> = BTreeMap::new();
    for r in groups.get(primary).into_iter().flatten() {
        let Some(av) = cal.avail.get(&r.id) else {
            continue;
        };
        for t in slots::free(av, cal.busy(r.id), &rules, from, to, now, MAX_SLOTS * 4) {
            starts.entry(t).or_default().push(r.id);
        }
    }
    let others: Vec<&Vec<resource::Model>> = groups
        .iter()
        .filter(|(k, _)| **k != primary)
        .map(|(_, v)| v)
        .collect();
    let mut out = Vec::new();
    for (t, ids) in starts {
        if out.len() >= MAX_SLOTS {
            break;
        }
        let (held_from, held_to) = (
            t - rules.buffer_before,
            t + rules.duration + rules.buffer_after,
        );
        let served = others.iter().all(|rs| {
            rs.iter().any(|r| {
                cal.avail
                    .get(&r.id)
                    .is_some_and(|av| slots::fits_hours(av, &rules, t).is_ok())
                    && !taken
                        .get(&r.id)
                        .is_some_and(|b| b.overlaps(held_from, held_to))
            })
        });
        if served {
            out.push(Slot {
                start: t,
                end: t + rules.duration,
                staff: if primary == "staff" { ids } else { Vec::new() },
            });
        }
    }
    Ok(out)
}
