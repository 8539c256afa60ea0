//! Tasks of a sub-account's workspace: create (in a group and/or category, or as a sub-task),
//! change (every changed field goes to the task's history), complete (a repeating task makes
//! its next occurrence from its RRULE), delete; checklists, comments, attachments (file
//! references) and reminders.

use crate::entity::task::{TaskPriority, TaskStatus};
use crate::entity::{
    checklist_item, task, task_attachment, task_category, task_change, task_comment, task_group,
    task_reminder,
};
use chrono::{DateTime, Utc};
use kernel::auth::{Actor, Permission, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

mod attachment;
mod checklist;
mod comment;
mod reminder;

pub use attachment::*;
pub use checklist::*;
pub use comment::*;
pub use reminder::*;

/// Most items in one checklist.
pub const MAX_CHECKLIST: u64 = 100;

/// A task's fields; `None` leaves one as it is (on update), `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct TaskFields {
    /// Title (1 to 200 characters).
    pub title: Option<String>,
    /// Description (up to 10,000 characters; empty clears).
    pub description: Option<String>,
    /// The task group (project).
    pub group_id: Option<Option<Uuid>>,
    /// The category.
    pub category_id: Option<Option<Uuid>>,
    /// The assignee (someone who may read the sub-account's tasks).
    pub assignee_id: Option<Option<Uuid>>,
    /// Due time.
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// How urgent it is.
    pub priority: Option<TaskPriority>,
    /// Where it stands (`Done` completes the task).
    pub status: Option<TaskStatus>,
    /// An RFC 5545 RRULE (`FREQ=WEEKLY;BYDAY=MO`).
    pub repeat_rule: Option<Option<String>>,
}

fn scope(t: &task::Model) -> (Uuid, Uuid) {
    (t.agency_id, t.sub_account_id)
}

/// A task the actor may read.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<task::Model, Error> {
    guard::load::<task::Entity>(db, actor, id, Access::Read).await
}

/// Checks an RRULE and returns it in its stored form. Repeats need a frequency no finer than
/// daily.
pub fn check_rule(rule: &str) -> Result<String, String> {
    let rule = rule.trim().trim_start_matches("RRULE:").to_uppercase();
    let parsed: rrule::RRule<rrule::Unvalidated> = rule
        .parse()
        .map_err(|e: rrule::RRuleError| format!("not a valid RRULE: {e}"))?;
    if matches!(
        parsed.get_freq(),
        rrule::Frequency::Hourly | rrule::Frequency::Minutely | rrule::Frequency::Secondly
    ) {
        return Err("a task repeats at most daily".into());
    }
    parsed
        .validate(Utc::now().with_timezone(&rrule::Tz::UTC))
        .map_err(|e| format!("not a valid RRULE: {e}"))?;
    Ok(rule)
}

/// The next occurrence of `rule` strictly after `after`, counted from `start`.
pub fn next_occurrence(
    rule: &str,
    start: DateTime<Utc>,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let parsed: rrule::RRule<rrule::Unvalidated> = rule.parse().ok()?;
    let set = parsed.build(start.with_timezone(&rrule::Tz::UTC)).ok()?;
    set.after(after.with_timezone(&rrule::Tz::UTC))
        .all(1)
        .dates
        .first()
        .map(|d| d.with_timezone(&Utc))
}

async fn check(
    db: &impl ConnectionTrait,
    (agency_id, sub): (Uuid, Uuid),
    m: &mut task::ActiveModel,
    f: &TaskFields,
    errors: &mut Vec<UserError>,
) -> Result<(), Error> {
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
    if let Some(p) = f.priority {
        m.priority = Set(p);
    }
    if let Some(s) = f.status {
        m.status = Set(s);
    }
    if let Some(d) = f.due_at {
        m.due_at = Set(d);
    }
    if let Some(r) = &f.repeat_rule {
        match r.as_deref().map(check_rule) {
            Some(Err(e)) => push("input.repeatRule", &e),
            Some(Ok(rule)) => m.repeat_rule = Set(Some(rule)),
            None => m.repeat_rule = Set(None),
        }
    }
    if let Some(g) = f.group_id {
        if let Some(g) = g {
            let ok = task_group::Entity::find_by_id((agency_id, g))
                .one(db)
                .await?
                .is_some_and(|x| x.sub_account_id == sub);
            if !ok {
                push("input.groupId", "no such task group in this sub-account");
            }
        }
        m.group_id = Set(g);
    }
    if let Some(c) = f.category_id {
        if let Some(c) = c {
            let ok = task_category::Entity::find_by_id((agency_id, c))
                .one(db)
                .await?
                .is_some_and(|x| x.sub_account_id == sub);
            if !ok {
                push("input.categoryId", "no such category in this sub-account");
            }
        }
        m.category_id = Set(c);
    }
    if let Some(a) = f.assignee_id {
        if let Some(a) = a {
            let scope = Scope::SubAccount { agency_id, id: sub };
            if !tenancy::user_can(db, a, Permission::PipelinesRead, scope).await? {
                push(
                    "input.assigneeId",
                    "the assignee must be a member who works in this sub-account",
                );
            }
        }
        m.assignee_id = Set(a);
    }
    Ok(())
}

