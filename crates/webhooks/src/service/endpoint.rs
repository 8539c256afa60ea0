//! Endpoints: create (the secret is shown once), change, rotate the secret (the old one keeps
//! signing for 24 hours beside the new), delete, list.

use super::{Settings, managed};
use crate::entity::{EndpointStatus, endpoint as ep};
use base64::Engine;
use chrono::Utc;
use kernel::auth::{Actor, Permission, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use uuid::Uuid;

/// Most event types one endpoint names.
pub const MAX_EVENT_TYPES: usize = 100;
/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// What an endpoint is made of or changed to (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct EndpointFields {
    /// The HTTPS URL.
    pub url: Option<String>,
    /// A note for people.
    pub description: Option<String>,
    /// Event types (empty: all).
    pub event_types: Option<Vec<String>>,
    /// An agency endpoint's filter: only this sub-account's events (set when it is made).
    pub filter_sub_account: Option<Scope>,
    /// Turn it on or off (turning it on clears a disabling for failures).
    pub enabled: Option<bool>,
}

/// A new secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn check_url(errors: &mut Vec<UserError>, settings: Settings, url: &str) -> String {
    let url = url.trim();
    let mut fail = |m: &str| errors.push(UserError::new("input.url", UserErrorCode::Invalid, m));
    if url.len() > 2000 {
        fail("a URL is at most 2,000 characters");
        return url.to_owned();
    }
    match reqwest::Url::parse(url) {
        Err(_) => fail("enter an https URL"),
        Ok(u) => {
            let scheme_ok =
                u.scheme() == "https" || (settings.allow_private && u.scheme() == "http");
            if !scheme_ok {
                fail("the URL must use https");
            } else if !u.username().is_empty() || u.password().is_some() {
                fail("put no credentials in the URL");
            } else {
                if u.host_str().is_none_or(str::is_empty) {
                    fail("the URL has no host");
                } else if crate::ssrf::names_private_host(&u) && !settings.allow_private {
                    fail("the URL points at a private address");
                }
            }
        }
    }
    url.to_owned()
}

fn check_types(errors: &mut Vec<UserError>, types: &[String]) -> serde_json::Value {
    if types.len() > MAX_EVENT_TYPES {
        errors.push(UserError::new(
            "input.eventTypes",
            UserErrorCode::TooLong,
            format!("at most {MAX_EVENT_TYPES} event types"),
        ));
    }
    let mut names: Vec<&str> = Vec::new();
    for t in types {
        match EventType::parse(t.trim()) {
            Some(e) => names.push(e.as_str()),
            None => errors.push(UserError::new(
                "input.eventTypes",
                UserErrorCode::Invalid,
                format!("{t:?} is not an event type"),
            )),
        }
    }
    names.sort_unstable();
    names.dedup();
    serde_json::json!(names)
}

fn check_description(errors: &mut Vec<UserError>, d: Option<&str>) -> Option<String> {
    let d = d.map(str::trim).filter(|d| !d.is_empty())?;
    if d.chars().count() > 500 {
        errors.push(UserError::new(
            "input.description",
            UserErrorCode::TooLong,
            "a description is at most 500 characters",
        ));
    }
    Some(d.to_owned())
}

