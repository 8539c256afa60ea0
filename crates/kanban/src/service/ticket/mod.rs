//! Tickets (deals): create, change, move (one row, by rank keys), win/lose/reopen, delete,
//! notes, and the page of a lane.
//!
//! A move or an insert first takes a write lock on its destination lane (`SELECT … FOR NO KEY
//! UPDATE` of the lane row on PostgreSQL, which also waits for a lane being deleted; SQLite's
//! writers are serialised already), so concurrent moves into one lane read each other's ranks;
//! a unique index on `(lane, rank)` backs it.

use crate::entity::ticket::TicketStatus;
use crate::entity::{lane, lane_entry, ticket, ticket_note, ticket_tag};
use chrono::{DateTime, Utc};
use kernel::auth::{Actor, Permission, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::{NodeKind, new_uuid};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LockType};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use std::collections::HashSet;
use tenancy::guard::{self, Access, Entered};
use uuid::Uuid;

mod moving;

pub(crate) use moving::fits;
pub use moving::{MAX_RANK_LEN, move_to, rebalance};

/// Largest ticket value in minor units (10 billion in a two-decimal currency): a lane of a
/// million such tickets still sums within 64 bits.
pub const MAX_VALUE: i64 = 1_000_000_000_000;
/// Most tags on a ticket.
pub const MAX_TAGS: usize = 50;

/// A ticket's fields; `None` leaves a field as it is (on update).
#[derive(Debug, Clone, Default)]
pub struct TicketFields {
    /// Title (1 to 200 characters).
    pub title: Option<String>,
    /// Description (up to 10,000 characters; empty clears).
    pub description: Option<String>,
    /// Value in minor units; `Some(None)` clears.
    pub value_minor: Option<Option<i64>>,
    /// The contact (a live contact of the sub-account); `Some(None)` clears.
    pub contact_id: Option<Option<Uuid>>,
    /// The assignee (a member who may read the sub-account's pipelines); `Some(None)` clears.
    pub assignee_id: Option<Option<Uuid>>,
    /// Due time; `Some(None)` clears.
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// The tags (replacing the current ones).
    pub tag_ids: Option<Vec<Uuid>>,
}

/// A ticket the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<ticket::Model, Error> {
    guard::load::<ticket::Entity>(db, actor, id, Access::Read).await
}

/// Takes the write lock of a lane (already loaded) for the rest of the transaction (nothing on
/// SQLite, whose writers are serialised already): a row lock, not a write, so a user error
/// after it leaves nothing behind. `NOT_FOUND` if the lane was deleted meanwhile.
/// `FOR NO KEY UPDATE`, the lock an `UPDATE` of a plain column takes: it waits for another
/// mover or a deletion, not for the key-share locks of tickets' foreign keys.
pub async fn lock_lane(db: &impl ConnectionTrait, l: &lane::Model) -> Result<(), Error> {
    if db.get_database_backend() == DbBackend::Postgres {
        lane::Entity::find_by_id((l.agency_id, l.id))
            .select_only()
            .column(lane::Column::Id)
            .lock(LockType::NoKeyUpdate)
            .into_tuple::<Uuid>()
            .one(db)
            .await?
            .ok_or(Error::NotFound)?;
    }
    Ok(())
}

/// The highest rank in a lane.
pub async fn last_rank(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    lane_id: Uuid,
) -> Result<Option<String>, Error> {
    Ok(ticket::Entity::find()
        .select_only()
        .column(ticket::Column::Rank)
        .filter(ticket::Column::AgencyId.eq(agency_id))
        .filter(ticket::Column::LaneId.eq(lane_id))
        .order_by_desc(ticket::Column::Rank)
        .limit(1)
        .into_tuple::<String>()
        .one(db)
        .await?)
}

/// The rank key after a lane's last ticket, for a ticket appended to it. When that key would not
/// fit (the last key is the last of the longest level, or malformed: [`moving::placed`]), the
/// lane is respaced first and the key computed again.
pub(crate) async fn appended_rank(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    lane_id: Uuid,
) -> Result<String, Error> {
    let last = last_rank(db, agency_id, lane_id).await?;
    match moving::placed(kernel::rank::between(last.as_deref(), None))? {
        Some(r) => Ok(r),
        None => {
            rebalance(db, agency_id, lane_id).await?;
            let last = last_rank(db, agency_id, lane_id).await?;
            kernel::rank::between(last.as_deref(), None)
        }
    }
}

