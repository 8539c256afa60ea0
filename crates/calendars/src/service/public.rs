//! A service's public booking page: its free slots and a booking, with no sign-in, for a
//! booking widget on the sub-account's own sites or for any server. The gateway serves it at
//! `/book/<token>` (`crates/gateway/src/booking.rs`).
//!
//! Architecture Invariant: a service is reached by the public only by its own random token,
//! only while it is bookable (a token set, not archived) and its agency and sub-account are live.
//! The token is the only thing read before the tenant is known
//! (`kernel::db::Opening::BookingToken`); everything else is read in that tenant, and the booking
//! goes through the same services as a member's (`crm::service::intake`, [`appointment::book`])
//! as Canopy inside that one tenant (`Actor::system_in`). A browser may call it only from one
//! of the sub-account's embed domains; a call without an `Origin` (a server) may too.

use super::appointment::{self, NewBooking};
use super::free::{self, Slot};
use crate::entity::appointment::BookedVia;
use crate::entity::offering as svc;
use chrono::{DateTime, Utc};
use crm::entity::contact::ContactSource;
use crm::service::contact::ContactFields;
use kernel::auth::Actor;
use kernel::db::{Opening, TenantGuard};
use kernel::error::{Error, UserError};
use kernel::event::EventType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// A booking token's length (32 random bytes, URL-safe base64).
pub const TOKEN_LEN: usize = 43;

/// Whether `token` has the shape of a booking token (so nothing else reaches the database).
pub fn is_token(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Turns a service's public booking page on, with a new token (an old one stops working), or
/// off (`CALENDARS_MANAGE`).
pub async fn set_bookable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    on: bool,
) -> Result<svc::Model, Error> {
    let s =
        guard::load_where::<svc::Entity>(db, actor, id, Access::Write, |s| s.archived_at.is_none())
            .await?;
    let mut m: svc::ActiveModel = s.into();
    m.booking_token = Set(on.then(|| kernel::secret::random_token(32)));
    m.updated_at = Set(Utc::now());
    let s = m.update(db).await?;
    guard::record(
        db,
        actor,
        &s,
        EventType::CalendarServiceUpdated,
        json!({ "publicBooking": on }),
    )
    .await?;
    Ok(s)
}

/// The bookable service with this token, read in its tenant; `None` for an unknown token, an
/// archived service, or a suspended or deleted tenant (all alike).
pub async fn by_token(db: &impl ConnectionTrait, token: &str) -> Result<Option<svc::Model>, Error> {
    if !is_token(token) {
        return Ok(None);
    }
    kernel::db::open(db, Opening::BookingToken(token.to_owned())).await?;
    let Some(s) = svc::Entity::find()
        .filter(svc::Column::BookingToken.eq(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    kernel::db::set_tenant(db, TenantGuard::Agency(s.agency_id)).await?;
    let online =
        tenancy::service::sub_account::is_online(db, s.agency_id, s.sub_account_id).await?;
    Ok((online && s.archived_at.is_none()).then_some(s))
}

/// Whether a page on `origin_host` may call the booking page of `s`: one of its sub-account's
/// embed domains.
pub async fn origin_allowed(
    db: &impl ConnectionTrait,
    s: &svc::Model,
    origin_host: &str,
) -> Result<bool, Error> {
    if origin_host.is_empty() {
        return Ok(false);
    }
    tenancy::service::embed_domain::allows(db, s.agency_id, s.sub_account_id, origin_host).await
}

/// The free slots of the service with this token (`NOT_FOUND` when there is none).
pub async fn slots(
    db: &impl ConnectionTrait,
    token: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(svc::Model, Vec<Slot>), Error> {
    let s = by_token(db, token).await?.ok_or(Error::NotFound)?;
    free::check_range(from, to)?;
    let slots = free::free_of(db, &s, from, to, None, Utc::now()).await?;
    Ok((s, slots))
}

/// A visitor's booking.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Email address (an address or a phone number is required).
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Notes for the business.
    pub notes: Option<String>,
    /// When (UTC).
    pub start: Option<DateTime<Utc>>,
    /// The visitor's IANA zone.
    pub time_zone: Option<String>,
    /// The host of the page that called, when a browser did (`Origin`).
    pub origin_host: Option<String>,
}

/// Books the service with this token for a visitor: `NOT_FOUND` without one, `FORBIDDEN` from a
/// browser page on a host that is not one of the sub-account's embed domains. The visitor
/// becomes a contact (or fills in the one with their address) through the CRM's intake, and the
/// booking follows a member's rules (`SLOT_TAKEN`, `SLOT_UNAVAILABLE`); problems are named by
/// the body's fields (`email`, `start`).
pub async fn book(
    db: &impl ConnectionTrait,
    token: &str,
    v: Visitor,
) -> Result<crate::entity::appointment::Model, Error> {
    let s = by_token(db, token).await?.ok_or(Error::NotFound)?;
    if let Some(o) = &v.origin_host
        && !origin_allowed(db, &s, o).await?
    {
        return Err(Error::Forbidden);
    }
    let mut errors = Vec::new();
    if v.start.is_none() {
        errors.push(UserError::new(
            "start",
            kernel::error::UserErrorCode::Invalid,
            "say when (an RFC 3339 instant)",
        ));
    }
    if v.first_name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        errors.push(UserError::new(
            "firstName",
            kernel::error::UserErrorCode::Invalid,
            "enter a name",
        ));
    }
    super::fail_if(errors)?;
    let actor = Actor::system_in(s.agency_id);
    let fields = ContactFields {
        first_name: v.first_name,
        last_name: v.last_name,
        email: v.email,
        phone: v.phone,
        ..ContactFields::default()
    };
    let intake =
        crm::service::intake::upsert(db, &actor, s.sub_account_id, ContactSource::Booking, fields)
            .await
            .map_err(unprefixed)?;
    let booking = NewBooking {
        service_id: s.id,
        contact_id: intake.contact.id,
        start: v.start.unwrap_or_else(Utc::now),
        time_zone: v.time_zone.unwrap_or_else(|| "UTC".into()),
        resource_ids: Vec::new(),
        notes: v.notes,
    };
    appointment::book(db, &actor, booking, BookedVia::Widget)
        .await
        .map_err(unprefixed)
}

/// User errors named by the body's fields (`email`), not the API's input (`input.email`).
fn unprefixed(e: Error) -> Error {
    match e {
        Error::User(errors) => Error::User(
            errors
                .into_iter()
                .map(|mut u| {
                    if u.field.first().is_some_and(|f| f == "input") {
                        u.field.remove(0);
                    }
                    u
                })
                .collect(),
        ),
        other => other,
    }
}
