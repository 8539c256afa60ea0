//! Contacts: create, change, soft delete and restore, find and list. Read inside the request's
//! tenant with `CONTACTS_READ` in the contact's sub-account; written with `CONTACTS_READ` and
//! `CONTACTS_WRITE` (`tenancy::guard::Access::Write`).

use super::custom_field::{self, ValueInput};
use crate::entity::contact::{self, ContactSource, ContactStatus};
use chrono::{DateTime, Utc};
use kernel::auth::{Actor, Permission, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tenancy::guard::{self, Access, Entered};
use uuid::Uuid;

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

/// A condition on a custom field's value. Values are given as text and read by the field's
/// kind: numbers, `YYYY-MM-DD` dates, `true`/`false` for checkboxes, a choice for selects (a
/// multi-select matches when it holds that choice).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FieldCondition {
    /// The custom field.
    pub field_id: Uuid,
    /// The value equals this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// The value is at least this (numbers and dates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<String>,
    /// The value is at most this (numbers and dates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<String>,
    /// The contact has a value (`true`) or has none (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_set: Option<bool>,
}

/// What to list (also what a segment saves, as JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ContactFilter {
    /// Prefix of a first name, last name, email or phone.
    pub search: Option<String>,
    /// Only this status (saved as its stored name, `"new"`).
    pub status: Option<ContactStatus>,
    /// Only this source (saved as its stored name, `"manual"`).
    pub source: Option<ContactSource>,
    /// Only contacts owned by this user.
    pub owner_id: Option<Uuid>,
    /// Only contacts with this tag.
    pub tag_id: Option<Uuid>,
    /// Words that must all appear in the name, email address, company or city (full-text on
    /// PostgreSQL: each word matches the start of a word; a substring match on SQLite).
    pub text: Option<String>,
    /// Only contacts created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only contacts created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Only contacts whose custom values meet every condition.
    pub custom_fields: Vec<FieldCondition>,
    /// Only contacts of this segment (not inside a saved segment).
    pub segment_id: Option<Uuid>,
}

/// How to order a list of contacts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContactSort {
    /// Oldest first.
    #[default]
    CreatedAsc,
    /// Newest first.
    CreatedDesc,
    /// Most recently changed first.
    UpdatedDesc,
    /// By last name, then first name, A to Z.
    NameAsc,
    /// By last name, then first name, Z to A.
    NameDesc,
}

impl ContactSort {
    fn ascending(self) -> bool {
        matches!(self, Self::CreatedAsc | Self::NameAsc)
    }

    /// The sort key a cursor carries (empty when the id alone orders the list).
    pub fn key(self, c: &contact::Model) -> String {
        match self {
            Self::CreatedAsc | Self::CreatedDesc => String::new(),
            Self::UpdatedDesc => c
                .updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            Self::NameAsc | Self::NameDesc => {
                format!("{}\u{1f}{}", c.last_name_key, c.first_name_key)
            }
        }
    }

    /// The cursor of a contact in a list in this order.
    pub fn cursor(self, c: &contact::Model) -> String {
        kernel::connection::encode_keyed_cursor(c.id, &self.key(c))
    }

    /// The sort columns (before the id) and the values of a cursor's key for them.
    fn columns(
        self,
        field: &str,
        key: Option<&str>,
    ) -> Result<Vec<(contact::Column, Option<sea_orm::Value>)>, Error> {
        let bad = || {
            Error::bad_input(
                Some(field),
                "this cursor belongs to a list in another order",
            )
        };
        Ok(match self {
            Self::CreatedAsc | Self::CreatedDesc => {
                if key.is_some() {
                    return Err(bad());
                }
                Vec::new()
            }
            Self::UpdatedDesc | Self::NameAsc | Self::NameDesc
                if !field.is_empty() && key.is_none() =>
            {
                return Err(bad());
            }
            Self::UpdatedDesc => {
                let v = key
                    .map(|k| {
                        DateTime::parse_from_rfc3339(k)
                            .map(|d| sea_orm::Value::from(d.with_timezone(&Utc)))
                            .map_err(|_| bad())
                    })
                    .transpose()?;
                vec![(contact::Column::UpdatedAt, v)]
            }
            Self::NameAsc | Self::NameDesc => {
                let (last, first) = match key {
                    Some(k) => {
                        let (l, f) = k.split_once('\u{1f}').ok_or_else(bad)?;
                        (Some(l.to_owned().into()), Some(f.to_owned().into()))
                    }
                    None => (None, None),
                };
                vec![
                    (contact::Column::LastNameKey, last),
                    (contact::Column::FirstNameKey, first),
                ]
            }
        })
    }
}

