//! A contact's timeline: notes people write and interactions they log (emails, texts, calls,
//! meetings, with direction and delivery status), newest first.

use super::contact::authorize;
use crate::entity::activity::{self, ActivityKind, Direction, InteractionStatus};
use crate::entity::contact;
use chrono::{DateTime, Utc};
use kernel::auth::{Actor, Permission};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::{self, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
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

async fn live_contact(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
) -> Result<contact::Model, Error> {
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    contact::Entity::find_by_id((agency_id, contact_id))
        .one(db)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .ok_or(Error::NotFound)
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
    actor.require_authenticated()?;
    let c = live_contact(db, actor, contact_id).await?;
    authorize(
        actor,
        c.agency_id,
        c.sub_account_id,
        Permission::ContactsWrite,
    )?;
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
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: if is_note {
                "contact.note_added"
            } else {
                "contact.interaction_logged"
            },
            scope: kernel::Scope::SubAccount {
                agency_id: c.agency_id,
                id: c.sub_account_id,
            },
            subject: (NodeKind::Contact, c.id),
            payload: serde_json::json!({ "activityId": a.id.to_string(), "kind": a.kind }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(a)
}

/// An entry the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<activity::Model, Error> {
    actor.require_authenticated()?;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    let a = activity::Entity::find_by_id((agency_id, id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    authorize(
        actor,
        a.agency_id,
        a.sub_account_id,
        Permission::ContactsRead,
    )?;
    live_contact(db, actor, a.contact_id).await?;
    Ok(a)
}

/// Deletes an entry (`CONTACTS_WRITE`).
pub async fn delete<C>(db: &C, actor: &Actor, id: Uuid) -> Result<activity::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let a = get(db, actor, id).await?;
    authorize(
        actor,
        a.agency_id,
        a.sub_account_id,
        Permission::ContactsWrite,
    )?;
    let txn = db.begin().await?;
    activity::Entity::delete_by_id((a.agency_id, a.id))
        .exec(&txn)
        .await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: "contact.activity_deleted",
            scope: kernel::Scope::SubAccount {
                agency_id: a.agency_id,
                id: a.sub_account_id,
            },
            subject: (NodeKind::Contact, a.contact_id),
            payload: serde_json::json!({ "activityId": a.id.to_string() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(a)
}

/// A page of a contact's timeline, newest recorded first.
pub async fn timeline(
    db: &impl ConnectionTrait,
    actor: &Actor,
    c: &contact::Model,
    page: Page,
    with_total: bool,
) -> Result<(Vec<activity::Model>, PageInfo, u64), Error> {
    authorize(
        actor,
        c.agency_id,
        c.sub_account_id,
        Permission::ContactsRead,
    )?;
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