/// Checks the fields against the ticket's sub-account; sets what is valid on `m`. Returns the
/// tags to set, if given.
async fn check(
    db: &impl ConnectionTrait,
    (agency_id, sub_account_id): (Uuid, Uuid),
    m: &mut ticket::ActiveModel,
    f: &TicketFields,
    errors: &mut Vec<UserError>,
) -> Result<Option<Vec<Uuid>>, Error> {
    let mut push = |field: &str, message: &str| {
        errors.push(UserError::new(field, UserErrorCode::Invalid, message));
    };
    if let Some(t) = &f.title {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > 200 {
            push("input.title", "a title has 1 to 200 characters");
        }
        m.title = Set(t.to_owned());
    }
    if let Some(d) = &f.description {
        let d = d.trim();
        if d.chars().count() > 10_000 {
            push("input.description", "at most 10,000 characters");
        }
        m.description = Set(Some(d.to_owned()).filter(|d| !d.is_empty()));
    }
    if let Some(v) = f.value_minor {
        if v.is_some_and(|v| !(0..=MAX_VALUE).contains(&v)) {
            push(
                "input.value",
                "a value is between 0 and 1,000,000,000,000 minor units",
            );
        }
        m.value_minor = Set(v);
    }
    if let Some(d) = f.due_at {
        m.due_at = Set(d);
    }
    if let Some(c) = f.contact_id {
        if let Some(c) = c {
            let sub = Entered {
                agency_id,
                sub_account_id,
            };
            if !crm::service::contact::live_in(db, sub, c).await? {
                push("input.contactId", "no such contact in this sub-account");
            }
        }
        m.contact_id = Set(c);
    }
    if let Some(a) = f.assignee_id {
        if let Some(a) = a {
            let scope = Scope::SubAccount {
                agency_id,
                id: sub_account_id,
            };
            if !tenancy::user_can(db, a, Permission::PipelinesRead, scope).await? {
                push(
                    "input.assigneeId",
                    "the assignee must be a member who works in this sub-account",
                );
            }
        }
        m.assignee_id = Set(a);
    }
    let tags = match &f.tag_ids {
        None => None,
        Some(ids) => {
            let set: HashSet<Uuid> = ids.iter().copied().collect();
            if set.len() > MAX_TAGS {
                push("input.tagIds", "at most 50 tags");
            }
            let sub = Entered {
                agency_id,
                sub_account_id,
            };
            let found = crm::service::tag::count_in(db, sub, set.iter().copied()).await?;
            if found != set.len() as u64 {
                push("input.tagIds", "no such tag in this sub-account");
            }
            Some(set.into_iter().collect())
        }
    };
    Ok(tags)
}

