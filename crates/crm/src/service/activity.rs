//! A contact's timeline: notes people write and interactions they log (emails, texts, calls,
//! meetings, with direction and delivery status), newest first.

use super::contact;
use crate::entity::activity::{self, ActivityKind, Direction, InteractionStatus};
use crate::entity::contact as contact_row;
use chrono::{DateTime, Utc};
use kernel::auth::Actor;
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Longest note or interaction body.
pub const MAX_BODY: usize = 10_000;

/// An entry to add.
#[derive(Debug, Clone)]
pub struct NewActivity {
    /// A note or an interaction.
    pub kind: ActivityKind,
    /// Which way it went (interactions).
    pub direction: Option<Direction>,
    /// How far it got (interactions).
    pub status: Option<InteractionStatus>,
    /// Subject line.
    pub subject: Option<String>,
    /// The text.
    pub body: String,
    /// When it happened (default: now).
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Adds a note or an interaction to a contact's timeline (`CONTACTS_WRITE`).
pub async fn add<C>(
    db: &C,
    actor: &Actor,
    contact_id: Uuid,
    input: NewActivity,
) -> Result<activity::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let c = contact::load(db, actor, contact_id, false, Access::Write).await?;
    let mut errors = Vec::new();
    let body = input.body.trim().to_owned();
    if body.is_empty() || body.chars().count() > MAX_BODY {
        errors.push(UserError::new(
            "input.body",
            UserErrorCode::Invalid,
            format!("write 1 to {MAX_BODY} characters"),
        ));
    }
    let is_note = input.kind == ActivityKind::Note;
    if is_note && (input.direction.is_some() || input.status.is_some()) {
        errors.push(UserError::new(
            "input",
            UserErrorCode::Invalid,
            "a note has no direction or status",
        ));
    }
    if !is_note && input.direction.is_none() {
        errors.push(UserError::new(
            "input.direction",
            UserErrorCode::Invalid,
            "say whether it was inbound or outbound",
        ));
    }
    if input
        .occurred_at
        .is_some_and(|t| t > Utc::now() + chrono::Duration::minutes(5))
    {
        errors.push(UserError::new(
            "input.occurredAt",
            UserErrorCode::Invalid,
            "it cannot have happened in the future",
        ));
    }
    let subject = input
        .subject
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if subject.as_ref().is_some_and(|s| s.chars().count() > 300) {
        errors.push(UserError::new(
            "input.subject",
            UserErrorCode::TooLong,
            "at most 300 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let a = activity::ActiveModel {
        agency_id: Set(c.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(c.sub_account_id),
        contact_id: Set(c.id),
        kind: Set(input.kind),
        direction: Set(input.direction),
        status: Set(input.status),
        subject: Set(subject),
        body: Set(body),
        author_id: Set(actor.user_id()),
        occurred_at: Set(input.occurred_at.unwrap_or(now)),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let event = if is_note {
        EventType::ContactNoteAdded
    } else {
        EventType::ContactInteractionLogged
    };
    let payload = json!({ "activityId": a.id.to_string(), "kind": a.kind });
    guard::record(&txn, actor, &c, event, payload).await?;
    txn.commit().await?;
    Ok(a)
}

/// An entry the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<activity::Model, Error> {
    let a = guard::load::<activity::Entity>(db, actor, id, Access::Read).await?;
    contact::load(db, actor, a.contact_id, false, Access::Read).await?;
    Ok(a)
}

/// Deletes an entry (`CONTACTS_READ` and `CONTACTS_WRITE`).
pub async fn delete<C>(db: &C, actor: &Actor, id: Uuid) -> Result<activity::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    // As `get` reads it (a deleted contact's entries are hidden with it), then the write check.
    let a = guard::load::<activity::Entity>(db, actor, id, Access::Read).await?;
    let c = contact::load(db, actor, a.contact_id, false, Access::Read).await?;
    guard::check(actor, &a, Access::Write)?;
    let txn = db.begin().await?;
    activity::Entity::delete_by_id((a.agency_id, a.id))
        .exec(&txn)
        .await?;
    let payload = json!({ "activityId": a.id.to_string() });
    guard::record(&txn, actor, &c, EventType::ContactActivityDeleted, payload).await?;
    txn.commit().await?;
    Ok(a)
}

/// A page of a contact's timeline, newest recorded first.
pub async fn timeline(
    db: &impl ConnectionTrait,
    actor: &Actor,
    c: &contact_row::Model,
    page: Page,
    with_total: bool,
) -> Result<(Vec<activity::Model>, PageInfo, u64), Error> {
    guard::check(actor, c, Access::Read)?;
    // A deleted contact's entries are hidden with it (as `node` hides them).
    if c.deleted_at.is_some() {
        return Ok((Vec::new(), PageInfo::default(), 0));
    }
    let q = activity::Entity::find()
        .filter(activity::Column::AgencyId.eq(c.agency_id))
        .filter(activity::Column::ContactId.eq(c.id));
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, activity::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |a| a.id);
    Ok((rows, info, total))
}

/// Logs an interaction another domain made happen (an appointment booked, moved or
/// cancelled) on a contact's timeline, for a service that entered the contact's sub-account
/// through `tenancy::guard` itself: no `CONTACTS_WRITE` is asked. A contact that is gone or of
/// another sub-account gets nothing (`None`).
pub async fn log_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    at: guard::Entered,
    contact_id: Uuid,
    input: NewActivity,
) -> Result<Option<activity::Model>, Error> {
    let Some(c) = contact_row::Entity::find_by_id((at.agency_id, contact_id))
        .one(db)
        .await?
        .filter(|c| c.sub_account_id == at.sub_account_id && c.deleted_at.is_none())
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let a = activity::ActiveModel {
        agency_id: Set(c.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(c.sub_account_id),
        contact_id: Set(c.id),
        kind: Set(input.kind),
        direction: Set(input.direction),
        status: Set(input.status),
        subject: Set(input.subject),
        body: Set(input.body),
        author_id: Set(actor.user_id()),
        occurred_at: Set(input.occurred_at.unwrap_or(now)),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let payload = json!({ "activityId": a.id.to_string(), "kind": a.kind });
    guard::record(db, actor, &c, EventType::ContactInteractionLogged, payload).await?;
    Ok(Some(a))
}