/// Rows after (`greater`) or before a cursor position in the order of `cols` then `id_col`:
/// `(a > A) OR (a = A AND b > B) OR (a = A AND b = B AND id > I)`.
fn keyset(
    cols: &[(contact::Column, Option<sea_orm::Value>)],
    id: Uuid,
    greater: bool,
) -> Condition {
    let cmp = |c: contact::Column, v: sea_orm::Value| {
        if greater {
            Expr::col(c).gt(v)
        } else {
            Expr::col(c).lt(v)
        }
    };
    let mut any = Condition::any();
    for i in 0..=cols.len() {
        let mut all = Condition::all();
        for (c, v) in &cols[..i] {
            all = all.add(Expr::col(*c).eq(v.clone().unwrap_or(sea_orm::Value::Bool(None))));
        }
        all = all.add(if i == cols.len() {
            cmp(contact::Column::Id, id.into())
        } else {
            let (c, v) = &cols[i];
            cmp(*c, v.clone().unwrap_or(sea_orm::Value::Bool(None)))
        });
        any = any.add(all);
    }
    any
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

/// A page of a sub-account's contacts matching the filter, in the given order.
#[allow(clippy::too_many_arguments)]
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    filter: ContactFilter,
    sort: ContactSort,
    page: Page,
    with_total: bool,
) -> Result<(Vec<contact::Model>, PageInfo, u64), Error> {
    let agency_id = guard::enter::<contact::Entity>(db, actor, sub_account_id, Access::Read)
        .await?
        .agency_id;
    let q = matching(db, agency_id, sub_account_id, &filter).await?;
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = sorted(q, sort, &page)?.all(db).await?;
    let (rows, info) = page.finish_with(rows, |c| sort.cursor(c));
    Ok((rows, info, total))
}

/// Orders and pages a contact query (keyset pagination on the sort columns, then the id).
fn sorted(
    mut q: Select<contact::Entity>,
    sort: ContactSort,
    page: &Page,
) -> Result<Select<contact::Entity>, Error> {
    let asc = sort.ascending();
    if let Some(after) = page.after {
        let cols = sort.columns("after", page.after_key.as_deref())?;
        q = q.filter(keyset(&cols, after, asc));
    }
    if let Some(before) = page.before {
        let cols = sort.columns("before", page.before_key.as_deref())?;
        q = q.filter(keyset(&cols, before, !asc));
    }
    // Fetched in the list's order, or reversed for `last`.
    let order = if asc != page.backward {
        sea_orm::Order::Asc
    } else {
        sea_orm::Order::Desc
    };
    for (c, _) in sort.columns("", None)? {
        q = q.order_by(c, order.clone());
    }
    Ok(q.order_by(contact::Column::Id, order).limit(page.limit + 1))
}

/// The live contacts of a sub-account that match a filter (and its segment's saved filter).
pub async fn matching(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    filter: &ContactFilter,
) -> Result<Select<contact::Entity>, Error> {
    let mut q = contact::Entity::find()
        .filter(contact::Column::AgencyId.eq(agency_id))
        .filter(contact::Column::SubAccountId.eq(sub_account_id))
        .filter(contact::Column::DeletedAt.is_null());
    if let Some(seg) = filter.segment_id {
        // A saved filter never names a segment itself (segments do not nest).
        let saved = crate::service::segment::filter_of(db, agency_id, sub_account_id, seg).await?;
        q = conditions(db, agency_id, sub_account_id, q, &saved).await?;
    }
    conditions(db, agency_id, sub_account_id, q, filter).await
}

