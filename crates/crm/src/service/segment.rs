//! Segments: saved contact filters of a sub-account (smart lists), evaluated when read, so a
//! segment's members are always the contacts that match now.

use super::contact::{self, ContactFilter};
use crate::entity::segment;
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Most segments in one sub-account.
pub const MAX_SEGMENTS: u64 = 500;

fn check_name(errors: &mut Vec<UserError>, name: &str) -> String {
    tenancy::service::validate::name(errors, "input.name", name, 100)
}

fn taken(e: sea_orm::DbErr) -> Error {
    if kernel::db::is_unique_violation(&e) {
        Error::user(
            "input.name",
            UserErrorCode::Taken,
            "this sub-account has a segment of this name",
        )
    } else {
        e.into()
    }
}

/// Checks a filter to save: it names no segment and every condition fits its field. Problems
/// become user errors under `input.filter`.
async fn check_filter(
    db: &impl ConnectionTrait,
    (agency_id, sub): (Uuid, Uuid),
    filter: &ContactFilter,
    errors: &mut Vec<UserError>,
) -> Result<(), Error> {
    if filter.segment_id.is_some() {
        errors.push(UserError::new(
            "input.filter.segmentId",
            UserErrorCode::Invalid,
            "a segment's filter cannot name another segment",
        ));
        return Ok(());
    }
    match contact::matching(db, agency_id, sub, filter).await {
        Ok(_) => Ok(()),
        Err(Error::BadInput { field, message }) => {
            let field = field.map_or_else(|| "input.filter".to_owned(), |f| format!("input.{f}"));
            errors.push(UserError::new(&field, UserErrorCode::Invalid, message));
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn name_taken(
    db: &impl ConnectionTrait,
    (agency_id, sub): (Uuid, Uuid),
    key: &str,
    except: Option<Uuid>,
) -> Result<bool, Error> {
    let mut q = segment::Entity::find()
        .filter(segment::Column::AgencyId.eq(agency_id))
        .filter(segment::Column::SubAccountId.eq(sub))
        .filter(segment::Column::NameKey.eq(key));
    if let Some(id) = except {
        q = q.filter(segment::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// The saved filter of a segment.
pub fn parse(s: &segment::Model) -> Result<ContactFilter, Error> {
    serde_json::from_str(&s.filter).map_err(Error::internal)
}

/// The saved filter of a segment of this sub-account (`NOT_FOUND` for any other).
pub async fn filter_of(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    id: Uuid,
) -> Result<ContactFilter, Error> {
    let s = segment::Entity::find_by_id((agency_id, id))
        .one(db)
        .await?
        .filter(|s| s.sub_account_id == sub_account_id)
        .ok_or(Error::NotFound)?;
    parse(&s)
}

/// A segment the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<segment::Model, Error> {
    guard::load::<segment::Entity>(db, actor, id, Access::Read).await
}

/// The segments of a sub-account, by name.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
) -> Result<Vec<segment::Model>, Error> {
    let agency_id = guard::enter::<segment::Entity>(db, actor, sub_account_id, Access::Read)
        .await?
        .agency_id;
    Ok(segment::Entity::find()
        .filter(segment::Column::AgencyId.eq(agency_id))
        .filter(segment::Column::SubAccountId.eq(sub_account_id))
        .order_by_asc(segment::Column::NameKey)
        .all(db)
        .await?)
}

/// How many contacts a segment holds now.
pub async fn count(db: &impl ConnectionTrait, s: &segment::Model) -> Result<u64, Error> {
    let f = parse(s)?;
    Ok(contact::matching(db, s.agency_id, s.sub_account_id, &f)
        .await?
        .count(db)
        .await?)
}

/// Saves a filter as a segment of a sub-account.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    name: &str,
    filter: ContactFilter,
) -> Result<segment::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<segment::Entity>(db, actor, sub_account_id, Access::Write)
        .await?
        .agency_id;
    let t = (agency_id, sub_account_id);
    let mut errors = Vec::new();
    let name = check_name(&mut errors, name);
    let key = name.to_lowercase();
    check_filter(db, t, &filter, &mut errors).await?;
    if errors.is_empty() {
        if name_taken(db, t, &key, None).await? {
            errors.push(UserError::new(
                "input.name",
                UserErrorCode::Taken,
                "this sub-account has a segment of this name",
            ));
        } else if segment::Entity::find()
            .filter(segment::Column::AgencyId.eq(agency_id))
            .filter(segment::Column::SubAccountId.eq(sub_account_id))
            .count(db)
            .await?
            >= MAX_SEGMENTS
        {
            errors.push(UserError::new(
                "input",
                UserErrorCode::LimitReached,
                format!("a sub-account has at most {MAX_SEGMENTS} segments"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let s = segment::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub_account_id),
        name: Set(name),
        name_key: NotSet, // from the name, on save
        filter: Set(serde_json::to_string(&filter).map_err(Error::internal)?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(taken)?;
    guard::record(
        &txn,
        actor,
        &s,
        EventType::SegmentCreated,
        json!({ "name": s.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(s)
}

/// Renames a segment or replaces its filter.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    name: Option<&str>,
    filter: Option<ContactFilter>,
) -> Result<segment::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let s = guard::load::<segment::Entity>(db, actor, id, Access::Write).await?;
    let t = (s.agency_id, s.sub_account_id);
    let mut errors = Vec::new();
    let mut m: segment::ActiveModel = s.clone().into();
    if let Some(n) = name {
        let n = check_name(&mut errors, n);
        let key = n.to_lowercase();
        if errors.is_empty() && name_taken(db, t, &key, Some(s.id)).await? {
            errors.push(UserError::new(
                "input.name",
                UserErrorCode::Taken,
                "this sub-account has a segment of this name",
            ));
        }
        m.name = Set(n);
    }
    if let Some(f) = filter {
        check_filter(db, t, &f, &mut errors).await?;
        m.filter = Set(serde_json::to_string(&f).map_err(Error::internal)?);
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let s = m.update(&txn).await.map_err(taken)?;
    guard::record(
        &txn,
        actor,
        &s,
        EventType::SegmentUpdated,
        json!({ "name": s.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(s)
}

/// Deletes a segment (its contacts stay).
pub async fn delete<C>(db: &C, actor: &Actor, id: Uuid) -> Result<segment::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let s = guard::load::<segment::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    segment::Entity::delete_by_id((s.agency_id, s.id))
        .exec(&txn)
        .await?;
    guard::record(
        &txn,
        actor,
        &s,
        EventType::SegmentDeleted,
        json!({ "name": s.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::contact::{ContactSource, ContactStatus};

    /// Filters saved before statuses and sources were typed (as their stored strings) still
    /// load, and a filter saves as it always did.
    #[test]
    fn saved_filters_keep_their_strings() {
        let saved = r#"{"search":null,"status":"qualified","source":"referral","owner_id":null,"tag_id":null,"text":null,"created_from":null,"created_before":null,"custom_fields":[],"segment_id":null}"#;
        let row = segment::Model {
            agency_id: Uuid::nil(),
            id: Uuid::nil(),
            sub_account_id: Uuid::nil(),
            name: "S".into(),
            name_key: "s".into(),
            filter: saved.into(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let f = parse(&row).ok();
        assert_eq!(
            f.as_ref().map(|f| (f.status, f.source)),
            Some((
                Some(ContactStatus::Qualified),
                Some(ContactSource::Referral)
            ))
        );
        assert_eq!(
            f.and_then(|f| serde_json::to_string(&f).ok()).as_deref(),
            Some(saved)
        );
        for status in ["new", "contacted", "qualified", "converted", "lost"] {
            let json = format!(r#"{{"status":"{status}"}}"#);
            assert!(
                serde_json::from_str::<ContactFilter>(&json).is_ok(),
                "{status}"
            );
        }
    }
}