async fn set_tags(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    ticket_id: Uuid,
    tags: &[Uuid],
) -> Result<(), Error> {
    ticket_tag::Entity::delete_many()
        .filter(ticket_tag::Column::AgencyId.eq(agency_id))
        .filter(ticket_tag::Column::TicketId.eq(ticket_id))
        .exec(db)
        .await?;
    if !tags.is_empty() {
        let now = Utc::now();
        ticket_tag::Entity::insert_many(tags.iter().map(|t| ticket_tag::ActiveModel {
            agency_id: Set(agency_id),
            ticket_id: Set(ticket_id),
            tag_id: Set(*t),
            created_at: Set(now),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

async fn record_lane_entry(db: &impl ConnectionTrait, t: &ticket::Model) -> Result<(), Error> {
    lane_entry_row(t, t.lane_id, Utc::now()).insert(db).await?;
    Ok(())
}

/// The lane history's row of `t` entering `lane_id` at `at`.
fn lane_entry_row(t: &ticket::Model, lane_id: Uuid, at: DateTime<Utc>) -> lane_entry::ActiveModel {
    lane_entry::ActiveModel {
        agency_id: Set(t.agency_id),
        id: Set(new_uuid()),
        ticket_id: Set(t.id),
        pipeline_id: Set(t.pipeline_id),
        lane_id: Set(lane_id),
        entered_at: Set(at),
    }
}

/// Creates a ticket at the end of a lane.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    lane_id: Uuid,
    f: TicketFields,
) -> Result<ticket::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let l = guard::load::<lane::Entity>(db, actor, lane_id, Access::Write).await?;
    let now = Utc::now();
    let mut m = ticket::ActiveModel {
        agency_id: Set(l.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(l.sub_account_id),
        pipeline_id: Set(l.pipeline_id),
        lane_id: Set(l.id),
        title: Set(String::new()),
        description: Set(None),
        value_minor: Set(None),
        contact_id: Set(None),
        assignee_id: Set(None),
        due_at: Set(None),
        status: Set(TicketStatus::Open),
        status_reason: Set(None),
        closed_at: Set(None),
        rank: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let mut errors = Vec::new();
    if f.title.is_none() {
        errors.push(UserError::new(
            "input.title",
            UserErrorCode::Invalid,
            "a ticket needs a title",
        ));
    }
    let tags = check(db, (l.agency_id, l.sub_account_id), &mut m, &f, &mut errors).await?;
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let txn = db.begin().await?;
    lock_lane(&txn, &l).await?;
    m.rank = Set(appended_rank(&txn, l.agency_id, l.id).await?);
    let t = m.insert(&txn).await.map_err(kernel::db::taken_rank)?;
    if let Some(tags) = tags {
        set_tags(&txn, t.agency_id, t.id, &tags).await?;
    }
    record_lane_entry(&txn, &t).await?;
    super::notify_assigned(
        &txn,
        actor,
        (t.agency_id, t.sub_account_id),
        (t.assignee_id, None),
        (NodeKind::Ticket, t.id),
        &t.title,
    )
    .await?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TicketCreated,
        json!({ "laneId": kernel::id::gid(NodeKind::Lane, t.lane_id).to_string() }),
    )
    .await?;
    super::metrics::created(&txn, &t).await?;
    txn.commit().await?;
    Ok(t)
}

/// Changes a ticket's fields.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    f: TicketFields,
) -> Result<ticket::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<ticket::Entity>(db, actor, id, Access::Write).await?;
    let old = t.clone();
    let t_before_assignee = t.assignee_id;
    let mut m: ticket::ActiveModel = t.clone().into();
    let mut errors = Vec::new();
    let tags = check(db, (t.agency_id, t.sub_account_id), &mut m, &f, &mut errors).await?;
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let before = t_before_assignee;
    let t = m.update(&txn).await?;
    if let Some(tags) = tags {
        set_tags(&txn, t.agency_id, t.id, &tags).await?;
    }
    super::notify_assigned(
        &txn,
        actor,
        (t.agency_id, t.sub_account_id),
        (t.assignee_id, before),
        (NodeKind::Ticket, t.id),
        &t.title,
    )
    .await?;
    guard::record(&txn, actor, &t, EventType::TicketUpdated, json!({})).await?;
    super::metrics::changed(&txn, &old, &t).await?;
    txn.commit().await?;
    Ok(t)
}

/// Marks a ticket won or lost (with an optional reason), or reopens it.
pub async fn set_status<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    status: TicketStatus,
    reason: Option<&str>,
) -> Result<ticket::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<ticket::Entity>(db, actor, id, Access::Write).await?;
    if t.status == status {
        return Err(Error::user(
            "input.status",
            UserErrorCode::AlreadyDone,
            format!("the ticket is {} already", status.to_value()),
        ));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(Error::user(
            "input.reason",
            UserErrorCode::TooLong,
            "at most 500 characters",
        ));
    }
    let now = Utc::now();
    let old = t.clone();
    let mut m: ticket::ActiveModel = t.into();
    m.status = Set(status);
    m.status_reason = Set(if status == TicketStatus::Open {
        None
    } else {
        reason.map(str::to_owned)
    });
    m.closed_at = Set((status != TicketStatus::Open).then_some(now));
    m.updated_at = Set(now);
    let txn = db.begin().await?;
    let t = m.update(&txn).await?;
    guard::record(
        &txn,
        actor,
        &t,
        match status {
            TicketStatus::Won => EventType::TicketWon,
            TicketStatus::Lost => EventType::TicketLost,
            TicketStatus::Open => EventType::TicketReopened,
        },
        json!({ "reason": t.status_reason }),
    )
    .await?;
    super::metrics::changed(&txn, &old, &t).await?;
    txn.commit().await?;
    Ok(t)
}

