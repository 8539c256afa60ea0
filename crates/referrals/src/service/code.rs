//! Referral codes: made for a contact (the referrer), changed, listed; and their status.

use crate::entity::code;
use chrono::{DateTime, Utc};
use crm::entity::contact;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode, fail_if};
use kernel::event::EventType;
use kernel::id::new_uuid;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Most codes one contact has.
pub const MAX_PER_CONTACT: u64 = 20;
/// Most codes one list returns.
pub const MAX_LIST: u64 = 500;
/// The letters generated codes are made of (no 0/O, 1/I/L: read aloud and typed without doubt).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Where a code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum ReferralStatus {
    /// It can be redeemed.
    Active,
    /// It was redeemed as often as it may be.
    Used,
    /// Its time is over.
    Expired,
}

/// A code's status at `now`.
pub fn status(c: &code::Model, now: DateTime<Utc>) -> ReferralStatus {
    if c.max_uses.is_some_and(|m| c.times_used >= m) {
        ReferralStatus::Used
    } else if c.expires_at.is_some_and(|e| e <= now) {
        ReferralStatus::Expired
    } else {
        ReferralStatus::Active
    }
}

/// A code as typed: trimmed and upper-cased, 4 to 32 letters, digits or dashes.
pub fn normalize(errors: &mut Vec<UserError>, field: &str, raw: &str) -> String {
    let c = raw.trim().to_ascii_uppercase();
    if !(4..=32).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            "4 to 32 letters, digits or dashes",
        ));
    }
    c
}

fn generated() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A code to make.
#[derive(Debug, Clone, Default)]
pub struct NewCode {
    /// The code (absent: eight letters and digits are drawn).
    pub code: Option<String>,
    /// What the referrer and the lead get.
    pub offer_details: Option<String>,
    /// When it stops working (absent: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// How often it may be redeemed (absent: without limit).
    pub max_uses: Option<i32>,
}

/// Changes to a code (absent: unchanged; `Some(None)` clears).
#[derive(Debug, Clone, Default)]
pub struct CodePatch {
    /// A new offer.
    pub offer_details: Option<Option<String>>,
    /// A new expiry.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// A new most uses (not below the uses so far).
    pub max_uses: Option<Option<i32>>,
}

fn check_offer(errors: &mut Vec<UserError>, offer: Option<&str>) -> Option<String> {
    let o = offer.map(str::trim).filter(|o| !o.is_empty())?;
    if o.chars().count() > 2_000 {
        errors.push(UserError::new(
            "input.offerDetails",
            UserErrorCode::TooLong,
            "at most 2,000 characters",
        ));
    }
    Some(o.to_owned())
}

fn check_max(errors: &mut Vec<UserError>, max: Option<i32>, used: i32) {
    if let Some(m) = max
        && !(used.max(1)..=1_000_000).contains(&m)
    {
        errors.push(UserError::new(
            "input.maxUses",
            UserErrorCode::Invalid,
            format!(
                "from {} (the uses so far, and at least 1) to 1,000,000",
                used.max(1)
            ),
        ));
    }
}

fn check_expiry(errors: &mut Vec<UserError>, at: Option<DateTime<Utc>>) {
    if at.is_some_and(|e| e <= Utc::now() || e.timestamp() > 7_258_118_400) {
        errors.push(UserError::new(
            "input.expiresAt",
            UserErrorCode::Invalid,
            "a time to come, before 2200",
        ));
    }
}

/// A code the actor may read.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<code::Model, Error> {
    guard::load::<code::Entity>(db, actor, id, Access::Read).await
}

/// The codes of a sub-account (only a contact's when given), newest first; the first
/// [`MAX_LIST`].
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    contact_id: Option<Uuid>,
) -> Result<Vec<code::Model>, Error> {
    let at = guard::enter::<code::Entity>(db, actor, sub_account_id, Access::Read).await?;
    let mut q = code::Entity::find()
        .filter(code::Column::AgencyId.eq(at.agency_id))
        .filter(code::Column::SubAccountId.eq(at.sub_account_id));
    if let Some(c) = contact_id {
        q = q.filter(code::Column::ContactId.eq(c));
    }
    Ok(q.order_by_desc(code::Column::Id)
        .limit(MAX_LIST)
        .all(db)
        .await?)
}

