//! Forms: a visitor's submission of a published page's form, the public way into the CRM.
//!
//! A submission is posted to the page's own address on its host. [`check`] reads: it checks
//! it against the form of the page's **live** version and the guards below. [`record`] then,
//! in one transaction, creates or fills in the contact (`crm::service::intake`, the CRM's own
//! rules: a contact found is only filled in, never changed), records the consent given and the
//! submission, and raises `form.submitted` (the automation trigger). It acts as Canopy inside
//! the funnel's tenant ([`Actor::system_in`]), through the same services and
//! `tenancy::guard` as everyone.
//!
//! Spam: a honeypot field people never see (filled: the submission is dropped and answered as
//! an accepted one), a signed fill-time token in each rendered form (a submission sooner than
//! [`FormGuard::min_fill`] after the page was served is refused; a token may be sent again
//! until it is 14 days old, so a robot that fetched the page once meets the rate limits, not
//! the token), and rate limits per client IP (an IPv6 address by its /64) and per form. A browser on another site may post only from a host the funnel is
//! served at or one of the sub-account's embed domains (`tenancy::service::embed_domain`).
//!
//! The rate limits live in the process: with N replicas a sender gets N times the budget.

use super::site::{LivePage, Reached, reach};
use crate::document::{self, ContactProperty, FieldKind, Form, render};
use crate::entity::submission;
use chrono::Utc;
use crm::entity::consent::{ConsentChannel, ConsentSource};
use crm::entity::contact::ContactSource;
use crm::service::contact::ContactFields;
use hmac::{Hmac, Mac};
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::net::IpAddr;
use std::time::Duration;
use tenancy::guard;
use uuid::Uuid;

/// How long a rendered form's token is accepted.
pub const TOKEN_MAX_AGE_SECS: i64 = 14 * 24 * 3600;
/// A page's entity tag changes every this many seconds, so a cached copy's token is never
/// older than this when the cache revalidates (well within [`TOKEN_MAX_AGE_SECS`]).
pub const TOKEN_EPOCH_SECS: i64 = 7 * 24 * 3600;

/// The week a token issued at `now_ms` belongs to (part of a form page's entity tag).
pub fn token_epoch(now_ms: i64) -> i64 {
    now_ms.div_euclid(TOKEN_EPOCH_SECS * 1000)
}

/// The forms' spam guards: the key that signs fill-time tokens, the minimum fill time and the
/// rate limits. Built once at start.
pub struct FormGuard {
    key: Vec<u8>,
    /// The least time between serving a page and accepting its form.
    pub min_fill: Duration,
    per_ip: kernel::throttle::PerMinute<IpAddr>,
    per_form: kernel::throttle::PerMinute<(Uuid, String)>,
}

impl FormGuard {
    /// Signs tokens with `key` (shared by every replica); allows `per_ip` submissions a minute
    /// from one client IP and `per_form` a minute to one form.
    pub fn new(key: &[u8], min_fill: Duration, per_ip: u32, per_form: u32) -> Self {
        Self {
            key: key.to_vec(),
            min_fill,
            per_ip: kernel::throttle::PerMinute::new(per_ip),
            per_form: kernel::throttle::PerMinute::new(per_form),
        }
    }

    fn mac(&self, page_id: Uuid, issued: i64) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(page_id.as_bytes());
        mac.update(&issued.to_be_bytes());
        mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The fill-time token of a form on `page_id` served at `now_ms` (Unix milliseconds).
    pub fn token(&self, page_id: Uuid, now_ms: i64) -> String {
        format!("{now_ms}.{}", self.mac(page_id, now_ms))
    }

    /// Checks a token sent back at `now_ms` (Unix milliseconds).
    fn check_token(&self, page_id: Uuid, token: &str, now_ms: i64) -> Result<(), UserError> {
        let stale = || {
            UserError::new(
                render::FORM_TOKEN_FIELD,
                UserErrorCode::InvalidToken,
                "this form is out of date: reload the page and send it again",
            )
        };
        let (issued, mac) = token.split_once('.').ok_or_else(stale)?;
        let issued: i64 = issued.parse().map_err(|_| stale())?;
        let expected = self.mac(page_id, issued);
        let same = expected.len() == mac.len()
            && expected
                .bytes()
                .zip(mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        let age_ms = now_ms.saturating_sub(issued);
        if !same || !(-60_000..=TOKEN_MAX_AGE_SECS * 1000).contains(&age_ms) {
            return Err(stale());
        }
        let min = i64::try_from(self.min_fill.as_millis()).unwrap_or(i64::MAX);
        if age_ms < min {
            return Err(UserError::new(
                render::FORM_TOKEN_FIELD,
                UserErrorCode::Invalid,
                "the form was sent very quickly: wait a few seconds and send it again",
            ));
        }
        Ok(())
    }

    fn check_ip(&self, ip: Option<IpAddr>) -> Result<(), Error> {
        match ip.map(kernel::throttle::network) {
            Some(ip) => self.per_ip.check(&ip),
            None => Ok(()),
        }
    }

    fn check_form(&self, page_id: Uuid, key: &str) -> Result<(), Error> {
        self.per_form.check(&(page_id, key.to_owned()))
    }
}

/// A submission as it arrived.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    /// The fields as sent, in order (a repeated name keeps its first value).
    pub fields: Vec<(String, String)>,
    /// The client's IP address.
    pub client_ip: Option<IpAddr>,
    /// The `Origin` header's host, when the request came from a page on another host.
    pub origin_host: Option<String>,
    /// The `Referer` header (the page's address with its campaign parameters).
    pub referer: Option<String>,
}