/// The changes between two versions of a task, as `(field, old, new)`.
fn changes(
    old: &task::Model,
    new: &task::Model,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    macro_rules! diff {
        ($($f:ident => $name:literal),*) => {$(
            if old.$f != new.$f {
                out.push(($name, old.$f.shown(), new.$f.shown()));
            }
        )*};
    }
    diff!(title => "title", description => "description", group_id => "groupId",
          category_id => "categoryId", assignee_id => "assigneeId", due_at => "dueAt",
          priority => "priority", status => "status", repeat_rule => "repeatRule");
    out
}

/// How a field's value is written in the history.
trait Shown {
    fn shown(&self) -> Option<String>;
}
impl Shown for String {
    fn shown(&self) -> Option<String> {
        Some(self.clone())
    }
}
impl Shown for Option<String> {
    fn shown(&self) -> Option<String> {
        self.clone()
    }
}
impl Shown for TaskPriority {
    fn shown(&self) -> Option<String> {
        Some(self.to_value())
    }
}
impl Shown for TaskStatus {
    fn shown(&self) -> Option<String> {
        Some(self.to_value())
    }
}
impl Shown for Option<Uuid> {
    fn shown(&self) -> Option<String> {
        self.map(|u| u.to_string())
    }
}
impl Shown for Option<DateTime<Utc>> {
    fn shown(&self) -> Option<String> {
        self.map(|d| d.to_rfc3339())
    }
}