/// Makes a referral code for a contact (`CONTACTS_WRITE`): unique in its sub-account (`TAKEN`),
/// at most [`MAX_PER_CONTACT`] a contact.
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
    new: NewCode,
) -> Result<code::Model, Error> {
    let c = guard::load_where::<contact::Entity>(db, actor, contact_id, Access::Write, |c| {
        c.deleted_at.is_none()
    })
    .await?;
    let mut errors = Vec::new();
    let wanted = new
        .code
        .as_deref()
        .map(|raw| normalize(&mut errors, "input.code", raw));
    let offer = check_offer(&mut errors, new.offer_details.as_deref());
    check_max(&mut errors, new.max_uses, 0);
    check_expiry(&mut errors, new.expires_at);
    fail_if(errors)?;
    // One code of a sub-account at a time (PostgreSQL; SQLite serialises writers): the cap and
    // the uniqueness below are checked against what stands.
    kernel::db::lock(db, &format!("referral-codes:{}", c.sub_account_id)).await?;
    let mine = code::Entity::find()
        .filter(code::Column::AgencyId.eq(c.agency_id))
        .filter(code::Column::ContactId.eq(c.id))
        .count(db)
        .await?;
    if mine >= MAX_PER_CONTACT {
        return Err(Error::user(
            "input.contactId",
            UserErrorCode::LimitReached,
            format!("a contact has at most {MAX_PER_CONTACT} referral codes"),
        ));
    }
    let taken = |code: &str| {
        code::Entity::find()
            .filter(code::Column::AgencyId.eq(c.agency_id))
            .filter(code::Column::SubAccountId.eq(c.sub_account_id))
            .filter(code::Column::Code.eq(code))
            .count(db)
    };
    let code = match wanted {
        Some(w) => {
            if taken(&w).await? > 0 {
                return Err(Error::user(
                    "input.code",
                    UserErrorCode::Taken,
                    "another referral code of this sub-account is the same",
                ));
            }
            w
        }
        None => {
            let mut drawn = generated();
            while taken(&drawn).await? > 0 {
                drawn = generated();
            }
            drawn
        }
    };
    let now = Utc::now();
    let row = code::ActiveModel {
        agency_id: Set(c.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(c.sub_account_id),
        contact_id: Set(c.id),
        code: Set(code),
        token: Set(kernel::secret::random_token(32)),
        offer_details: Set(offer),
        expires_at: Set(new.expires_at),
        max_uses: Set(new.max_uses),
        times_used: Set(0),
        created_by: Set(actor.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    guard::record(
        db,
        actor,
        &row,
        EventType::ReferralCodeCreated,
        json!({ "contactId": c.id.to_string() }),
    )
    .await?;
    Ok(row)
}

/// Changes a code's offer, expiry or most uses (`CONTACTS_WRITE`); its most uses never goes
/// below its uses so far.
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    patch: CodePatch,
) -> Result<code::Model, Error> {
    let row = guard::load::<code::Entity>(db, actor, id, Access::Write).await?;
    // After any redemption in flight: the uses read next are what stands.
    kernel::db::lock(db, &format!("referral-code:{}", row.id)).await?;
    let row = code::Entity::find_by_id((row.agency_id, row.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let mut errors = Vec::new();
    let mut m: code::ActiveModel = row.clone().into();
    if let Some(o) = &patch.offer_details {
        m.offer_details = Set(check_offer(&mut errors, o.as_deref()));
    }
    if let Some(e) = patch.expires_at {
        check_expiry(&mut errors, e);
        m.expires_at = Set(e);
    }
    if let Some(x) = patch.max_uses {
        check_max(&mut errors, x, row.times_used);
        m.max_uses = Set(x);
    }
    fail_if(errors)?;
    m.updated_at = Set(Utc::now());
    let row = m.update(db).await?;
    guard::record(db, actor, &row, EventType::ReferralCodeUpdated, json!({})).await?;
    Ok(row)
}
