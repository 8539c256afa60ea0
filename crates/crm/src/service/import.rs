//! CSV import of contacts: a column mapping, per-row errors (row number, column, reason),
//! upsert by email address then phone number, and two modes: all or nothing (the default; any
//! bad row writes nothing) or partial (good rows are written, bad ones reported).
//!
//! Writes are batched (a few hundred rows per statement) in one transaction; a malformed or
//! oversized file writes nothing whatever the mode.

use super::contact::{ContactFields, check, identifiable, new_model};
use super::custom_field::{self, Checked, ValueInput};
use crate::entity::{contact as c, contact_field_value as value, custom_field as field};
use chrono::Utc;
use kernel::auth::{Actor, Scope};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::{self, EventType, NewEvent};
use kernel::id::NodeKind;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, Iterable,
    ModelTrait, QueryFilter, TransactionSession, TransactionTrait, TryIntoModel,
};
use std::collections::{HashMap, HashSet};
use tenancy::guard::{self, Access};
use uuid::Uuid;

mod rows;

use rows::*;

/// Largest file accepted, in bytes.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Most data rows in one file.
pub const MAX_ROWS: usize = 50_000;
/// Most row errors listed in the outcome (all of them are counted).
pub const MAX_REPORTED: usize = 1_000;
/// Rows per insert statement.
const BATCH: usize = 300;
/// Contacts per bulk update statement (a value per written column each).
const UPDATE_BATCH: usize = 200;

/// Where a column goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Email address.
    Email,
    /// Phone number.
    Phone,
    /// Company.
    Company,
    /// Source (`manual`, `form`, …).
    Source,
    /// Status (`new`, `contacted`, …).
    Status,
    /// Address line 1.
    AddressLine1,
    /// Address line 2.
    AddressLine2,
    /// City.
    City,
    /// Region.
    Region,
    /// Postal code.
    PostalCode,
    /// Country code.
    Country,
    /// Do not email (`true`/`false`, `yes`/`no`, `1`/`0`).
    DoNotEmail,
    /// Do not text.
    DoNotText,
    /// Do not call.
    DoNotCall,
    /// A custom field.
    Custom(Uuid),
}

impl Target {
    /// The input field that `check` names for this target.
    fn input_field(self) -> &'static str {
        match self {
            Self::FirstName => "firstName",
            Self::LastName => "lastName",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Company => "company",
            Self::Source => "source",
            Self::Status => "status",
            Self::AddressLine1 => "addressLine1",
            Self::AddressLine2 => "addressLine2",
            Self::City => "city",
            Self::Region => "region",
            Self::PostalCode => "postalCode",
            Self::Country => "country",
            Self::DoNotEmail => "doNotEmail",
            Self::DoNotText => "doNotText",
            Self::DoNotCall => "doNotCall",
            Self::Custom(_) => "customValues",
        }
    }
}

/// One mapped column: its header in the file and where it goes.
#[derive(Debug, Clone)]
pub struct Column {
    /// The header, as in the file's first row (matched ignoring case and surrounding spaces).
    pub header: String,
    /// Where its values go.
    pub target: Target,
}

/// What to do with bad rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Any bad row writes nothing.
    #[default]
    AllOrNothing,
    /// Good rows are written; bad rows are reported and skipped.
    Partial,
}

/// A problem with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row's number in the file as a spreadsheet shows it (the header is row 1).
    pub row: u64,
    /// The column at fault, if one is.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Whether anything was written.
    pub committed: bool,
    /// Contacts created.
    pub created: u64,
    /// Existing contacts updated (matched by email, then phone).
    pub updated: u64,
    /// Existing contacts the file matched but did not change (not written).
    pub unchanged: u64,
    /// Rows with errors (not written).
    pub failed: u64,
    /// The first 1,000 row errors.
    pub errors: Vec<RowError>,
}

