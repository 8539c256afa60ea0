//! Contacts that arrive from outside (a funnel page's form; later a booking widget or a
//! referral): found by email address, else by phone number, and created or filled in, with
//! the consent they gave. Runs inside the caller's transaction, so the contact, the consent
//! and whatever the caller records with them commit together or not at all.

use super::contact::{ContactFields, check, identifiable, new_model};
use super::custom_field;
use crate::entity::consent::{self, ConsentChannel, ConsentSource};
use crate::entity::contact::{self, ContactSource};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// The contact an intake created or filled in.
#[derive(Debug, Clone)]
pub struct Intake {
    /// The contact as it is now.
    pub contact: contact::Model,
    /// Whether it is new.
    pub created: bool,
}

/// Creates or fills in the sub-account's contact that `f` names: the oldest live contact with
/// its email address, else the oldest with its phone number, else a new one (`source` says
/// where it came from). A contact found is only filled in: what it has already is never
/// changed or cleared. Values follow the CRM's own checks (`userErrors` named
/// `input.<field>`). `db` is the caller's
/// transaction; concurrent intakes of one address cannot create it twice (a lock per address
/// on PostgreSQL; SQLite serialises writers).
pub async fn upsert(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    source: ContactSource,
    f: ContactFields,
) -> Result<Intake, Error> {
    let at = guard::enter::<contact::Entity>(db, actor, sub_account_id, Access::Write).await?;
    let f = without_blanks(f);
    // The checks normalise the address and number the lookup uses.
    let mut fresh = new_model(at.agency_id, at.sub_account_id, Utc::now());
    fresh.source = Set(source);
    let mut errors = Vec::new();
    check(&mut errors, &mut fresh, &f);
    let email = fresh.email.try_as_ref().cloned().flatten();
    let phone = fresh.phone.try_as_ref().cloned().flatten();
    if errors.is_empty() && email.is_none() && phone.is_none() {
        errors.push(UserError::new(
            "input.email",
            UserErrorCode::Invalid,
            "enter an email address or a phone number",
        ));
    }
    let values = if f.custom_values.is_empty() {
        Vec::new()
    } else {
        let defs = custom_field::definitions(db, at.agency_id, at.sub_account_id).await?;
        custom_field::check_values(&defs, &f.custom_values, "input.customValues", &mut errors)
    };
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    // Both addresses are locked, in one order: an intake with the phone alone and one with
    // the phone and an email cannot both create the contact.
    let mut points: Vec<&String> = email.iter().chain(phone.iter()).collect();
    points.sort();
    for point in points {
        kernel::db::lock(db, &format!("contact:{}:{point}", at.sub_account_id)).await?;
    }
    let live = || {
        contact::Entity::find()
            .filter(contact::Column::AgencyId.eq(at.agency_id))
            .filter(contact::Column::SubAccountId.eq(at.sub_account_id))
            .filter(contact::Column::DeletedAt.is_null())
            .order_by_asc(contact::Column::CreatedAt)
            .order_by_asc(contact::Column::Id)
    };
    let mut found = None;
    if let Some(e) = &email {
        found = live().filter(contact::Column::Email.eq(e)).one(db).await?;
    }
    if found.is_none()
        && let Some(p) = &phone
    {
        found = live().filter(contact::Column::Phone.eq(p)).one(db).await?;
    }
    let (c, created) = match found {
        Some(existing) => {
            let f = only_blanks(f, &existing);
            let mut m: contact::ActiveModel = existing.into();
            check(&mut errors, &mut m, &f);
            m.updated_at = Set(Utc::now());
            (m.update(db).await?, false)
        }
        None => {
            debug_assert!(identifiable(&fresh));
            (fresh.insert(db).await?, true)
        }
    };
    if created {
        custom_field::write_values(db, c.agency_id, c.id, &values).await?;
        let change = super::contact::created_metric(&c);
        kernel::metric::count_one(db, c.agency_id, c.sub_account_id, change).await?;
    }
    let event = if created {
        EventType::ContactCreated
    } else {
        EventType::ContactUpdated
    };
    guard::record(db, actor, &c, event, json!({ "source": source.to_value() })).await?;
    Ok(Intake {
        contact: c,
        created,
    })
}

/// `f` reduced to what the contact does not have yet: an intake has no sign-in behind it, so
/// it never changes what is there (a stranger who knows someone's phone number must not
/// replace their email address). Custom values fill a new contact only.
fn only_blanks(mut f: ContactFields, c: &contact::Model) -> ContactFields {
    let keep = |v: &mut Option<String>, have: bool| {
        if have {
            *v = None;
        }
    };
    keep(&mut f.first_name, !c.first_name.is_empty());
    keep(&mut f.last_name, !c.last_name.is_empty());
    keep(&mut f.email, c.email.is_some());
    keep(&mut f.phone, c.phone.is_some());
    keep(&mut f.company, c.company.is_some());
    keep(&mut f.address_line1, c.address_line1.is_some());
    keep(&mut f.address_line2, c.address_line2.is_some());
    keep(&mut f.city, c.city.is_some());
    keep(&mut f.region, c.region.is_some());
    keep(&mut f.postal_code, c.postal_code.is_some());
    keep(&mut f.country, c.country.is_some());
    f.custom_values.clear();
    f
}

/// `f` with every blank text left out, so that it fills in and never clears.
fn without_blanks(mut f: ContactFields) -> ContactFields {
    for v in [
        &mut f.first_name,
        &mut f.last_name,
        &mut f.email,
        &mut f.phone,
        &mut f.company,
        &mut f.address_line1,
        &mut f.address_line2,
        &mut f.city,
        &mut f.region,
        &mut f.postal_code,
        &mut f.country,
    ] {
        if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
            *v = None;
        }
    }
    f
}

/// Records, on `db` (the caller's transaction), that the contact agreed to `statement` for
/// each channel, and a `contact.consent_given` event per channel.
pub async fn record_consent(
    db: &impl ConnectionTrait,
    actor: &Actor,
    c: &contact::Model,
    channels: &[ConsentChannel],
    statement: &str,
    source: ConsentSource,
    source_id: Option<Uuid>,
) -> Result<(), Error> {
    guard::check(actor, c, Access::Write)?;
    let now = Utc::now();
    for &channel in channels {
        consent::ActiveModel {
            agency_id: Set(c.agency_id),
            id: Set(new_uuid()),
            sub_account_id: Set(c.sub_account_id),
            contact_id: Set(c.id),
            channel: Set(channel),
            statement: Set(statement.chars().take(1000).collect()),
            source: Set(source),
            source_id: Set(source_id),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        guard::record(
            db,
            actor,
            c,
            EventType::ContactConsentGiven,
            json!({ "channel": channel.to_value(), "source": source.to_value() }),
        )
        .await?;
    }
    Ok(())
}

/// The consent a contact gave, newest first (`CONTACTS_READ`).
pub async fn consents(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
) -> Result<Vec<consent::Model>, Error> {
    let c = guard::load::<contact::Entity>(db, actor, contact_id, Access::Read).await?;
    Ok(consent::Entity::find()
        .filter(consent::Column::AgencyId.eq(c.agency_id))
        .filter(consent::Column::ContactId.eq(c.id))
        .order_by_desc(consent::Column::CreatedAt)
        .order_by_desc(consent::Column::Id)
        .all(db)
        .await?)
}