/// Creates an endpoint in `scope` (an agency or a sub-account). Returns it with its secret,
/// which is shown only now.
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    settings: Settings,
    scope: Scope,
    fields: EndpointFields,
) -> Result<(ep::Model, String), Error> {
    let (agency_id, sub_account_id) = match scope {
        Scope::Agency(a) => (a, None),
        Scope::SubAccount { agency_id, id } => (agency_id, Some(id)),
        _ => return Err(Error::NotFound),
    };
    actor.require_inside(scope, &[Permission::WebhooksManage])?;
    let owner = match &actor.principal {
        kernel::Principal::User { user_id, .. } => *user_id,
        kernel::Principal::ApiKey { owner, .. } => *owner,
        _ => return Err(Error::Forbidden),
    };
    let mut errors = Vec::new();
    let url = match fields.url.as_deref() {
        Some(u) => check_url(&mut errors, settings, u),
        None => {
            errors.push(UserError::new(
                "input.url",
                UserErrorCode::Invalid,
                "enter an https URL",
            ));
            String::new()
        }
    };
    let types = check_types(
        &mut errors,
        fields.event_types.as_deref().unwrap_or_default(),
    );
    let description = check_description(&mut errors, fields.description.as_deref());
    let filter = match fields.filter_sub_account {
        None => None,
        Some(_) if sub_account_id.is_some() => {
            errors.push(UserError::new(
                "input.subAccountId",
                UserErrorCode::Invalid,
                "a sub-account's endpoint receives that sub-account's events only already",
            ));
            None
        }
        Some(Scope::SubAccount { agency_id: a, id }) if a == agency_id => Some(id),
        Some(_) => {
            errors.push(UserError::new(
                "input.subAccountId",
                UserErrorCode::Invalid,
                "not a sub-account of this agency",
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let secret = new_secret();
    let now = Utc::now();
    let e = ep::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(kernel::id::new_uuid()),
        sub_account_id: Set(sub_account_id),
        filter_sub_account_id: Set(filter),
        url: Set(url),
        description: Set(description),
        event_types: Set(types),
        permissions: Set(serde_json::json!(actor.permissions_in(scope).to_names())),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        created_by: Set(owner),
        status: Set(EndpointStatus::Enabled),
        disabled_reason: Set(None),
        failing_since: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok((e, secret))
}

/// Changes an endpoint.
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    settings: Settings,
    id: Uuid,
    fields: EndpointFields,
) -> Result<ep::Model, Error> {
    let e = managed(db, actor, id).await?;
    let mut errors = Vec::new();
    let mut m: ep::ActiveModel = e.clone().into();
    if let Some(u) = fields.url.as_deref() {
        m.url = Set(check_url(&mut errors, settings, u));
    }
    if let Some(t) = fields.event_types.as_deref() {
        m.event_types = Set(check_types(&mut errors, t));
    }
    if fields.description.is_some() {
        m.description = Set(check_description(
            &mut errors,
            fields.description.as_deref(),
        ));
    }
    if fields.filter_sub_account.is_some() {
        errors.push(UserError::new(
            "input.subAccountId",
            UserErrorCode::NotAllowed,
            "an endpoint's sub-account filter is set when it is made",
        ));
    }
    if let Some(on) = fields.enabled {
        if on {
            m.status = Set(EndpointStatus::Enabled);
            m.disabled_reason = Set(None);
            m.failing_since = Set(None);
        } else {
            m.status = Set(EndpointStatus::Disabled);
            m.disabled_reason = Set(Some("turned off".into()));
        }
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    m.updated_at = Set(Utc::now());
    Ok(m.update(db).await?)
}

/// Replaces the secret; the old one keeps signing beside it for 24 hours. Returns the new one,
/// shown only now.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<(ep::Model, String), Error> {
    let e = managed(db, actor, id).await?;
    let secret = new_secret();
    let now = Utc::now();
    let mut m: ep::ActiveModel = e.clone().into();
    m.previous_secret = Set(Some(e.secret));
    m.previous_secret_expires_at = Set(Some(now + chrono::Duration::hours(ROTATION_OVERLAP_HOURS)));
    m.secret = Set(secret.clone());
    m.updated_at = Set(now);
    Ok((m.update(db).await?, secret))
}

/// Deletes an endpoint with its messages and their log.
pub async fn delete(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<ep::Model, Error> {
    use crate::entity::{attempt, message};
    let e = managed(db, actor, id).await?;
    attempt::Entity::delete_many()
        .filter(attempt::Column::AgencyId.eq(e.agency_id))
        .filter(attempt::Column::EndpointId.eq(e.id))
        .exec(db)
        .await?;
    message::Entity::delete_many()
        .filter(message::Column::AgencyId.eq(e.agency_id))
        .filter(message::Column::EndpointId.eq(e.id))
        .exec(db)
        .await?;
    ep::Entity::delete_by_id((e.agency_id, e.id))
        .exec(db)
        .await?;
    Ok(e)
}

/// The endpoints of a scope, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    page: Page,
    with_total: bool,
) -> Result<(Vec<ep::Model>, PageInfo, u64), Error> {
    let (agency_id, sub) = match scope {
        Scope::Agency(a) => (a, None),
        Scope::SubAccount { agency_id, id } => (agency_id, Some(id)),
        _ => return Err(Error::NotFound),
    };
    actor.require_inside(scope, &[Permission::WebhooksManage])?;
    let q = ep::Entity::find().filter(ep::Column::AgencyId.eq(agency_id));
    let q = match sub {
        Some(s) => q.filter(ep::Column::SubAccountId.eq(s)),
        None => q.filter(ep::Column::SubAccountId.is_null()),
    };
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, ep::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |e| e.id);
    Ok((rows, info, total))
}
