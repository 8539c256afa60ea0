//! Duplicates and merging: find contacts of a sub-account that share an email address, a
//! phone number or a full name, and merge one contact into another in one transaction.
//!
//! A merge keeps the survivor's values and fills its empty ones from the merged contact
//! (fields, address, owner, custom values), moves the timeline, unites the tags, repoints
//! every reference from other domains ([`REFERENCES`]), and soft-deletes the merged contact
//! with `merged_into_id` set (it cannot be restored).

use super::contact;
use crate::entity::{activity, contact as c, contact_field_value as value, contact_tag};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserErrorCode};
use kernel::event::EventType;
use kernel::id::NodeKind;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use std::collections::HashSet;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Tables of other domains that point at a contact, as `(table, column)`; each is keyed by
/// `agency_id` too. A merge repoints them at the survivor. A domain that adds a reference to
/// contacts adds its table here (the merge test checks that every `contact_id` column of the
/// database is listed).
pub const REFERENCES: &[(&str, &str)] = &[
    ("tickets", "contact_id"),
    ("contact_consents", "contact_id"),
    ("form_submissions", "contact_id"),
    ("appointments", "contact_id"),
    ("referral_codes", "contact_id"),
    ("referral_redemptions", "contact_id"),
    ("reviews", "contact_id"),
];

/// Why contacts look like duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The same email address.
    Email,
    /// The same phone number.
    Phone,
    /// The same first and last name.
    Name,
}

/// Contacts that look like one person.
#[derive(Debug, Clone)]
pub struct Group {
    /// What they share.
    pub reason: Reason,
    /// The shared value (an email, a phone, or `last, first`).
    pub key: String,
    /// The contacts, oldest first.
    pub contacts: Vec<c::Model>,
}

/// Most groups returned per reason.
pub const MAX_GROUPS: u64 = 50;

/// Likely duplicates among a sub-account's live contacts: groups of contacts that share an
/// email address, a phone number or a full name (at most 50 groups of each).
pub async fn duplicates(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
) -> Result<Vec<Group>, Error> {
    let agency_id = guard::enter::<c::Entity>(db, actor, sub_account_id, Access::Read)
        .await?
        .agency_id;
    let live = || {
        c::Entity::find()
            .filter(c::Column::AgencyId.eq(agency_id))
            .filter(c::Column::SubAccountId.eq(sub_account_id))
            .filter(c::Column::DeletedAt.is_null())
    };
    let mut groups = Vec::new();
    for (reason, col) in [
        (Reason::Email, c::Column::Email),
        (Reason::Phone, c::Column::Phone),
    ] {
        let keys: Vec<String> = live()
            .select_only()
            .column(col)
            .filter(col.is_not_null())
            .group_by(col)
            .having(Expr::col(c::Column::Id).count().gt(1))
            .order_by_asc(col)
            .limit(MAX_GROUPS)
            .into_tuple::<String>()
            .all(db)
            .await?;
        if keys.is_empty() {
            continue;
        }
        let rows = live()
            .filter(col.is_in(keys.iter().cloned()))
            .order_by_asc(c::Column::Id)
            .all(db)
            .await?;
        for k in keys {
            let contacts: Vec<c::Model> = rows
                .iter()
                .filter(|r| match reason {
                    Reason::Email => r.email.as_deref() == Some(&k),
                    _ => r.phone.as_deref() == Some(&k),
                })
                .cloned()
                .collect();
            groups.push(Group {
                reason,
                key: k,
                contacts,
            });
        }
    }
    let names: Vec<(String, String)> = live()
        .select_only()
        .column(c::Column::LastNameKey)
        .column(c::Column::FirstNameKey)
        .filter(c::Column::LastNameKey.ne(""))
        .filter(c::Column::FirstNameKey.ne(""))
        .group_by(c::Column::LastNameKey)
        .group_by(c::Column::FirstNameKey)
        .having(Expr::col(c::Column::Id).count().gt(1))
        .order_by_asc(c::Column::LastNameKey)
        .order_by_asc(c::Column::FirstNameKey)
        .limit(MAX_GROUPS)
        .into_tuple()
        .all(db)
        .await?;
    if !names.is_empty() {
        let lasts: HashSet<&str> = names.iter().map(|n| n.0.as_str()).collect();
        let rows = live()
            .filter(c::Column::LastNameKey.is_in(lasts.iter().map(|s| s.to_string())))
            .order_by_asc(c::Column::Id)
            .all(db)
            .await?;
        for (last, first) in names {
            let contacts: Vec<c::Model> = rows
                .iter()
                .filter(|r| r.last_name_key == last && r.first_name_key == first)
                .cloned()
                .collect();
            groups.push(Group {
                reason: Reason::Name,
                key: format!("{last}, {first}"),
                contacts,
            });
        }
    }
    Ok(groups)
}

