//! Contacts: create, change, soft delete and restore, find and list. Read inside the request's
//! tenant with `CONTACTS_READ` in the contact's sub-account; written with `CONTACTS_READ` and
//! `CONTACTS_WRITE` (`tenancy::guard::Access::Write`).

use super::custom_field::{self, ValueInput};
use crate::entity::contact::{self, ContactSource, ContactStatus};
use chrono::{DateTime, Utc};
use kernel::auth::{Actor, Permission, Scope};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, EntityTrait,
    TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access, Entered};
use uuid::Uuid;

mod list;
pub use list::*;

/// A contact's fields; `None` leaves a field as it is (on update), `Some("")` clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactFields {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number with its country code.
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Where the contact came from.
    pub source: Option<ContactSource>,
    /// Where the contact stands.
    pub status: Option<ContactStatus>,
    /// The member who owns the contact; `Some(None)` clears it.
    pub owner_id: Option<Option<Uuid>>,
    /// Do not email.
    pub dnd_email: Option<bool>,
    /// Do not text.
    pub dnd_sms: Option<bool>,
    /// Do not call.
    pub dnd_calls: Option<bool>,
    /// Street and number.
    pub address_line1: Option<String>,
    /// Second address line.
    pub address_line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// Custom field values to set or clear.
    pub custom_values: Vec<ValueInput>,
}

fn scope(agency_id: Uuid, sub_account_id: Uuid) -> Scope {
    Scope::SubAccount {
        agency_id,
        id: sub_account_id,
    }
}

/// A live (`deleted = false`) or deleted contact, if the actor may act on it as `access` asks.
pub(crate) async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    deleted: bool,
    access: Access,
) -> Result<contact::Model, Error> {
    guard::load_where::<contact::Entity>(db, actor, id, access, |c| {
        c.deleted_at.is_some() == deleted
    })
    .await
}

/// Whether `id` is a live contact of the sub-account another service has entered (through
/// `tenancy::guard::enter` or a row it loaded there): for other domains, which check a
/// reference through this crate rather than its tables.
pub async fn live_in(db: &impl ConnectionTrait, sub: Entered, id: Uuid) -> Result<bool, Error> {
    Ok(contact::Entity::find_by_id((sub.agency_id, id))
        .one(db)
        .await?
        .is_some_and(|c| c.sub_account_id == sub.sub_account_id && c.deleted_at.is_none()))
}

/// A contact the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<contact::Model, Error> {
    load(db, actor, id, false, Access::Read).await
}