/// Adds a filter's conditions (all but its segment) to a contact query.
pub async fn conditions(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    mut q: Select<contact::Entity>,
    filter: &ContactFilter,
) -> Result<Select<contact::Entity>, Error> {
    {
        if let Some(s) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let pattern = format!("{}%", escape_like(&s.to_lowercase()));
            // The stored keys are lowercased already (names) or by nature (emails, E.164
            // phones): no LOWER() on the column, so indexes apply and every database folds
            // case alike.
            let like = |col: contact::Column| {
                Expr::col(col).like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
            };
            q = q.filter(
                Condition::any()
                    .add(like(contact::Column::FirstNameKey))
                    .add(like(contact::Column::LastNameKey))
                    .add(like(contact::Column::Email))
                    .add(like(contact::Column::Phone)),
            );
        }
        if let Some(words) = filter.text.as_deref().map(words).filter(|w| !w.is_empty()) {
            q = q.filter(full_text(db.get_database_backend(), &words));
        }
        if let Some(v) = filter.status {
            q = q.filter(contact::Column::Status.eq(v));
        }
        if let Some(v) = filter.source {
            q = q.filter(contact::Column::Source.eq(v));
        }
        if let Some(v) = filter.owner_id {
            q = q.filter(contact::Column::OwnerId.eq(v));
        }
        if let Some(v) = filter.created_from {
            q = q.filter(contact::Column::CreatedAt.gte(v));
        }
        if let Some(v) = filter.created_before {
            q = q.filter(contact::Column::CreatedAt.lt(v));
        }
        if let Some(t) = filter.tag_id {
            use crate::entity::contact_tag;
            let tagged = contact_tag::Entity::find()
                .select_only()
                .column(contact_tag::Column::ContactId)
                .filter(contact_tag::Column::AgencyId.eq(agency_id))
                .filter(contact_tag::Column::TagId.eq(t))
                .into_query();
            q = q.filter(contact::Column::Id.in_subquery(tagged));
        }
        if !filter.custom_fields.is_empty() {
            q = custom_field::filter_contacts(
                db,
                agency_id,
                sub_account_id,
                q,
                &filter.custom_fields,
            )
            .await?;
        }
        Ok(q)
    }
}

/// The document PostgreSQL's full-text index covers (equal to the migration's expression, so
/// the index applies).
pub const FTS_DOCUMENT: &str = "to_tsvector('simple', first_name || ' ' || last_name || ' ' || coalesce(email, '') || ' ' || coalesce(company, '') || ' ' || coalesce(city, ''))";

/// Most words in a full-text filter.
pub const MAX_WORDS: usize = 8;

/// The lowercased words of a full-text filter: letters and digits only (anything else splits),
/// at most [`MAX_WORDS`].
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(str::to_owned)
        .collect()
}

/// Every word must match: a prefix `tsquery` on PostgreSQL, `LIKE '%word%'` on any of the
/// columns elsewhere.
fn full_text(backend: sea_orm::DbBackend, words: &[String]) -> Condition {
    if backend == sea_orm::DbBackend::Postgres {
        // Words hold only letters and digits: nothing in them is tsquery syntax.
        let query: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
        return Condition::all().add(Expr::cust_with_values(
            format!("{FTS_DOCUMENT} @@ to_tsquery('simple', $1)"),
            [query.join(" & ")],
        ));
    }
    let mut all = Condition::all();
    for w in words {
        let pattern = format!("%{}%", escape_like(w));
        let like = |col: contact::Column| {
            Expr::col(col).like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        all = all.add(
            Condition::any()
                .add(like(contact::Column::FirstNameKey))
                .add(like(contact::Column::LastNameKey))
                .add(like(contact::Column::Email))
                .add(like(contact::Column::Company))
                .add(like(contact::Column::City)),
        );
    }
    all
}

/// Escapes `%`, `_` and `\` for a `LIKE` pattern with `\` as its escape character.
pub fn escape_like(s: &str) -> String {
    s.chars()
        .flat_map(|ch| match ch {
            '%' | '_' | '\\' => vec!['\\', ch],
            c => vec![c],
        })
        .collect()
}
