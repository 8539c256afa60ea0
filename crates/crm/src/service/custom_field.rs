//! Custom fields: the extra contact fields a sub-account defines (create, rename, change the
//! choices, archive, unarchive), and the checking and writing of their values on contacts.
//!
//! A value is checked against its field's definition on every write: the kind decides which
//! input member carries it (`text`, `number`, `date`, `checked` or `options`), select values
//! must be among the choices, URLs must be http(s), dates are `YYYY-MM-DD`.

use super::contact::FieldCondition;
use crate::entity::custom_field::CustomFieldKind as Kind;
use crate::entity::{contact, contact_field_value as value, custom_field as field};
use chrono::{NaiveDate, Utc};
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoCondition, LikeExpr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    TransactionSession, TransactionTrait,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Most custom fields (archived ones included) in one sub-account.
pub const MAX_FIELDS: u64 = 200;
/// Most choices of a select field.
pub const MAX_OPTIONS: usize = 100;
/// Longest text value, in characters.
pub const MAX_TEXT: usize = 2000;
/// Longest stored text (a multi-select's choices included), in bytes: it is indexed, and a
/// PostgreSQL index entry holds at most 2,704 bytes.
pub const MAX_STORED_BYTES: usize = 2000;

/// The choices of a select field.
pub fn options_of(f: &field::Model) -> Vec<String> {
    f.options
        .as_deref()
        .and_then(|o| serde_json::from_str(o).ok())
        .unwrap_or_default()
}

fn check_name(errors: &mut Vec<UserError>, name: &str) -> String {
    tenancy::service::validate::name(errors, "input.name", name, 100)
}

/// Trims the choices; they must be 1 to 100 distinct non-empty strings of at most 100 characters
/// without `|`.
fn check_options(errors: &mut Vec<UserError>, options: &[String]) -> Vec<String> {
    let options: Vec<String> = options.iter().map(|o| o.trim().to_owned()).collect();
    let distinct: HashSet<&str> = options.iter().map(String::as_str).collect();
    if options.is_empty()
        || options.len() > MAX_OPTIONS
        || distinct.len() != options.len()
        || options
            .iter()
            .any(|o| o.is_empty() || o.chars().count() > 100 || o.contains('|'))
    {
        errors.push(UserError::new(
            "input.options",
            UserErrorCode::Invalid,
            format!(
                "a select field has 1 to {MAX_OPTIONS} distinct choices of 1 to 100 characters, without `|`"
            ),
        ));
    }
    options
}

fn taken(e: sea_orm::DbErr) -> Error {
    if kernel::db::is_unique_violation(&e) {
        Error::user(
            "input.name",
            UserErrorCode::Taken,
            "this sub-account has a field of this name",
        )
    } else {
        e.into()
    }
}