pub(crate) fn check(errors: &mut Vec<UserError>, m: &mut contact::ActiveModel, f: &ContactFields) {
    let mut push = |field: &str, message: &str| {
        errors.push(UserError::new(field, UserErrorCode::Invalid, message));
    };
    // What is wrong with a one-line text, said plainly.
    let text = |v: &str, max: usize| -> Result<String, String> {
        let v = v.trim();
        if v.chars().any(char::is_control) {
            Err("must be one line, without tabs, line breaks or other control characters".into())
        } else if v.chars().count() > max {
            Err(format!("must be at most {max} characters"))
        } else {
            Ok(v.to_owned())
        }
    };
    if let Some(v) = &f.first_name {
        match text(v, 100) {
            Ok(v) => m.first_name = Set(v),
            Err(why) => push("input.firstName", &why),
        }
    }
    if let Some(v) = &f.last_name {
        match text(v, 100) {
            Ok(v) => m.last_name = Set(v),
            Err(why) => push("input.lastName", &why),
        }
    }
    if let Some(v) = &f.company {
        match text(v, 200) {
            Ok(v) => m.company = Set(Some(v).filter(|v| !v.is_empty())),
            Err(why) => push("input.company", &why),
        }
    }
    for (v, col, field, max) in [
        (
            &f.address_line1,
            &mut m.address_line1,
            "input.addressLine1",
            200,
        ),
        (
            &f.address_line2,
            &mut m.address_line2,
            "input.addressLine2",
            200,
        ),
        (&f.city, &mut m.city, "input.city", 100),
        (&f.region, &mut m.region, "input.region", 100),
        (&f.postal_code, &mut m.postal_code, "input.postalCode", 20),
    ] {
        if let Some(v) = v {
            match text(v, max) {
                Ok(v) => *col = Set(Some(v).filter(|v| !v.is_empty())),
                Err(why) => push(field, &why),
            }
        }
    }
    if let Some(v) = &f.country {
        let v = v.trim().to_uppercase();
        if v.is_empty() {
            m.country = Set(None);
        } else if v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()) {
            m.country = Set(Some(v));
        } else {
            push(
                "input.country",
                "enter a two-letter country code, such as US or DE",
            );
        }
    }
    if let Some(v) = &f.email {
        let v = v.trim().to_lowercase();
        if v.is_empty() {
            m.email = Set(None);
        } else if v.len() > 254 || !email_address::EmailAddress::is_valid(&v) {
            push("input.email", "enter a valid email address");
        } else {
            m.email = Set(Some(v));
        }
    }
    if let Some(v) = &f.phone {
        let v = v.trim();
        if v.is_empty() {
            m.phone = Set(None);
        } else {
            match phonenumber::parse(None, v) {
                Ok(n) if phonenumber::is_valid(&n) => {
                    m.phone = Set(Some(n.format().mode(phonenumber::Mode::E164).to_string()));
                }
                _ => push(
                    "input.phone",
                    "enter a valid number with its country code, such as +1 415 555 2671",
                ),
            }
        }
    }
    if let Some(v) = f.source {
        m.source = Set(v);
    }
    if let Some(v) = f.status {
        m.status = Set(v);
    }
    if let Some(v) = f.dnd_email {
        m.dnd_email = Set(v);
    }
    if let Some(v) = f.dnd_sms {
        m.dnd_sms = Set(v);
    }
    if let Some(v) = f.dnd_calls {
        m.dnd_calls = Set(v);
    }
}

/// The owner must be a person who works in the sub-account.
async fn check_owner(
    db: &impl ConnectionTrait,
    errors: &mut Vec<UserError>,
    owner: Uuid,
    agency_id: Uuid,
    sub_account_id: Uuid,
) -> Result<(), Error> {
    if !tenancy::user_can(
        db,
        owner,
        Permission::ContactsRead,
        scope(agency_id, sub_account_id),
    )
    .await?
    {
        errors.push(UserError::new(
            "input.ownerId",
            UserErrorCode::Invalid,
            "the owner must be a member who works in this sub-account",
        ));
    }
    Ok(())
}

/// Whether the contact (as it would be written) has a name, an email address or a phone.
pub(crate) fn identifiable(m: &contact::ActiveModel) -> bool {
    use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
    fn val<T>(v: &sea_orm::ActiveValue<T>) -> Option<&T>
    where
        T: Into<sea_orm::Value>,
    {
        match v {
            Set(x) | Unchanged(x) => Some(x),
            NotSet => None,
        }
    }
    let named = [&m.first_name, &m.last_name]
        .into_iter()
        .any(|v| val(v).is_some_and(|s| !s.is_empty()));
    named
        || val(&m.email).is_some_and(Option::is_some)
        || val(&m.phone).is_some_and(Option::is_some)
}

/// A new, empty contact (every column set but the keys, which follow the names on save) of a
/// sub-account: `check` fills it. The one list of a new contact's defaults (fixtures use it too).
pub fn new_model(
    agency_id: Uuid,
    sub_account_id: Uuid,
    now: DateTime<Utc>,
) -> contact::ActiveModel {
    contact::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub_account_id),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        // From the names, on save (bulk writes call `fill_keys`).
        first_name_key: NotSet,
        last_name_key: NotSet,
        email: Set(None),
        phone: Set(None),
        company: Set(None),
        source: Set(ContactSource::Manual),
        status: Set(ContactStatus::New),
        owner_id: Set(None),
        dnd_email: Set(false),
        dnd_sms: Set(false),
        dnd_calls: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        address_line1: Set(None),
        address_line2: Set(None),
        city: Set(None),
        region: Set(None),
        postal_code: Set(None),
        country: Set(None),
        merged_into_id: Set(None),
    }
}