/// Imports contacts from CSV bytes into a sub-account (`CONTACTS_WRITE`).
pub async fn import<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    data: &[u8],
    mapping: &[Column],
    mode: Mode,
) -> Result<Outcome, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<c::Entity>(db, actor, sub_account_id, Access::Write)
        .await?
        .agency_id;
    if data.len() > MAX_BYTES {
        return Err(user(
            "input.file",
            UserErrorCode::TooLong,
            format!("the file is larger than {} MiB", MAX_BYTES / 1024 / 1024),
        ));
    }
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(data);
    let malformed = |e: csv::Error| {
        let at = e
            .position()
            .map(|p| format!("line {}: ", p.line()))
            .unwrap_or_default();
        let what = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("expected {expected_len} fields, found {len}"),
            csv::ErrorKind::Utf8 { .. } => "the text is not UTF-8".to_owned(),
            _ => "not valid CSV".to_owned(),
        };
        user(
            "input.file",
            UserErrorCode::Invalid,
            format!("the file is not valid CSV: {at}{what}"),
        )
    };
    let headers = reader.headers().map_err(malformed)?.clone();
    if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
        return Err(user(
            "input.file",
            UserErrorCode::Invalid,
            "the file is empty: its first row names the columns",
        ));
    }
    let defs = custom_field::definitions(db, agency_id, sub_account_id).await?;
    let columns = resolve_mapping(&headers, mapping, &defs)?;

    // Parse and check every row before writing anything.
    let mut outcome = Outcome::default();
    let mut rows: Vec<(u64, Prepared)> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(malformed)?;
        if i >= MAX_ROWS {
            return Err(user(
                "input.file",
                UserErrorCode::TooLong,
                format!("the file has more than {MAX_ROWS} rows"),
            ));
        }
        let row = record.position().map_or(i as u64 + 2, |p| p.line());
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match prepare(&record, &columns, &defs, row) {
            Ok(p) => rows.push((row, p)),
            Err(errs) => {
                outcome.failed += 1;
                for e in errs {
                    if outcome.errors.len() < MAX_REPORTED {
                        outcome.errors.push(e);
                    }
                }
            }
        }
    }
    if outcome.failed > 0 && mode == Mode::AllOrNothing {
        return Ok(outcome);
    }

    // Existing contacts matched by email, then phone. PostgreSQL's generic plan for a long
    // `IN` list scans the table (about 100 ms a lookup at 10,000 contacts): plan each lookup
    // for its own values, for these lookups only.
    let pg = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    if pg {
        db.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
    }
    let emails: HashSet<String> = rows.iter().filter_map(|(_, p)| p.email()).collect();
    let mut existing: HashMap<Uuid, c::Model> = HashMap::new();
    let emails: Vec<String> = emails.into_iter().collect();
    for chunk in emails.chunks(BATCH) {
        for m in live(agency_id, sub_account_id)
            .filter(c::Column::Email.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            existing.insert(m.id, m);
        }
    }
    let phones: Vec<String> = rows
        .iter()
        .filter_map(|(_, p)| p.phone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in phones.chunks(BATCH) {
        for m in live(agency_id, sub_account_id)
            .filter(c::Column::Phone.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            existing.insert(m.id, m);
        }
    }
    let stored =
        stored_values(db, agency_id, &existing.keys().copied().collect::<Vec<_>>()).await?;
    if pg {
        db.execute_unprepared("SET LOCAL plan_cache_mode = auto")
            .await?;
    }
    let mut by_email: HashMap<String, Uuid> = HashMap::new();
    let mut by_phone: HashMap<String, Uuid> = HashMap::new();
    let mut order: Vec<Uuid> = existing.keys().copied().collect();
    order.sort_unstable();
    for id in &order {
        // The oldest contact wins a shared address.
        let m = &existing[id];
        if let Some(e) = &m.email {
            by_email.entry(e.clone()).or_insert(*id);
        }
        if let Some(p) = &m.phone {
            by_phone.entry(p.clone()).or_insert(*id);
        }
    }

    // Apply every row to its target: an existing contact, one made earlier in this file, or a
    // new one.
    let now = Utc::now();
    let mut models: HashMap<Uuid, c::ActiveModel> = HashMap::new();
    let mut created: Vec<Uuid> = Vec::new();
    let mut updated: Vec<Uuid> = Vec::new();
    let mut values: HashMap<Uuid, Vec<Checked>> = HashMap::new();
    for (_, p) in rows {
        let email = p.email();
        let phone = p.phone();
        let target = email
            .as_ref()
            .and_then(|e| by_email.get(e))
            .or_else(|| phone.as_ref().and_then(|p| by_phone.get(p)))
            .copied();
        let id = match target {
            Some(id) => id,
            None => {
                let mut m = new_model(agency_id, sub_account_id, now);
                m.source = Set(c::ContactSource::Import);
                let id = new_id(&m);
                models.insert(id, m);
                created.push(id);
                id
            }
        };
        let m = match models.entry(id) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                updated.push(id);
                let mut m: c::ActiveModel = existing[&id].clone().into();
                m.updated_at = Set(now);
                v.insert(m)
            }
        };
        p.apply(m);
        if let Some(e) = email {
            by_email.entry(e).or_insert(id);
        }
        if let Some(ph) = phone {
            by_phone.entry(ph).or_insert(id);
        }
        if !p.values.is_empty() {
            let slot = values.entry(id).or_default();
            for v in p.values {
                slot.retain(|old| old.field_id != v.field_id);
                slot.push(v);
            }
        }
    }

    // Existing contacts the file leaves as they are (a re-import) are not written at all.
    let mut unchanged: HashSet<Uuid> = HashSet::new();
    for id in &updated {
        if let Some(vs) = values.get_mut(id) {
            vs.retain(|v| stored.get(&(*id, v.field_id)) != Some(v));
        }
        let same_values = values.get(id).is_none_or(Vec::is_empty);
        let same_fields = models.get(id).is_some_and(|m| {
            let mut before: c::ActiveModel = existing[id].clone().into();
            before.updated_at = m.updated_at.clone();
            let after = m.clone().try_into_model().ok();
            after.is_some() && after == before.try_into_model().ok()
        });
        if same_fields && same_values {
            unchanged.insert(*id);
        }
    }
    updated.retain(|id| !unchanged.contains(id));

    let txn = db.begin().await?;
    let mut new_rows: Vec<c::ActiveModel> =
        created.iter().filter_map(|id| models.remove(id)).collect();
    while !new_rows.is_empty() {
        let rest = new_rows.split_off(new_rows.len().min(BATCH));
        c::Entity::insert_many(new_rows).exec(&txn).await?;
        new_rows = rest;
    }
    let changed: Vec<c::Model> = updated
        .iter()
        .filter_map(|id| models.remove(id))
        .filter_map(|m| m.try_into_model().ok())
        .collect();
    for chunk in changed.chunks(UPDATE_BATCH) {
        update_many(&txn, agency_id, chunk).await?;
    }
    // Custom values: the imported ones replace what the contacts held for those fields.
    let touched: Vec<(Uuid, Uuid)> = updated
        .iter()
        .filter_map(|id| values.get(id).map(|vs| (id, vs)))
        .flat_map(|(id, vs)| vs.iter().map(move |v| (*id, v.field_id)))
        .collect();
    for chunk in touched.chunks(BATCH) {
        let mut any = Condition::any();
        for (contact_id, field_id) in chunk {
            any = any.add(
                Expr::col(value::Column::ContactId)
                    .eq(*contact_id)
                    .and(Expr::col(value::Column::FieldId).eq(*field_id)),
            );
        }
        value::Entity::delete_many()
            .filter(value::Column::AgencyId.eq(agency_id))
            .filter(any)
            .exec(&txn)
            .await?;
    }
    let mut value_rows: Vec<value::ActiveModel> = values
        .iter()
        .flat_map(|(id, vs)| {
            vs.iter()
                .filter(|v| {
                    v.text.is_some()
                        || v.number.is_some()
                        || v.date.is_some()
                        || v.checked.is_some()
                })
                .map(move |v| custom_field::row(agency_id, *id, v, now))
        })
        .collect();
    while !value_rows.is_empty() {
        let rest = value_rows.split_off(value_rows.len().min(BATCH));
        value::Entity::insert_many(value_rows).exec(&txn).await?;
        value_rows = rest;
    }
    let scope = Scope::SubAccount {
        agency_id,
        id: sub_account_id,
    };
    let events = created
        .iter()
        .map(|id| (EventType::ContactCreated, id))
        .chain(updated.iter().map(|id| (EventType::ContactUpdated, id)))
        .map(|(event_type, id)| NewEvent {
            event_type,
            scope,
            subject: (NodeKind::Contact, *id),
            payload: serde_json::json!({ "via": "import" }),
        })
        .collect();
    event::record_many(&txn, actor, events).await?;
    let change = kernel::metric::Change {
        metric: kernel::metric::Metric::ContactsCreated,
        dimension: c::ContactSource::Import.to_value(),
        at: now,
        count: created.len() as i64,
        total: 0,
    };
    kernel::metric::count_one(&txn, agency_id, sub_account_id, change).await?;
    txn.commit().await?;
    outcome.committed = true;
    outcome.created = created.len() as u64;
    outcome.updated = updated.len() as u64;
    outcome.unchanged = unchanged.len() as u64;
    Ok(outcome)
}