/// Deletes a ticket with its tags, notes and lane history.
pub async fn delete<C>(db: &C, actor: &Actor, id: Uuid) -> Result<ticket::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<ticket::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    ticket::Entity::delete_by_id((t.agency_id, t.id))
        .exec(&txn)
        .await?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TicketDeleted,
        json!({ "title": t.title }),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// Adds a note to a ticket.
pub async fn note_add<C>(
    db: &C,
    actor: &Actor,
    ticket_id: Uuid,
    body: &str,
) -> Result<ticket_note::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<ticket::Entity>(db, actor, ticket_id, Access::Write).await?;
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 10_000 {
        return Err(Error::user(
            "input.body",
            UserErrorCode::Invalid,
            "a note has 1 to 10,000 characters",
        ));
    }
    let txn = db.begin().await?;
    let n = ticket_note::ActiveModel {
        agency_id: Set(t.agency_id),
        id: Set(new_uuid()),
        ticket_id: Set(t.id),
        author_id: Set(actor.user_id()),
        body: Set(body.to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TicketNoted,
        json!({ "noteId": kernel::id::gid(NodeKind::TicketNote, n.id).to_string() }),
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

/// A note the actor may read.
pub async fn note(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<ticket_note::Model, Error> {
    let (n, _) = guard::load_child::<ticket_note::Entity>(db, actor, id, Access::Read).await?;
    Ok(n)
}

/// A page of a ticket's notes, newest first.
pub async fn notes(
    db: &impl ConnectionTrait,
    t: &ticket::Model,
    page: Page,
    with_total: bool,
) -> Result<(Vec<ticket_note::Model>, PageInfo, u64), Error> {
    let q = ticket_note::Entity::find()
        .filter(ticket_note::Column::AgencyId.eq(t.agency_id))
        .filter(ticket_note::Column::TicketId.eq(t.id));
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, ticket_note::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |n| n.id);
    Ok((rows, info, total))
}

/// The cursor of a ticket in its lane (its rank and id).
pub fn cursor(t: &ticket::Model) -> String {
    kernel::connection::encode_keyed_cursor(t.id, &t.rank)
}

/// A page of a lane's tickets in board order (by rank), for `after`/`before` pages; the first
/// page of many lanes at once comes from `loader::LaneTicketsLoader`.
pub async fn page_of_lane(
    db: &impl ConnectionTrait,
    l: &lane::Model,
    page: &Page,
) -> Result<(Vec<ticket::Model>, PageInfo), Error> {
    let mut q = ticket::Entity::find()
        .filter(ticket::Column::AgencyId.eq(l.agency_id))
        .filter(ticket::Column::LaneId.eq(l.id));
    let bound = |field: &str, id: Option<Uuid>, key: &Option<String>, greater: bool| {
        id.map(|id| {
            let rank = key.clone().ok_or_else(|| {
                Error::bad_input(Some(field), "this cursor belongs to another list")
            })?;
            let (a, b) = if greater {
                (
                    Expr::col(ticket::Column::Rank).gt(rank.clone()),
                    Expr::col(ticket::Column::Id).gt(id),
                )
            } else {
                (
                    Expr::col(ticket::Column::Rank).lt(rank.clone()),
                    Expr::col(ticket::Column::Id).lt(id),
                )
            };
            Ok::<_, Error>(
                Condition::any()
                    .add(a)
                    .add(Expr::col(ticket::Column::Rank).eq(rank).and(b)),
            )
        })
        .transpose()
    };
    if let Some(c) = bound("after", page.after, &page.after_key, true)? {
        q = q.filter(c);
    }
    if let Some(c) = bound("before", page.before, &page.before_key, false)? {
        q = q.filter(c);
    }
    let q = if page.backward {
        q.order_by_desc(ticket::Column::Rank)
            .order_by_desc(ticket::Column::Id)
    } else {
        q.order_by_asc(ticket::Column::Rank)
            .order_by_asc(ticket::Column::Id)
    };
    let rows = q.limit(page.limit + 1).all(db).await?;
    Ok(page.finish_with(rows, cursor))
}