async fn write_history(
    db: &impl ConnectionTrait,
    actor: &Actor,
    t: &task::Model,
    entries: Vec<(&'static str, Option<String>, Option<String>)>,
) -> Result<(), Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let (kind, id) = actor.kind_and_id();
    let now = Utc::now();
    task_change::Entity::insert_many(entries.into_iter().map(|(field, old, new)| {
        task_change::ActiveModel {
            agency_id: Set(t.agency_id),
            id: Set(new_uuid()),
            task_id: Set(t.id),
            actor_kind: Set(kind.into()),
            actor_id: Set(id),
            field: Set(field.into()),
            old_value: Set(old),
            new_value: Set(new),
            changed_at: Set(now),
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Creates a task in a sub-account (a sub-task when `parent_id` is given: a task of the same
/// sub-account, one level deep).
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    parent_id: Option<Uuid>,
    f: TaskFields,
) -> Result<task::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<task::Entity>(db, actor, sub_account_id, Access::Write)
        .await?
        .agency_id;
    let mut errors = Vec::new();
    if let Some(p) = parent_id {
        let parent = task::Entity::find_by_id((agency_id, p)).one(db).await?;
        match parent {
            Some(p) if p.sub_account_id == sub_account_id && p.parent_id.is_none() => {}
            Some(p) if p.sub_account_id == sub_account_id => errors.push(UserError::new(
                "input.parentId",
                UserErrorCode::NotAllowed,
                "sub-tasks have no sub-tasks of their own",
            )),
            _ => errors.push(UserError::new(
                "input.parentId",
                UserErrorCode::Invalid,
                "no such task in this sub-account",
            )),
        }
    }
    if f.title.is_none() {
        errors.push(UserError::new(
            "input.title",
            UserErrorCode::Invalid,
            "a task needs a title",
        ));
    }
    let now = Utc::now();
    let mut m = task::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub_account_id),
        group_id: Set(None),
        category_id: Set(None),
        parent_id: Set(parent_id),
        repeat_of_id: Set(None),
        title: Set(String::new()),
        description: Set(None),
        assignee_id: Set(None),
        due_at: Set(None),
        priority: Set(TaskPriority::Normal),
        status: Set(TaskStatus::Todo),
        repeat_rule: Set(None),
        completed_at: Set(None),
        rank: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    check(db, (agency_id, sub_account_id), &mut m, &f, &mut errors).await?;
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    if matches!(&m.status, Set(TaskStatus::Done)) {
        m.completed_at = Set(Some(now));
    }
    let txn = db.begin().await?;
    // Tasks are listed in creation order (by id); the rank column is kept for a manual order
    // later, so every task starts in the middle.
    m.rank = Set(kernel::rank::between(None, None)?);
    let t = m.insert(&txn).await?;
    super::notify_assigned(
        &txn,
        actor,
        (t.agency_id, t.sub_account_id),
        (t.assignee_id, None),
        (NodeKind::Task, t.id),
        &t.title,
    )
    .await?;
    write_history(
        &txn,
        actor,
        &t,
        vec![("created", None, Some(t.title.clone()))],
    )
    .await?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TaskCreated,
        json!({ "title": t.title, "status": t.status }),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// Changes a task; each changed field is written to its history. Setting the status to `done`
/// completes it: a repeating task then gets its next occurrence, returned second.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    f: TaskFields,
) -> Result<(task::Model, Option<task::Model>), Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let old = guard::load::<task::Entity>(db, actor, id, Access::Write).await?;
    let mut m: task::ActiveModel = old.clone().into();
    let mut errors = Vec::new();
    check(db, scope(&old), &mut m, &f, &mut errors).await?;
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let now = Utc::now();
    let completing = matches!(&m.status, Set(TaskStatus::Done)) && old.status != TaskStatus::Done;
    if completing {
        m.completed_at = Set(Some(now));
    } else if matches!(&m.status, Set(s) if *s != TaskStatus::Done) {
        m.completed_at = Set(None);
    }
    m.updated_at = Set(now);
    let txn = db.begin().await?;
    let t = m.update(&txn).await?;
    write_history(&txn, actor, &t, changes(&old, &t)).await?;
    super::notify_assigned(
        &txn,
        actor,
        (t.agency_id, t.sub_account_id),
        (t.assignee_id, old.assignee_id),
        (NodeKind::Task, t.id),
        &t.title,
    )
    .await?;
    let next = if completing {
        repeat(&txn, actor, &t, now).await?
    } else {
        None
    };
    guard::record(
        &txn,
        actor,
        &t,
        if completing {
            EventType::TaskCompleted
        } else {
            EventType::TaskUpdated
        },
        json!({ "title": t.title, "status": t.status }),
    )
    .await?;
    txn.commit().await?;
    Ok((t, next))
}

/// The next occurrence of a completed repeating task, with a fresh checklist.
async fn repeat(
    db: &impl ConnectionTrait,
    actor: &Actor,
    t: &task::Model,
    now: DateTime<Utc>,
) -> Result<Option<task::Model>, Error> {
    let Some(rule) = &t.repeat_rule else {
        return Ok(None);
    };
    // Completed, reopened and completed again: the occurrence made the first time stands.
    if let Some(existing) = next_of(db, t).await? {
        return Ok(Some(existing));
    }
    let start = t.due_at.unwrap_or(t.created_at);
    // Strictly after the completed one (and not in the past when it was overdue).
    let after = start.max(now) + chrono::Duration::seconds(1);
    let Some(due) = next_occurrence(rule, start, after) else {
        // The rule has ended (COUNT or UNTIL).
        return Ok(None);
    };
    let next = task::ActiveModel {
        agency_id: Set(t.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(t.sub_account_id),
        group_id: Set(t.group_id),
        category_id: Set(t.category_id),
        parent_id: Set(t.parent_id),
        repeat_of_id: Set(Some(t.id)),
        title: Set(t.title.clone()),
        description: Set(t.description.clone()),
        assignee_id: Set(t.assignee_id),
        due_at: Set(Some(due)),
        priority: Set(t.priority),
        status: Set(TaskStatus::Todo),
        repeat_rule: Set(t.repeat_rule.clone()),
        completed_at: Set(None),
        rank: Set(kernel::rank::between(None, None)?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let items = checklist_item::Entity::find()
        .filter(checklist_item::Column::AgencyId.eq(t.agency_id))
        .filter(checklist_item::Column::TaskId.eq(t.id))
        .all(db)
        .await?;
    if !items.is_empty() {
        checklist_item::Entity::insert_many(items.into_iter().map(|i| {
            checklist_item::ActiveModel {
                agency_id: Set(i.agency_id),
                id: Set(new_uuid()),
                task_id: Set(next.id),
                body: Set(i.body),
                done: Set(false),
                rank: Set(i.rank),
                created_at: Set(now),
                updated_at: Set(now),
            }
        }))
        .exec(db)
        .await?;
    }
    // Its reminders come along, as far before its due time as they were before the last one's.
    let shift = due - start;
    for r in task_reminder::Entity::find()
        .filter(task_reminder::Column::AgencyId.eq(t.agency_id))
        .filter(task_reminder::Column::TaskId.eq(t.id))
        .all(db)
        .await?
    {
        let remind_at = r.remind_at + shift;
        if remind_at <= now {
            continue;
        }
        let copy = task_reminder::ActiveModel {
            agency_id: Set(r.agency_id),
            id: Set(new_uuid()),
            task_id: Set(next.id),
            user_id: Set(r.user_id),
            remind_at: Set(remind_at),
            delivered_at: Set(None),
            by_email: Set(r.by_email),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        crate::work::schedule(db, &copy, next.sub_account_id).await?;
    }
    write_history(
        db,
        actor,
        &next,
        vec![("created", None, Some(next.title.clone()))],
    )
    .await?;
    guard::record(
        db,
        actor,
        &next,
        EventType::TaskCreated,
        json!({ "title": next.title, "status": next.status }),
    )
    .await?;
    Ok(Some(next))
}

/// Deletes a task with its sub-tasks, checklist, comments, attachments, reminders and history.
pub async fn delete<C>(db: &C, actor: &Actor, id: Uuid) -> Result<task::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<task::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    // Its attachments (and its sub-tasks') go with it: the library files they used are free.
    let mut doomed: Vec<Uuid> = subtasks(&txn, &t).await?.iter().map(|s| s.id).collect();
    doomed.push(t.id);
    forget_media_of(&txn, t.agency_id, doomed).await?;
    // Occurrences made from it keep going on their own.
    task::Entity::update_many()
        .col_expr(
            task::Column::RepeatOfId,
            sea_orm::sea_query::Expr::value(Option::<Uuid>::None),
        )
        .filter(task::Column::AgencyId.eq(t.agency_id))
        .filter(task::Column::RepeatOfId.eq(t.id))
        .exec(&txn)
        .await?;
    task::Entity::delete_by_id((t.agency_id, t.id))
        .exec(&txn)
        .await?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TaskDeleted,
        json!({ "title": t.title, "status": t.status }),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// A page of a sub-account's tasks in their order, optionally of one group, category,
/// assignee or status; top-level tasks only unless `parent_id` names one.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    filter: TaskFilter,
    page: Page,
    with_total: bool,
) -> Result<(Vec<task::Model>, PageInfo, u64), Error> {
    let agency_id = guard::enter::<task::Entity>(db, actor, sub_account_id, Access::Read)
        .await?
        .agency_id;
    let mut q = task::Entity::find()
        .filter(task::Column::AgencyId.eq(agency_id))
        .filter(task::Column::SubAccountId.eq(sub_account_id));
    q = match filter.parent_id {
        Some(p) => q.filter(task::Column::ParentId.eq(p)),
        None => q.filter(task::Column::ParentId.is_null()),
    };
    if let Some(g) = filter.group_id {
        q = q.filter(task::Column::GroupId.eq(g));
    }
    if let Some(c) = filter.category_id {
        q = q.filter(task::Column::CategoryId.eq(c));
    }
    if let Some(a) = filter.assignee_id {
        q = q.filter(task::Column::AssigneeId.eq(a));
    }
    if let Some(s) = filter.status {
        q = q.filter(task::Column::Status.eq(s));
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, task::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |t| t.id);
    Ok((rows, info, total))
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Sub-tasks of this task (otherwise top-level tasks).
    pub parent_id: Option<Uuid>,
    /// Only this group.
    pub group_id: Option<Uuid>,
    /// Only this category.
    pub category_id: Option<Uuid>,
    /// Only tasks of this assignee.
    pub assignee_id: Option<Uuid>,
    /// Only this status.
    pub status: Option<TaskStatus>,
}

/// A task's sub-tasks, in order.
pub async fn subtasks(
    db: &impl ConnectionTrait,
    t: &task::Model,
) -> Result<Vec<task::Model>, Error> {
    Ok(task::Entity::find()
        .filter(task::Column::AgencyId.eq(t.agency_id))
        .filter(task::Column::ParentId.eq(t.id))
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?)
}

/// The occurrence made when a repeating task was completed.
pub async fn next_of(
    db: &impl ConnectionTrait,
    t: &task::Model,
) -> Result<Option<task::Model>, Error> {
    Ok(task::Entity::find()
        .filter(task::Column::AgencyId.eq(t.agency_id))
        .filter(task::Column::RepeatOfId.eq(t.id))
        .one(db)
        .await?)
}

/// A task's history, newest first.
pub async fn history(
    db: &impl ConnectionTrait,
    t: &task::Model,
    page: Page,
    with_total: bool,
) -> Result<(Vec<task_change::Model>, PageInfo, u64), Error> {
    let q = task_change::Entity::find()
        .filter(task_change::Column::AgencyId.eq(t.agency_id))
        .filter(task_change::Column::TaskId.eq(t.id));
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, task_change::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |c| c.id);
    Ok((rows, info, total))
}