/// Creates a contact in a sub-account of the request's tenant.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    f: ContactFields,
) -> Result<contact::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<contact::Entity>(db, actor, sub_account_id, Access::Write)
        .await?
        .agency_id;
    let mut m = new_model(agency_id, sub_account_id, Utc::now());
    let mut errors = Vec::new();
    check(&mut errors, &mut m, &f);
    let values = if f.custom_values.is_empty() {
        Vec::new()
    } else {
        let defs = custom_field::definitions(db, agency_id, sub_account_id).await?;
        custom_field::check_values(&defs, &f.custom_values, "input.customValues", &mut errors)
    };
    if let Some(Some(owner)) = f.owner_id {
        check_owner(db, &mut errors, owner, agency_id, sub_account_id).await?;
        m.owner_id = Set(Some(owner));
    }
    if errors.is_empty() && !identifiable(&m) {
        errors.push(UserError::new(
            "input",
            UserErrorCode::Invalid,
            "give the contact a name, an email address or a phone number",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let txn = db.begin().await?;
    let c = m.insert(&txn).await?;
    custom_field::write_values(&txn, c.agency_id, c.id, &values).await?;
    guard::record(&txn, actor, &c, EventType::ContactCreated, json!({})).await?;
    kernel::metric::count_one(&txn, c.agency_id, c.sub_account_id, created_metric(&c)).await?;
    txn.commit().await?;
    Ok(c)
}

/// What a new contact adds to its sub-account's metrics: one contact created, split by source.
pub fn created_metric(c: &contact::Model) -> kernel::metric::Change {
    kernel::metric::Change::one(kernel::metric::Metric::ContactsCreated, c.created_at)
        .by(sea_orm::ActiveEnum::to_value(&c.source))
}

/// Changes a contact.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    f: ContactFields,
) -> Result<contact::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let c = load(db, actor, id, false, Access::Write).await?;
    let mut m: contact::ActiveModel = c.clone().into();
    let mut errors = Vec::new();
    check(&mut errors, &mut m, &f);
    let values = if f.custom_values.is_empty() {
        Vec::new()
    } else {
        let defs = custom_field::definitions(db, c.agency_id, c.sub_account_id).await?;
        custom_field::check_values(&defs, &f.custom_values, "input.customValues", &mut errors)
    };
    match f.owner_id {
        Some(Some(owner)) => {
            check_owner(db, &mut errors, owner, c.agency_id, c.sub_account_id).await?;
            m.owner_id = Set(Some(owner));
        }
        Some(None) => m.owner_id = Set(None),
        None => {}
    }
    if errors.is_empty() && !identifiable(&m) {
        errors.push(UserError::new(
            "input",
            UserErrorCode::Invalid,
            "a contact keeps a name, an email address or a phone number",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let c = m.update(&txn).await?;
    custom_field::write_values(&txn, c.agency_id, c.id, &values).await?;
    guard::record(&txn, actor, &c, EventType::ContactUpdated, json!({})).await?;
    txn.commit().await?;
    Ok(c)
}

/// Soft-deletes (`deleted = true`) or restores a contact.
pub async fn set_deleted<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    deleted: bool,
) -> Result<contact::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let c = load(db, actor, id, !deleted, Access::Write).await?;
    if !deleted && c.merged_into_id.is_some() {
        return Err(Error::user(
            "id",
            UserErrorCode::NotAllowed,
            "this contact was merged into another one and cannot be restored",
        ));
    }
    let mut m: contact::ActiveModel = c.into();
    m.deleted_at = Set(deleted.then(Utc::now));
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let c = m.update(&txn).await?;
    let event = if deleted {
        EventType::ContactDeleted
    } else {
        EventType::ContactRestored
    };
    guard::record(&txn, actor, &c, event, json!({})).await?;
    txn.commit().await?;
    Ok(c)
}