impl Sent {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a submission came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted and recorded.
    Accepted {
        /// The submission.
        submission_id: Uuid,
        /// The contact it created or filled in.
        contact_id: Uuid,
        /// What to show the visitor.
        message: String,
        /// Where to send the visitor instead.
        redirect: Option<String>,
    },
    /// Dropped as spam (the honeypot was filled in); answered exactly as an accepted one.
    Dropped {
        /// What to show.
        message: String,
        /// Where to send the visitor instead.
        redirect: Option<String>,
    },
    /// The host's funnel has no published page at this path, or its tenant is offline.
    NotFound,
    /// No funnel is served at this host.
    NoSite,
}

const THANKS: &str = "Thank you.";

/// Whether a page on `origin_host` may call the public endpoints of the funnel reached at
/// `host` from the browser: the funnel's own hosts, and the sub-account's embed domains.
/// `None` when no funnel is served at `host`.
pub async fn origin_allowed(
    db: &impl ConnectionTrait,
    sites_domain: &str,
    host: &str,
    origin_host: &str,
) -> Result<Option<bool>, Error> {
    let host = super::site::normalize_host(host);
    let Some(f) = super::site::funnel_at(db, &sites_domain.to_ascii_lowercase(), &host).await?
    else {
        return Ok(None);
    };
    allowed(db, sites_domain, &f, &host, origin_host)
        .await
        .map(Some)
}

async fn allowed(
    db: &impl ConnectionTrait,
    sites_domain: &str,
    f: &crate::entity::funnel::Model,
    host: &str,
    origin_host: &str,
) -> Result<bool, Error> {
    let origin = super::site::normalize_host(origin_host);
    if origin == host || origin == format!("{}.{}", f.subdomain, sites_domain) {
        return Ok(true);
    }
    if super::funnel::domains(db, f)
        .await?
        .iter()
        .any(|d| d.host == origin)
    {
        return Ok(true);
    }
    tenancy::service::embed_domain::allows(db, f.agency_id, f.sub_account_id, &origin).await
}

/// A submission that passed every check and is ready to be recorded ([`record`]).
#[derive(Debug, Clone)]
pub struct Checked {
    funnel: crate::entity::funnel::Model,
    agency_id: Uuid,
    sub_account_id: Uuid,
    funnel_id: Uuid,
    page_id: Uuid,
    version_id: Uuid,
    form: Form,
    values: Map<String, Value>,
    fields: ContactFields,
    consent: bool,
    utm: Value,
}

/// What [`check`] made of a submission.
#[derive(Debug, Clone)]
pub enum Checking {
    /// Record it ([`record`]).
    Record(Box<Checked>),
    /// Nothing to record: answer with this.
    Done(Outcome),
}