/// Merges `merged_id` into `survivor_id` (both live contacts of one sub-account) and returns
/// the survivor as it is afterwards.
pub async fn merge<C>(
    db: &C,
    actor: &Actor,
    survivor_id: Uuid,
    merged_id: Uuid,
) -> Result<c::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    actor.require_authenticated()?;
    let txn = db.begin().await?;
    // Two merges of one pair, in opposite directions, would each hold one contact and wait for
    // the other (a deadlock: one is rolled back, `UNAVAILABLE`). Both rows are locked first, in id
    // order, and read after the lock: the later merge then finds its contact merged away
    // (`NOT_FOUND`) instead of overwriting with what it read before.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres
        && let Some(agency_id) = actor.tenant
    {
        c::Entity::find()
            .select_only()
            .column(c::Column::Id)
            .filter(c::Column::AgencyId.eq(agency_id))
            .filter(c::Column::Id.is_in([survivor_id, merged_id]))
            .order_by_asc(c::Column::Id)
            .lock_exclusive()
            .into_tuple::<Uuid>()
            .all(&txn)
            .await?;
    }
    // Both must exist for the actor before either is refused for want of a permission.
    let survivor = contact::load(&txn, actor, survivor_id, false, Access::Read).await?;
    let merged = contact::load(&txn, actor, merged_id, false, Access::Read).await?;
    guard::check(actor, &survivor, Access::Write)?;
    guard::check(actor, &merged, Access::Write)?;
    if survivor.id == merged.id {
        return Err(Error::user(
            "input.mergedId",
            UserErrorCode::Invalid,
            "a contact cannot be merged into itself",
        ));
    }
    if survivor.sub_account_id != merged.sub_account_id {
        return Err(Error::user(
            "input.mergedId",
            UserErrorCode::NotAllowed,
            "only contacts of one sub-account can be merged",
        ));
    }
    let agency_id = survivor.agency_id;
    let now = Utc::now();

    // The survivor's empty fields take the merged contact's values.
    let mut m: c::ActiveModel = survivor.clone().into();
    if survivor.first_name.is_empty() && survivor.last_name.is_empty() {
        m.first_name = Set(merged.first_name.clone());
        m.last_name = Set(merged.last_name.clone());
    }
    macro_rules! fill {
        ($($f:ident),*) => {$(
            if survivor.$f.is_none() && merged.$f.is_some() {
                m.$f = Set(merged.$f.clone());
            }
        )*};
    }
    fill!(email, phone, company, owner_id);
    if [
        &survivor.address_line1,
        &survivor.address_line2,
        &survivor.city,
        &survivor.region,
        &survivor.postal_code,
        &survivor.country,
    ]
    .iter()
    .all(|v| v.is_none())
    {
        // The address moves whole, never mixed from two contacts.
        m.address_line1 = Set(merged.address_line1.clone());
        m.address_line2 = Set(merged.address_line2.clone());
        m.city = Set(merged.city.clone());
        m.region = Set(merged.region.clone());
        m.postal_code = Set(merged.postal_code.clone());
        m.country = Set(merged.country.clone());
    }
    m.dnd_email = Set(survivor.dnd_email || merged.dnd_email);
    m.dnd_sms = Set(survivor.dnd_sms || merged.dnd_sms);
    m.dnd_calls = Set(survivor.dnd_calls || merged.dnd_calls);
    m.updated_at = Set(now);

    let survivor_after = m.update(&txn).await?;

    // Custom values the survivor lacks move over; the rest stay with the merged contact.
    let held: Vec<Uuid> = value::Entity::find()
        .select_only()
        .column(value::Column::FieldId)
        .filter(value::Column::AgencyId.eq(agency_id))
        .filter(value::Column::ContactId.eq(survivor.id))
        .into_tuple()
        .all(&txn)
        .await?;
    value::Entity::update_many()
        .col_expr(value::Column::ContactId, Expr::value(survivor.id))
        .filter(value::Column::AgencyId.eq(agency_id))
        .filter(value::Column::ContactId.eq(merged.id))
        .filter(value::Column::FieldId.is_not_in(held))
        .exec(&txn)
        .await?;

    // Tags: the union.
    let survivor_tags = Query::select()
        .column(contact_tag::Column::TagId)
        .from(contact_tag::Entity)
        .and_where(contact_tag::Column::AgencyId.eq(agency_id))
        .and_where(contact_tag::Column::ContactId.eq(survivor.id))
        .to_owned();
    contact_tag::Entity::update_many()
        .col_expr(contact_tag::Column::ContactId, Expr::value(survivor.id))
        .filter(contact_tag::Column::AgencyId.eq(agency_id))
        .filter(contact_tag::Column::ContactId.eq(merged.id))
        .filter(contact_tag::Column::TagId.not_in_subquery(survivor_tags))
        .exec(&txn)
        .await?;
    contact_tag::Entity::delete_many()
        .filter(contact_tag::Column::AgencyId.eq(agency_id))
        .filter(contact_tag::Column::ContactId.eq(merged.id))
        .exec(&txn)
        .await?;

    // The timeline.
    activity::Entity::update_many()
        .col_expr(activity::Column::ContactId, Expr::value(survivor.id))
        .filter(activity::Column::AgencyId.eq(agency_id))
        .filter(activity::Column::ContactId.eq(merged.id))
        .exec(&txn)
        .await?;

    // References from other domains.
    for (table, column) in REFERENCES {
        let stmt = Query::update()
            .table(sea_orm::sea_query::Alias::new(*table))
            .value(sea_orm::sea_query::Alias::new(*column), survivor.id)
            .and_where(Expr::col(sea_orm::sea_query::Alias::new("agency_id")).eq(agency_id))
            .and_where(Expr::col(sea_orm::sea_query::Alias::new(*column)).eq(merged.id))
            .to_owned();
        txn.execute(&stmt).await?;
    }

    let mut gone: c::ActiveModel = merged.clone().into();
    gone.deleted_at = Set(Some(now));
    gone.merged_into_id = Set(Some(survivor.id));
    gone.updated_at = Set(now);
    gone.update(&txn).await?;

    let payload = serde_json::json!({
        "mergedId": kernel::id::gid(NodeKind::Contact, merged.id).to_string(),
    });
    guard::record(&txn, actor, &survivor, EventType::ContactMerged, payload).await?;
    txn.commit().await?;
    Ok(survivor_after)
}