async fn name_taken(
    db: &impl ConnectionTrait,
    (agency_id, sub): (Uuid, Uuid),
    key: &str,
    except: Option<Uuid>,
) -> Result<bool, Error> {
    let mut q = field::Entity::find()
        .filter(field::Column::AgencyId.eq(agency_id))
        .filter(field::Column::SubAccountId.eq(sub))
        .filter(field::Column::NameKey.eq(key));
    if let Some(id) = except {
        q = q.filter(field::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// A custom field the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<field::Model, Error> {
    guard::load::<field::Entity>(db, actor, id, Access::Read).await
}

/// The custom fields of a sub-account in the order they were made (archived ones on request).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    include_archived: bool,
) -> Result<Vec<field::Model>, Error> {
    let agency_id = guard::enter::<field::Entity>(db, actor, sub_account_id, Access::Read)
        .await?
        .agency_id;
    let mut q = field::Entity::find()
        .filter(field::Column::AgencyId.eq(agency_id))
        .filter(field::Column::SubAccountId.eq(sub_account_id));
    if !include_archived {
        q = q.filter(field::Column::ArchivedAt.is_null());
    }
    Ok(q.order_by_asc(field::Column::Id).all(db).await?)
}

/// Defines a custom field in a sub-account. Select kinds need their choices.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    name: &str,
    kind: Kind,
    options: Option<&[String]>,
) -> Result<field::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<field::Entity>(db, actor, sub_account_id, Access::Write)
        .await?
        .agency_id;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, name);
    let options = match (kind.is_select(), options) {
        (true, Some(o)) => Some(check_options(&mut errors, o)),
        (true, None) => {
            errors.push(UserError::new(
                "input.options",
                UserErrorCode::Invalid,
                "a select field needs its choices",
            ));
            None
        }
        (false, Some(_)) => {
            errors.push(UserError::new(
                "input.options",
                UserErrorCode::Invalid,
                "only select fields have choices",
            ));
            None
        }
        (false, None) => None,
    };
    let key = name.to_lowercase();
    if errors.is_empty() {
        if name_taken(db, (agency_id, sub_account_id), &key, None).await? {
            errors.push(UserError::new(
                "input.name",
                UserErrorCode::Taken,
                "this sub-account has a field of this name",
            ));
        } else if field::Entity::find()
            .filter(field::Column::AgencyId.eq(agency_id))
            .filter(field::Column::SubAccountId.eq(sub_account_id))
            .count(db)
            .await?
            >= MAX_FIELDS
        {
            errors.push(UserError::new(
                "input",
                UserErrorCode::LimitReached,
                format!("a sub-account has at most {MAX_FIELDS} custom fields"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let f = field::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub_account_id),
        name: Set(name),
        name_key: NotSet, // from the name, on save
        kind: Set(kind),
        options: Set(options.map(|o| serde_json::Value::from(o).to_string())),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(taken)?;
    guard::record(
        &txn,
        actor,
        &f,
        EventType::CustomFieldCreated,
        json!({ "name": f.name, "kind": f.kind }),
    )
    .await?;
    txn.commit().await?;
    Ok(f)
}

/// Renames a field or replaces a select field's choices. A choice that a contact still holds
/// cannot be removed (`IN_USE`).
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    name: Option<&str>,
    options: Option<&[String]>,
) -> Result<field::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let f = guard::load::<field::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let mut m: field::ActiveModel = f.clone().into();
    if let Some(n) = name {
        let n = check_name(&mut errors, n);
        let key = n.to_lowercase();
        if errors.is_empty()
            && name_taken(db, (f.agency_id, f.sub_account_id), &key, Some(f.id)).await?
        {
            errors.push(UserError::new(
                "input.name",
                UserErrorCode::Taken,
                "this sub-account has a field of this name",
            ));
        }
        m.name = Set(n);
    }
    if let Some(o) = options {
        if !f.kind.is_select() {
            errors.push(UserError::new(
                "input.options",
                UserErrorCode::Invalid,
                "only select fields have choices",
            ));
        } else {
            let new = check_options(&mut errors, o);
            let kept: HashSet<&str> = new.iter().map(String::as_str).collect();
            for gone in options_of(&f).iter().filter(|o| !kept.contains(o.as_str())) {
                if option_in_use(db, &f, gone).await? {
                    errors.push(UserError::new(
                        "input.options",
                        UserErrorCode::InUse,
                        format!("contacts still hold the choice `{gone}`"),
                    ));
                }
            }
            m.options = Set(Some(serde_json::Value::from(new).to_string()));
        }
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let f = m.update(&txn).await.map_err(taken)?;
    guard::record(
        &txn,
        actor,
        &f,
        EventType::CustomFieldUpdated,
        json!({ "name": f.name, "kind": f.kind }),
    )
    .await?;
    txn.commit().await?;
    Ok(f)
}

async fn option_in_use(
    db: &impl ConnectionTrait,
    f: &field::Model,
    option: &str,
) -> Result<bool, Error> {
    let q = value::Entity::find()
        .filter(value::Column::AgencyId.eq(f.agency_id))
        .filter(value::Column::FieldId.eq(f.id));
    let q = if f.kind == Kind::MultiSelect {
        q.filter(has_choice(option))
    } else {
        q.filter(value::Column::TextValue.eq(option))
    };
    Ok(q.count(db).await? > 0)
}

/// Whether a stored multi-select value (`|a|b|`) holds a choice (choices cannot hold `|`).
fn has_choice(option: &str) -> SimpleExpr {
    let pattern = format!("%|{}|%", super::contact::escape_like(option));
    Expr::col(value::Column::TextValue).like(LikeExpr::new(pattern).escape('\\'))
}

/// Most custom-field conditions in one filter.
pub const MAX_CONDITIONS: usize = 20;

/// Narrows a contact query to the contacts whose custom values meet every condition. An
/// unknown field or a value that does not fit the field's kind is `BAD_USER_INPUT`.
pub async fn filter_contacts(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    mut q: Select<contact::Entity>,
    conds: &[FieldCondition],
) -> Result<Select<contact::Entity>, Error> {
    if conds.len() > MAX_CONDITIONS {
        return Err(Error::bad_input(
            Some("filter.customFields"),
            format!("at most {MAX_CONDITIONS} custom-field conditions"),
        ));
    }
    let defs: HashMap<Uuid, field::Model> = field::Entity::find()
        .filter(field::Column::AgencyId.eq(agency_id))
        .filter(field::Column::SubAccountId.eq(sub_account_id))
        .filter(field::Column::Id.is_in(conds.iter().map(|c| c.field_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    for (i, c) in conds.iter().enumerate() {
        let path = format!("filter.customFields.{i}");
        let bad = |m: String| Error::bad_input(Some(&path), m);
        let f = defs.get(&c.field_id).ok_or_else(|| {
            Error::bad_input(
                Some(&format!("{path}.fieldId")),
                "no such custom field in this sub-account",
            )
        })?;
        let holders = |cond: Condition| {
            value::Entity::find()
                .select_only()
                .column(value::Column::ContactId)
                .filter(value::Column::AgencyId.eq(agency_id))
                .filter(value::Column::FieldId.eq(f.id))
                .filter(cond)
                .into_query()
        };
        if let Some(set) = c.is_set {
            let with = holders(Condition::all());
            q = q.filter(if set {
                contact::Column::Id.in_subquery(with)
            } else {
                contact::Column::Id.not_in_subquery(with)
            });
        }
        let ranged = c.at_least.is_some() || c.at_most.is_some();
        if ranged && !matches!(f.kind, Kind::Number | Kind::Date) {
            return Err(bad(format!(
                "`{}` is a {} field: only numbers and dates take `atLeast` and `atMost`",
                f.name,
                f.kind.label()
            )));
        }
        let mut cond = Condition::all();
        match f.kind {
            Kind::Number => {
                let num = |v: &str| {
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .ok_or_else(|| bad(format!("`{v}` is not a number")))
                };
                if let Some(v) = &c.equals {
                    cond = cond.add(value::Column::NumberValue.eq(num(v)?));
                }
                if let Some(v) = &c.at_least {
                    cond = cond.add(value::Column::NumberValue.gte(num(v)?));
                }
                if let Some(v) = &c.at_most {
                    cond = cond.add(value::Column::NumberValue.lte(num(v)?));
                }
            }
            Kind::Date => {
                let date = |v: &str| {
                    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .map_err(|_| bad(format!("`{v}` is not a date as YYYY-MM-DD")))
                };
                if let Some(v) = &c.equals {
                    cond = cond.add(value::Column::DateValue.eq(date(v)?));
                }
                if let Some(v) = &c.at_least {
                    cond = cond.add(value::Column::DateValue.gte(date(v)?));
                }
                if let Some(v) = &c.at_most {
                    cond = cond.add(value::Column::DateValue.lte(date(v)?));
                }
            }
            Kind::Checkbox => {
                if let Some(v) = &c.equals {
                    match v.trim() {
                        // An unset checkbox counts as unchecked.
                        "false" => {
                            let checked =
                                holders(value::Column::BoolValue.eq(true).into_condition());
                            q = q.filter(contact::Column::Id.not_in_subquery(checked));
                        }
                        "true" => cond = cond.add(value::Column::BoolValue.eq(true)),
                        _ => return Err(bad(format!("`{v}` is not `true` or `false`"))),
                    }
                }
            }
            Kind::MultiSelect => {
                if let Some(v) = &c.equals {
                    cond = cond.add(has_choice(v.trim()));
                }
            }
            _ => {
                if let Some(v) = &c.equals {
                    cond = cond.add(value::Column::TextValue.eq(v.trim()));
                }
            }
        }
        if !cond.is_empty() {
            q = q.filter(contact::Column::Id.in_subquery(holders(cond)));
        }
    }
    Ok(q)
}

/// Archives a field (its values are kept but hidden and no longer written) or brings it back.
pub async fn set_archived<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    archived: bool,
) -> Result<field::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let f = guard::load::<field::Entity>(db, actor, id, Access::Write).await?;
    if f.archived_at.is_some() == archived {
        return Err(Error::user(
            "id",
            UserErrorCode::AlreadyDone,
            if archived {
                "the field is archived already"
            } else {
                "the field is not archived"
            },
        ));
    }
    let mut m: field::ActiveModel = f.into();
    m.archived_at = Set(archived.then(Utc::now));
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let f = m.update(&txn).await?;
    guard::record(
        &txn,
        actor,
        &f,
        if archived {
            EventType::CustomFieldArchived
        } else {
            EventType::CustomFieldUnarchived
        },
        json!({ "name": f.name, "kind": f.kind }),
    )
    .await?;
    txn.commit().await?;
    Ok(f)
}

/// A value to write: exactly the member of the field's kind, or none to clear the value.
#[derive(Debug, Clone, Default)]
pub struct ValueInput {
    /// The field.
    pub field_id: Uuid,
    /// For text, URL and single-select fields.
    pub text: Option<String>,
    /// For number fields.
    pub number: Option<f64>,
    /// For date fields, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// For checkbox fields.
    pub checked: Option<bool>,
    /// For multi-select fields.
    pub options: Option<Vec<String>>,
}

/// A checked value, ready to store (`None` members clear it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    /// The field.
    pub field_id: Uuid,
    /// Text, URL or select choice(s), as stored.
    pub text: Option<String>,
    /// A number.
    pub number: Option<f64>,
    /// A date.
    pub date: Option<String>,
    /// A checkbox.
    pub checked: Option<bool>,
}

impl Checked {
    fn is_empty(&self) -> bool {
        self.text.is_none()
            && self.number.is_none()
            && self.date.is_none()
            && self.checked.is_none()
    }
}

/// The live (not archived) custom fields of a sub-account by id: what values are checked
/// against.
pub async fn definitions(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
) -> Result<HashMap<Uuid, field::Model>, Error> {
    Ok(field::Entity::find()
        .filter(field::Column::AgencyId.eq(agency_id))
        .filter(field::Column::SubAccountId.eq(sub_account_id))
        .filter(field::Column::ArchivedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect())
}

/// Checks one value against its field's definition. `Err` holds what is wrong, for `where_`.
pub fn check_value(f: &field::Model, v: &ValueInput) -> Result<Checked, String> {
    let given = [
        v.text.is_some(),
        v.number.is_some(),
        v.date.is_some(),
        v.checked.is_some(),
        v.options.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let member = match f.kind {
        Kind::Number => "number",
        Kind::Date => "date",
        Kind::Checkbox => "checked",
        Kind::MultiSelect => "options",
        _ => "text",
    };
    let mut out = Checked {
        field_id: f.id,
        ..Checked::default()
    };
    if given == 0 {
        return Ok(out);
    }
    let wrong = || {
        format!(
            "`{}` is a {} field: give its value as `{member}`",
            f.name,
            f.kind.label()
        )
    };
    if given > 1 {
        return Err(wrong());
    }
    match f.kind {
        Kind::Text | Kind::Url | Kind::SingleSelect => {
            let t = v.text.as_deref().ok_or_else(wrong)?.trim();
            if t.is_empty() {
                return Ok(out);
            }
            if t.chars().count() > MAX_TEXT {
                return Err(format!("at most {MAX_TEXT} characters"));
            }
            if f.kind == Kind::Url && !tenancy::service::validate::is_http_url(t) {
                return Err("enter a full http:// or https:// address".into());
            }
            if f.kind == Kind::SingleSelect && !options_of(f).iter().any(|o| o == t) {
                return Err(format!("`{t}` is not a choice of `{}`", f.name));
            }
            out.text = Some(t.to_owned());
        }
        Kind::Number => {
            let n = v.number.ok_or_else(wrong)?;
            if !n.is_finite() {
                return Err("enter a finite number".into());
            }
            out.number = Some(n);
        }
        Kind::Date => {
            let d = v.date.as_deref().ok_or_else(wrong)?.trim();
            if d.is_empty() {
                return Ok(out);
            }
            let parsed = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| "enter a date as YYYY-MM-DD".to_owned())?;
            out.date = Some(parsed.format("%Y-%m-%d").to_string());
        }
        Kind::Checkbox => out.checked = Some(v.checked.ok_or_else(wrong)?),
        Kind::MultiSelect => {
            let chosen = v.options.as_ref().ok_or_else(wrong)?;
            let all = options_of(f);
            let mut picked: Vec<&str> = Vec::new();
            for c in chosen {
                let c = c.trim();
                if !all.iter().any(|o| o == c) {
                    return Err(format!("`{c}` is not a choice of `{}`", f.name));
                }
                if !picked.contains(&c) {
                    picked.push(c);
                }
            }
            if !picked.is_empty() {
                // Kept in the definition's order.
                let ordered: Vec<&str> = all
                    .iter()
                    .map(String::as_str)
                    .filter(|o| picked.contains(o))
                    .collect();
                out.text = Some(format!("|{}|", ordered.join("|")));
            }
        }
    }
    if out
        .text
        .as_ref()
        .is_some_and(|t| t.len() > MAX_STORED_BYTES)
    {
        return Err(format!("the value is longer than {MAX_STORED_BYTES} bytes"));
    }
    Ok(out)
}

/// Checks values against the sub-account's live fields; problems go to `errors` under
/// `{path}.{i}`. An unknown or archived field is `INVALID` at `{path}.{i}.fieldId`.
pub fn check_values(
    defs: &HashMap<Uuid, field::Model>,
    values: &[ValueInput],
    path: &str,
    errors: &mut Vec<UserError>,
) -> Vec<Checked> {
    let mut out = Vec::with_capacity(values.len());
    let mut seen = HashSet::new();
    for (i, v) in values.iter().enumerate() {
        let Some(f) = defs.get(&v.field_id) else {
            errors.push(UserError::new(
                &format!("{path}.{i}.fieldId"),
                UserErrorCode::Invalid,
                "no such custom field in this sub-account",
            ));
            continue;
        };
        if !seen.insert(v.field_id) {
            errors.push(UserError::new(
                &format!("{path}.{i}.fieldId"),
                UserErrorCode::Invalid,
                "a field is given twice",
            ));
            continue;
        }
        match check_value(f, v) {
            Ok(c) => out.push(c),
            Err(m) => errors.push(UserError::new(
                &format!("{path}.{i}"),
                UserErrorCode::Invalid,
                m,
            )),
        }
    }
    out
}

/// Writes checked values of one contact: an empty value removes the stored one.
pub async fn write_values(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    contact_id: Uuid,
    values: &[Checked],
) -> Result<(), Error> {
    if values.is_empty() {
        return Ok(());
    }
    value::Entity::delete_many()
        .filter(value::Column::AgencyId.eq(agency_id))
        .filter(value::Column::ContactId.eq(contact_id))
        .filter(value::Column::FieldId.is_in(values.iter().map(|v| v.field_id)))
        .exec(db)
        .await?;
    let now = Utc::now();
    let rows: Vec<value::ActiveModel> = values
        .iter()
        .filter(|v| !v.is_empty())
        .map(|v| row(agency_id, contact_id, v, now))
        .collect();
    if !rows.is_empty() {
        value::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// The row of a checked, non-empty value.
pub fn row(
    agency_id: Uuid,
    contact_id: Uuid,
    v: &Checked,
    now: chrono::DateTime<Utc>,
) -> value::ActiveModel {
    value::ActiveModel {
        agency_id: Set(agency_id),
        contact_id: Set(contact_id),
        field_id: Set(v.field_id),
        text_value: Set(v.text.clone()),
        number_value: Set(v.number),
        date_value: Set(v.date.clone()),
        bool_value: Set(v.checked),
        updated_at: Set(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: Kind, options: Option<&[&str]>) -> field::Model {
        field::Model {
            agency_id: Uuid::nil(),
            id: Uuid::nil(),
            sub_account_id: Uuid::nil(),
            name: "F".into(),
            name_key: "f".into(),
            kind,
            options: options.map(|o| serde_json::json!(o).to_string()),
            archived_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn values_are_checked_against_the_kind() {
        let num = def(Kind::Number, None);
        let ok = ValueInput {
            number: Some(4.5),
            ..Default::default()
        };
        assert_eq!(check_value(&num, &ok).map(|c| c.number), Ok(Some(4.5)));
        let text = ValueInput {
            text: Some("4".into()),
            ..Default::default()
        };
        assert!(check_value(&num, &text).is_err_and(|e| e.contains("`number`")));

        let date = def(Kind::Date, None);
        let bad = ValueInput {
            date: Some("2026-02-30".into()),
            ..Default::default()
        };
        assert!(check_value(&date, &bad).is_err());

        let multi = def(Kind::MultiSelect, Some(&["a", "b", "c"]));
        let pick = ValueInput {
            options: Some(vec!["c".into(), "a".into(), "a".into()]),
            ..Default::default()
        };
        assert_eq!(
            check_value(&multi, &pick).map(|c| c.text),
            Ok(Some("|a|c|".into()))
        );
        let unknown = ValueInput {
            options: Some(vec!["z".into()]),
            ..Default::default()
        };
        assert!(check_value(&multi, &unknown).is_err());

        let url = def(Kind::Url, None);
        for (u, good) in [
            ("https://example.com/x", true),
            ("example.com", false),
            ("javascript:alert(1)", false),
            ("http://a b.com", false),
        ] {
            let v = ValueInput {
                text: Some(u.into()),
                ..Default::default()
            };
            assert_eq!(check_value(&url, &v).is_ok(), good, "{u}");
        }
    }
}