/// Checks a submission of the form on the page at `host` and `path`, reading only (`db`: a
/// transaction of its own): the client IP's rate limit, the page, the origin, the form's own
/// limit, the honeypot, the fill-time token and the fields. Problems a visitor can fix are
/// `Error::User`, named by the form's field names (`_t`: the token, `_consent`: the consent
/// box, `_form`: a form that is gone); a page on another host that may not post is
/// `FORBIDDEN`. Nothing here takes a write lock, so refused submissions never queue behind
/// writers.
pub async fn check(
    db: &impl ConnectionTrait,
    sites_domain: &str,
    guard_: &FormGuard,
    host: &str,
    path: &str,
    sent: &Sent,
) -> Result<Checking, Error> {
    guard_.check_ip(sent.client_ip)?;
    let live = match reach(db, sites_domain, host, path).await? {
        Reached::Page(p) => p,
        Reached::NotFound => return Ok(Checking::Done(Outcome::NotFound)),
        Reached::NoSite => return Ok(Checking::Done(Outcome::NoSite)),
    };
    let LivePage {
        funnel: f,
        page: p,
        version: v,
        ..
    } = *live;
    if let Some(origin) = &sent.origin_host
        && !allowed(
            db,
            &sites_domain.to_ascii_lowercase(),
            &f,
            &super::site::normalize_host(host),
            origin,
        )
        .await?
    {
        return Err(Error::Forbidden);
    }
    let doc = document::stored(&v.document)?;
    let key = sent.get(render::FORM_KEY_FIELD).unwrap_or_default();
    let Some(form) = document::forms(&doc)
        .into_iter()
        .find(|f| f.key == key)
        .cloned()
    else {
        return Err(Error::user(
            render::FORM_KEY_FIELD,
            UserErrorCode::Invalid,
            "this form is no longer on the page: reload the page",
        ));
    };
    guard_.check_form(p.id, &form.key)?;
    if sent
        .get(render::HONEYPOT_FIELD)
        .is_some_and(|v| !v.trim().is_empty())
    {
        // Answered as an accepted submission, so that robots learn nothing.
        return Ok(Checking::Done(Outcome::Dropped {
            message: form
                .success_message
                .clone()
                .unwrap_or_else(|| THANKS.to_owned()),
            redirect: form.redirect.clone(),
        }));
    }
    guard_
        .check_token(
            p.id,
            sent.get(render::FORM_TOKEN_FIELD).unwrap_or_default(),
            Utc::now().timestamp_millis(),
        )
        .map_err(|e| Error::User(vec![e]))?;
    let (values, fields, consent) = read(&form, sent)?;
    Ok(Checking::Record(Box::new(Checked {
        funnel: f.clone(),
        agency_id: f.agency_id,
        sub_account_id: f.sub_account_id,
        funnel_id: f.id,
        page_id: p.id,
        version_id: v.id,
        form,
        values,
        fields,
        consent,
        utm: utm(sent),
    })))
}

