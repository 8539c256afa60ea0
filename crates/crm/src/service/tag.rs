//! Tags: create, rename, recolour, delete, and attach to or detach from contacts in bulk (all
//! or nothing).

use crate::entity::{contact, contact_tag, tag};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::{self, EventType, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, TransactionSession, TransactionTrait,
};
use serde_json::json;
use std::collections::HashSet;
use tenancy::guard::{self, Access, Entered};
use uuid::Uuid;

/// Most contacts or tags in one attach or detach.
pub const MAX_BULK: usize = 100;
/// Most tags on one contact.
pub const MAX_PER_CONTACT: i64 = 200;

fn check_name(errors: &mut Vec<UserError>, name: &str) -> String {
    let name = name.trim();
    // The lowercased key must fit too (lowercasing can lengthen a string).
    if name.is_empty() || name.chars().count() > 50 || name.to_lowercase().chars().count() > 50 {
        errors.push(UserError::new(
            "input.name",
            UserErrorCode::Invalid,
            "a tag name has 1 to 50 characters",
        ));
    }
    name.to_owned()
}

fn check_color(errors: &mut Vec<UserError>, color: &str) -> Option<String> {
    tenancy::service::validate::color(errors, "input.color", Some(color))
}

async fn name_taken(
    db: &impl ConnectionTrait,
    t: (Uuid, Uuid),
    key: &str,
    except: Option<Uuid>,
) -> Result<bool, Error> {
    let mut q = tag::Entity::find()
        .filter(tag::Column::AgencyId.eq(t.0))
        .filter(tag::Column::SubAccountId.eq(t.1))
        .filter(tag::Column::NameKey.eq(key));
    if let Some(id) = except {
        q = q.filter(tag::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// A unique-index violation on the name (two people naming tags at once) is `TAKEN`.
fn taken(e: sea_orm::DbErr) -> Error {
    if kernel::db::is_unique_violation(&e) {
        Error::user(
            "input.name",
            UserErrorCode::Taken,
            "this sub-account has a tag of this name",
        )
    } else {
        e.into()
    }
}

/// A tag the actor may read.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<tag::Model, Error> {
    guard::load::<tag::Entity>(db, actor, id, Access::Read).await
}

/// Creates a tag in a sub-account (names are unique, whatever their case).
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    name: &str,
    color: Option<&str>,
) -> Result<tag::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<tag::Entity>(db, actor, sub_account_id, Access::Write)
        .await?
        .agency_id;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, name);
    let color = color.and_then(|c| check_color(&mut errors, c));
    let key = name.to_lowercase();
    if errors.is_empty() && name_taken(db, (agency_id, sub_account_id), &key, None).await? {
        errors.push(UserError::new(
            "input.name",
            UserErrorCode::Taken,
            "this sub-account has a tag of this name",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let t = tag::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub_account_id),
        name: Set(name),
        name_key: NotSet, // from the name, on save
        color: Set(color),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(taken)?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TagCreated,
        json!({ "name": t.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// Renames or recolours a tag.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    name: Option<&str>,
    color: Option<&str>,
) -> Result<tag::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<tag::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let mut m: tag::ActiveModel = t.clone().into();
    if let Some(n) = name {
        let n = check_name(&mut errors, n);
        let key = n.to_lowercase();
        if errors.is_empty()
            && name_taken(db, (t.agency_id, t.sub_account_id), &key, Some(t.id)).await?
        {
            errors.push(UserError::new(
                "input.name",
                UserErrorCode::Taken,
                "this sub-account has a tag of this name",
            ));
        }
        m.name = Set(n);
    }
    if let Some(c) = color {
        m.color = Set(check_color(&mut errors, c));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let t = m.update(&txn).await.map_err(taken)?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TagUpdated,
        json!({ "name": t.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// Deletes a tag and takes it off every contact.
pub async fn delete<C>(db: &C, actor: &Actor, id: Uuid) -> Result<tag::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<tag::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    contact_tag::Entity::delete_many()
        .filter(contact_tag::Column::AgencyId.eq(t.agency_id))
        .filter(contact_tag::Column::TagId.eq(t.id))
        .exec(&txn)
        .await?;
    tag::Entity::delete_by_id((t.agency_id, t.id))
        .exec(&txn)
        .await?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TagDeleted,
        json!({ "name": t.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// Puts tags on contacts (`attach`) or takes them off, all of one sub-account. Any contact or
/// tag that is missing, deleted, of another sub-account or not visible makes the whole call
/// `NOT_FOUND`: nothing is half-done. Returns the contacts.
pub async fn set_on_contacts<C>(
    db: &C,
    actor: &Actor,
    contact_ids: &[Uuid],
    tag_ids: &[Uuid],
    attach: bool,
) -> Result<Vec<contact::Model>, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    actor.require_authenticated()?;
    if contact_ids.is_empty()
        || tag_ids.is_empty()
        || contact_ids.len() > MAX_BULK
        || tag_ids.len() > MAX_BULK
    {
        return Err(Error::bad_input(
            None,
            format!("pass 1 to {MAX_BULK} contacts and 1 to {MAX_BULK} tags"),
        ));
    }
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    let contact_set: HashSet<Uuid> = contact_ids.iter().copied().collect();
    let tag_set: HashSet<Uuid> = tag_ids.iter().copied().collect();
    let contacts = contact::Entity::find()
        .filter(contact::Column::AgencyId.eq(agency_id))
        .filter(contact::Column::Id.is_in(contact_set.iter().copied()))
        .filter(contact::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let tags = tag::Entity::find()
        .filter(tag::Column::AgencyId.eq(agency_id))
        .filter(tag::Column::Id.is_in(tag_set.iter().copied()))
        .all(db)
        .await?;
    if contacts.len() != contact_set.len() || tags.len() != tag_set.len() {
        return Err(Error::NotFound);
    }
    let sub = contacts[0].sub_account_id;
    if contacts.iter().any(|c| c.sub_account_id != sub)
        || tags.iter().any(|t| t.sub_account_id != sub)
    {
        return Err(Error::NotFound);
    }
    guard::check(actor, &contacts[0], Access::Write)?;
    let txn = db.begin().await?;
    if attach {
        let now = Utc::now();
        let rows: Vec<contact_tag::ActiveModel> = contacts
            .iter()
            .flat_map(|c| {
                tags.iter().map(move |t| contact_tag::ActiveModel {
                    agency_id: Set(agency_id),
                    contact_id: Set(c.id),
                    tag_id: Set(t.id),
                    created_at: Set(now),
                })
            })
            .collect();
        contact_tag::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([
                contact_tag::Column::AgencyId,
                contact_tag::Column::ContactId,
                contact_tag::Column::TagId,
            ])
            .exec(&txn)
            .await?;
        // Each contact keeps at most MAX_PER_CONTACT tags (`Contact.tags` is a plain list).
        let most = contact_tag::Entity::find()
            .select_only()
            .column_as(contact_tag::Column::TagId.count(), "n")
            .filter(contact_tag::Column::AgencyId.eq(agency_id))
            .filter(contact_tag::Column::ContactId.is_in(contact_set.iter().copied()))
            .group_by(contact_tag::Column::ContactId)
            .into_tuple::<i64>()
            .all(&txn)
            .await?
            .into_iter()
            .max()
            .unwrap_or(0);
        if most > MAX_PER_CONTACT {
            return Err(Error::user(
                "input.tagIds",
                UserErrorCode::LimitReached,
                format!("a contact has at most {MAX_PER_CONTACT} tags"),
            ));
        }
    } else {
        contact_tag::Entity::delete_many()
            .filter(contact_tag::Column::AgencyId.eq(agency_id))
            .filter(contact_tag::Column::ContactId.is_in(contact_set.iter().copied()))
            .filter(contact_tag::Column::TagId.is_in(tag_set.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let names: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
    let events = contacts
        .iter()
        .map(|c| NewEvent {
            event_type: if attach {
                EventType::ContactTagged
            } else {
                EventType::ContactUntagged
            },
            scope: kernel::Scope::SubAccount { agency_id, id: sub },
            subject: (NodeKind::Contact, c.id),
            payload: serde_json::json!({ "tags": names }),
        })
        .collect();
    event::record_many(&txn, actor, events).await?;
    txn.commit().await?;
    Ok(contacts)
}

/// How many of `ids` are tags of the sub-account another service has entered: for other domains,
/// which check references through this crate rather than its tables.
pub async fn count_in(
    db: &impl ConnectionTrait,
    sub: Entered,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<u64, Error> {
    Ok(tag::Entity::find()
        .filter(tag::Column::AgencyId.eq(sub.agency_id))
        .filter(tag::Column::SubAccountId.eq(sub.sub_account_id))
        .filter(tag::Column::Id.is_in(ids))
        .count(db)
        .await?)
}

/// A page of a sub-account's tags, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    page: Page,
    with_total: bool,
) -> Result<(Vec<tag::Model>, PageInfo, u64), Error> {
    let agency_id = guard::enter::<tag::Entity>(db, actor, sub_account_id, Access::Read)
        .await?
        .agency_id;
    let q = tag::Entity::find()
        .filter(tag::Column::AgencyId.eq(agency_id))
        .filter(tag::Column::SubAccountId.eq(sub_account_id));
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, tag::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |t| t.id);
    Ok((rows, info, total))
}