fn live(agency_id: Uuid, sub_account_id: Uuid) -> sea_orm::Select<c::Entity> {
    c::Entity::find()
        .filter(c::Column::AgencyId.eq(agency_id))
        .filter(c::Column::SubAccountId.eq(sub_account_id))
        .filter(c::Column::DeletedAt.is_null())
}

fn new_id(m: &c::ActiveModel) -> Uuid {
    match &m.id {
        Set(id) => *id,
        _ => Uuid::nil(),
    }
}

/// The stored custom values of contacts, by `(contact, field)`, as [`Checked`] values.
async fn stored_values(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    contacts: &[Uuid],
) -> Result<HashMap<(Uuid, Uuid), Checked>, Error> {
    let mut out = HashMap::new();
    for chunk in contacts.chunks(BATCH) {
        for v in value::Entity::find()
            .filter(value::Column::AgencyId.eq(agency_id))
            .filter(value::Column::ContactId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            out.insert(
                (v.contact_id, v.field_id),
                Checked {
                    field_id: v.field_id,
                    text: v.text_value,
                    number: v.number_value,
                    date: v.date_value,
                    checked: v.bool_value,
                },
            );
        }
    }
    Ok(out)
}

/// Writes many contacts' columns in one statement:
/// `UPDATE contacts SET … FROM (VALUES (…), …) AS v WHERE contacts.id = v.column1`
/// (PostgreSQL and SQLite both name a `VALUES` list's columns `column1`, `column2`, …).
async fn update_many(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    rows: &[c::Model],
) -> Result<(), Error> {
    // Every column but the primary key, the sub-account, the owner, the life cycle and the
    // creation time: a column added to contacts is written here without a change.
    let columns: Vec<c::Column> = c::Column::iter()
        .filter(|col| {
            !matches!(
                col,
                c::Column::AgencyId
                    | c::Column::Id
                    | c::Column::SubAccountId
                    | c::Column::OwnerId
                    | c::Column::CreatedAt
                    | c::Column::DeletedAt
                    | c::Column::MergedIntoId
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut n = 0;
    let mut param = || {
        n += 1;
        match backend {
            sea_orm::DbBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        }
    };
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(rows.len() * (columns.len() + 1) + 1);
    let mut tuples = Vec::with_capacity(rows.len());
    for r in rows {
        let row: Vec<sea_orm::Value> = std::iter::once(r.id.into())
            .chain(columns.iter().map(|col| r.get(*col)))
            .collect();
        let marks: Vec<String> = row.iter().map(|_| param()).collect();
        tuples.push(format!("({})", marks.join(", ")));
        values.extend(row);
    }
    let agency = param();
    values.push(agency_id.into());
    let set: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, col)| format!("\"{}\" = v.column{}", col.as_str(), i + 2))
        .collect();
    let sql = format!(
        "UPDATE contacts SET {} FROM (VALUES {}) AS v WHERE contacts.agency_id = {agency} AND contacts.id = v.column1",
        set.join(", "),
        tuples.join(", ")
    );
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend, sql, values,
    ))
    .await?;
    Ok(())
}