/// Records a checked submission on `db` (a transaction of its own that writes:
/// `kernel::db::begin_write`; the caller commits it on `Ok`): the contact, the consent, the
/// submission, the page's count and `form.submitted`, all or nothing.
pub async fn record(db: &impl ConnectionTrait, c: Checked) -> Result<Outcome, Error> {
    kernel::db::set_tenant(db, kernel::db::TenantGuard::Agency(c.agency_id)).await?;
    // Still published, and its tenant still live, now that the write lock is held.
    let published = crate::entity::page::Entity::find_by_id((c.agency_id, c.page_id))
        .one(db)
        .await?
        .is_some_and(|p| p.live_version_id.is_some());
    if !published || !super::site::online(db, &c.funnel).await? {
        return Ok(Outcome::NotFound);
    }
    let form = &c.form;
    let actor = Actor::system_in(c.agency_id);
    let intake =
        crm::service::intake::upsert(db, &actor, c.sub_account_id, ContactSource::Form, c.fields)
            .await
            .map_err(|e| rename_errors(e, form))?;
    let row = submission::ActiveModel {
        agency_id: Set(c.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(c.sub_account_id),
        funnel_id: Set(c.funnel_id),
        page_id: Set(c.page_id),
        version_id: Set(c.version_id),
        form_key: Set(form.key.clone()),
        contact_id: Set(intake.contact.id),
        values: Set(Value::Object(c.values)),
        utm: Set(c.utm),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    super::visit::add_to_day(
        db,
        super::visit::PageKey {
            agency_id: c.agency_id,
            sub_account_id: c.sub_account_id,
            funnel_id: c.funnel_id,
            page_id: c.page_id,
        },
        row.created_at.date_naive(),
        0,
        0,
        1,
    )
    .await?;
    if c.consent
        && let Some(consent) = &form.consent
    {
        let channels: Vec<ConsentChannel> = consent
            .channels
            .iter()
            .map(|ch| match ch {
                document::ConsentChannel::Email => ConsentChannel::Email,
                document::ConsentChannel::Sms => ConsentChannel::Sms,
                document::ConsentChannel::Calls => ConsentChannel::Calls,
            })
            .collect();
        crm::service::intake::record_consent(
            db,
            &actor,
            &intake.contact,
            &channels,
            &consent.statement,
            ConsentSource::Form,
            Some(row.id),
        )
        .await?;
    }
    guard::record(
        db,
        &actor,
        &row,
        EventType::FormSubmitted,
        json!({
            "pageId": kernel::id::gid(kernel::id::NodeKind::FunnelPage, c.page_id).to_string(),
            "formKey": form.key,
            "contactCreated": intake.created,
            "consent": c.consent,
        }),
    )
    .await?;
    let change =
        kernel::metric::Change::one(kernel::metric::Metric::FormsSubmitted, row.created_at);
    kernel::metric::count_one(db, row.agency_id, row.sub_account_id, change).await?;
    Ok(Outcome::Accepted {
        submission_id: row.id,
        contact_id: intake.contact.id,
        message: form
            .success_message
            .clone()
            .unwrap_or_else(|| THANKS.to_owned()),
        redirect: form.redirect.clone(),
    })
}

/// The form's fields read from what was sent: the values to keep, the contact's fields, and
/// whether the consent box was ticked.
fn read(form: &Form, sent: &Sent) -> Result<(Map<String, Value>, ContactFields, bool), Error> {
    let mut errors = Vec::new();
    let mut values = Map::new();
    let mut c = ContactFields::default();
    let ticked = |v: Option<&str>| {
        v.is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "yes" | "on" | "true" | "1"
            )
        })
    };
    for field in &form.fields {
        let raw = sent.get(&field.name);
        if field.kind == FieldKind::Checkbox {
            let on = ticked(raw);
            if field.required && !on {
                errors.push(UserError::new(
                    &field.name,
                    UserErrorCode::Invalid,
                    format!("tick “{}”", field.label),
                ));
            }
            values.insert(field.name.clone(), Value::Bool(on));
            continue;
        }
        let v = raw.unwrap_or_default().trim();
        if v.is_empty() {
            if field.required {
                errors.push(UserError::new(
                    &field.name,
                    UserErrorCode::Invalid,
                    format!("fill in “{}”", field.label),
                ));
            }
            continue;
        }
        if v.chars().count() > document::MAX_FIELD_VALUE {
            errors.push(UserError::new(
                &field.name,
                UserErrorCode::TooLong,
                format!("at most {} characters", document::MAX_FIELD_VALUE),
            ));
            continue;
        }
        values.insert(field.name.clone(), Value::String(v.to_owned()));
        let v = Some(v.to_owned());
        match field.contact {
            Some(ContactProperty::FirstName) => c.first_name = v,
            Some(ContactProperty::LastName) => c.last_name = v,
            Some(ContactProperty::Email) => c.email = v,
            Some(ContactProperty::Phone) => c.phone = v,
            Some(ContactProperty::Company) => c.company = v,
            Some(ContactProperty::AddressLine1) => c.address_line1 = v,
            Some(ContactProperty::City) => c.city = v,
            Some(ContactProperty::Region) => c.region = v,
            Some(ContactProperty::PostalCode) => c.postal_code = v,
            Some(ContactProperty::Country) => c.country = v,
            None => {}
        }
    }
    let consent = form.consent.is_some() && ticked(sent.get(render::CONSENT_FIELD));
    if form.consent.as_ref().is_some_and(|c| c.required) && !consent {
        errors.push(UserError::new(
            render::CONSENT_FIELD,
            UserErrorCode::Invalid,
            "tick the consent box to send the form",
        ));
    }
    if errors.is_empty() {
        Ok((values, c, consent))
    } else {
        Err(Error::User(errors))
    }
}

/// The CRM's `input.<property>` errors named by the form field that filled the property.
fn rename_errors(e: Error, form: &Form) -> Error {
    let Error::User(errors) = e else { return e };
    let name_of = |field: &str| -> Option<String> {
        let property = match field {
            "input.firstName" => ContactProperty::FirstName,
            "input.lastName" => ContactProperty::LastName,
            "input.email" => ContactProperty::Email,
            "input.phone" => ContactProperty::Phone,
            "input.company" => ContactProperty::Company,
            "input.addressLine1" => ContactProperty::AddressLine1,
            "input.city" => ContactProperty::City,
            "input.region" => ContactProperty::Region,
            "input.postalCode" => ContactProperty::PostalCode,
            "input.country" => ContactProperty::Country,
            _ => return None,
        };
        form.fields
            .iter()
            .find(|f| f.contact == Some(property))
            .map(|f| f.name.clone())
    };
    Error::User(
        errors
            .into_iter()
            .map(|mut u| {
                if let Some(name) = name_of(&u.field.join(".")) {
                    u.field = vec![name];
                }
                u
            })
            .collect(),
    )
}

/// The campaign parameters: `utm_*` fields sent with the form (an embedded form passes them
/// on), else those of the page's address in `Referer`.
fn utm(sent: &Sent) -> Value {
    let mut out = sent
        .referer
        .as_deref()
        .and_then(|r| r.split_once('?'))
        .map(|(_, q)| super::visit::utm_of(q))
        .unwrap_or_default();
    for key in super::visit::UTM_KEYS {
        if let Some(v) = sent.get(key).map(str::trim).filter(|v| !v.is_empty()) {
            out.insert(key.to_owned(), Value::String(v.chars().take(200).collect()));
        }
    }
    Value::Object(out)
}
