//! The rest of a sub-account's task workspace: task groups (projects) and categories, idea
//! boards with ideas and one vote per person, and workspace links.

use super::check_name;
use crate::entity::idea::IdeaStatus;
use crate::entity::{idea, idea_board, idea_vote, task_category, task_group, workspace_link};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Most task groups, task categories, idea boards and links (each) in a sub-account: each is
/// a plain list (`taskGroups`, …).
pub const MAX_PER_LIST: u64 = 200;

/// `LIMIT_REACHED` when the sub-account already holds [`MAX_PER_LIST`] rows of `E`.
async fn require_room<E: EntityTrait>(
    db: &impl ConnectionTrait,
    columns: (E::Column, E::Column),
    (agency_id, sub): (Uuid, Uuid),
    what: &str,
) -> Result<(), Error>
where
    E::Model: Sync,
{
    let n = E::find()
        .filter(columns.0.eq(agency_id))
        .filter(columns.1.eq(sub))
        .count(db)
        .await?;
    if n >= MAX_PER_LIST {
        return Err(Error::user(
            "input",
            UserErrorCode::LimitReached,
            format!("a sub-account has at most {MAX_PER_LIST} {what}"),
        ));
    }
    Ok(())
}

// Task groups.

/// A task group the actor may read.
pub async fn group(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<task_group::Model, Error> {
    guard::load::<task_group::Entity>(db, actor, id, Access::Read).await
}

/// A sub-account's task groups, in order (archived ones on request).
pub async fn groups(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub: Uuid,
    include_archived: bool,
) -> Result<Vec<task_group::Model>, Error> {
    let agency_id = guard::enter::<task_group::Entity>(db, actor, sub, Access::Read)
        .await?
        .agency_id;
    let mut q = task_group::Entity::find()
        .filter(task_group::Column::AgencyId.eq(agency_id))
        .filter(task_group::Column::SubAccountId.eq(sub));
    if !include_archived {
        q = q.filter(task_group::Column::ArchivedAt.is_null());
    }
    Ok(q.order_by_asc(task_group::Column::Rank).all(db).await?)
}

/// Creates a task group at the end of the list.
pub async fn group_create<C>(
    db: &C,
    actor: &Actor,
    sub: Uuid,
    name: &str,
) -> Result<task_group::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<task_group::Entity>(db, actor, sub, Access::Write)
        .await?
        .agency_id;
    require_room::<task_group::Entity>(
        db,
        (
            task_group::Column::AgencyId,
            task_group::Column::SubAccountId,
        ),
        (agency_id, sub),
        "task groups",
    )
    .await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    kernel::db::lock_list(db, "task_groups", sub).await?;
    let last = task_group::Entity::find()
        .filter(task_group::Column::AgencyId.eq(agency_id))
        .filter(task_group::Column::SubAccountId.eq(sub))
        .order_by_desc(task_group::Column::Rank)
        .one(db)
        .await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let g = task_group::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub),
        name: Set(name),
        rank: Set(kernel::rank::between(
            last.as_ref().map(|l| l.rank.as_str()),
            None,
        )?),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(kernel::db::taken_rank)?;
    guard::record(&txn, actor, &g, EventType::TaskGroupCreated, json!({})).await?;
    txn.commit().await?;
    Ok(g)
}

/// Renames, archives or unarchives a task group.
pub async fn group_update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    name: Option<&str>,
    archived: Option<bool>,
) -> Result<task_group::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let g = guard::load::<task_group::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let mut m: task_group::ActiveModel = g.clone().into();
    if let Some(n) = name {
        m.name = Set(check_name(&mut errors, "input.name", n));
    }
    if let Some(a) = archived {
        m.archived_at = Set(if a {
            g.archived_at.or(Some(Utc::now()))
        } else {
            None
        });
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let g = m.update(&txn).await?;
    guard::record(&txn, actor, &g, EventType::TaskGroupUpdated, json!({})).await?;
    txn.commit().await?;
    Ok(g)
}

// Categories.

/// A category the actor may read.
pub async fn category(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<task_category::Model, Error> {
    guard::load::<task_category::Entity>(db, actor, id, Access::Read).await
}

/// A sub-account's task categories, by name.
pub async fn categories(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub: Uuid,
) -> Result<Vec<task_category::Model>, Error> {
    let agency_id = guard::enter::<task_category::Entity>(db, actor, sub, Access::Read)
        .await?
        .agency_id;
    Ok(task_category::Entity::find()
        .filter(task_category::Column::AgencyId.eq(agency_id))
        .filter(task_category::Column::SubAccountId.eq(sub))
        .order_by_asc(task_category::Column::Name)
        .all(db)
        .await?)
}

/// Creates a task category.
pub async fn category_create<C>(
    db: &C,
    actor: &Actor,
    sub: Uuid,
    name: &str,
    color: Option<&str>,
) -> Result<task_category::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<task_category::Entity>(db, actor, sub, Access::Write)
        .await?
        .agency_id;
    require_room::<task_category::Entity>(
        db,
        (
            task_category::Column::AgencyId,
            task_category::Column::SubAccountId,
        ),
        (agency_id, sub),
        "task categories",
    )
    .await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    let color = tenancy::service::validate::color(&mut errors, "input.color", color);
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let c = task_category::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub),
        name: Set(name),
        color: Set(color),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    guard::record(&txn, actor, &c, EventType::TaskCategoryCreated, json!({})).await?;
    txn.commit().await?;
    Ok(c)
}

/// Deletes a category (its tasks stay, uncategorised).
pub async fn category_delete<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> Result<task_category::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    use crate::entity::task;
    let c = guard::load::<task_category::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    task::Entity::update_many()
        .col_expr(task::Column::CategoryId, Expr::value(Option::<Uuid>::None))
        .filter(task::Column::AgencyId.eq(c.agency_id))
        .filter(task::Column::CategoryId.eq(c.id))
        .exec(&txn)
        .await?;
    task_category::Entity::delete_by_id((c.agency_id, c.id))
        .exec(&txn)
        .await?;
    guard::record(&txn, actor, &c, EventType::TaskCategoryDeleted, json!({})).await?;
    txn.commit().await?;
    Ok(c)
}

// Idea boards and ideas.

/// An idea board the actor may read.
pub async fn board(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<idea_board::Model, Error> {
    guard::load::<idea_board::Entity>(db, actor, id, Access::Read).await
}

/// A sub-account's idea boards, oldest first.
pub async fn boards(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub: Uuid,
) -> Result<Vec<idea_board::Model>, Error> {
    let agency_id = guard::enter::<idea_board::Entity>(db, actor, sub, Access::Read)
        .await?
        .agency_id;
    Ok(idea_board::Entity::find()
        .filter(idea_board::Column::AgencyId.eq(agency_id))
        .filter(idea_board::Column::SubAccountId.eq(sub))
        .order_by_asc(idea_board::Column::Id)
        .all(db)
        .await?)
}

/// Creates an idea board.
pub async fn board_create<C>(
    db: &C,
    actor: &Actor,
    sub: Uuid,
    name: &str,
) -> Result<idea_board::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<idea_board::Entity>(db, actor, sub, Access::Write)
        .await?
        .agency_id;
    require_room::<idea_board::Entity>(
        db,
        (
            idea_board::Column::AgencyId,
            idea_board::Column::SubAccountId,
        ),
        (agency_id, sub),
        "idea boards",
    )
    .await?;
    let mut errors = Vec::new();
    let name = check_name(&mut errors, "input.name", name);
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let b = idea_board::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub),
        name: Set(name),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    guard::record(&txn, actor, &b, EventType::IdeaBoardCreated, json!({})).await?;
    txn.commit().await?;
    Ok(b)
}

/// An idea the actor may read.
pub async fn idea(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<idea::Model, Error> {
    guard::load::<idea::Entity>(db, actor, id, Access::Read).await
}

/// A board's ideas, most voted first.
pub async fn ideas(
    db: &impl ConnectionTrait,
    b: &idea_board::Model,
) -> Result<Vec<idea::Model>, Error> {
    Ok(idea::Entity::find()
        .filter(idea::Column::AgencyId.eq(b.agency_id))
        .filter(idea::Column::BoardId.eq(b.id))
        .order_by_desc(idea::Column::Votes)
        .order_by_asc(idea::Column::Id)
        .all(db)
        .await?)
}

/// Adds an idea to a board (`PIPELINES_WRITE`).
pub async fn idea_create<C>(
    db: &C,
    actor: &Actor,
    board_id: Uuid,
    title: &str,
    body: Option<&str>,
) -> Result<idea::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let b = guard::load::<idea_board::Entity>(db, actor, board_id, Access::Write).await?;
    let title = title.trim();
    let mut errors = Vec::new();
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(UserError::new(
            "input.title",
            UserErrorCode::Invalid,
            "a title has 1 to 200 characters",
        ));
    }
    let body = body.map(str::trim).filter(|b| !b.is_empty());
    if body.is_some_and(|b| b.chars().count() > 10_000) {
        errors.push(UserError::new(
            "input.body",
            UserErrorCode::Invalid,
            "at most 10,000 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let i = idea::ActiveModel {
        agency_id: Set(b.agency_id),
        id: Set(new_uuid()),
        board_id: Set(b.id),
        sub_account_id: Set(b.sub_account_id),
        title: Set(title.to_owned()),
        body: Set(body.map(str::to_owned)),
        status: Set(IdeaStatus::New),
        votes: Set(0),
        author_id: Set(actor.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    guard::record(&txn, actor, &i, EventType::IdeaCreated, json!({})).await?;
    txn.commit().await?;
    Ok(i)
}

/// Sets an idea's status (`PIPELINES_WRITE`).
pub async fn idea_set_status<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    status: IdeaStatus,
) -> Result<idea::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let i = guard::load::<idea::Entity>(db, actor, id, Access::Write).await?;
    let mut m: idea::ActiveModel = i.into();
    m.status = Set(status);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let i = m.update(&txn).await?;
    guard::record(&txn, actor, &i, EventType::IdeaUpdated, json!({})).await?;
    txn.commit().await?;
    Ok(i)
}

/// Casts (`up`) or withdraws the signed-in user's one vote on an idea (`PIPELINES_WRITE`). The
/// count changes in the vote's transaction, and only when a vote row was added or removed, so
/// concurrent votes never make it drift.
pub async fn vote<C>(db: &C, actor: &Actor, id: Uuid, up: bool) -> Result<idea::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let i = guard::load::<idea::Entity>(db, actor, id, Access::Write).await?;
    let user = actor.require_user()?;
    let existing = idea_vote::Entity::find_by_id((i.agency_id, i.id, user))
        .one(db)
        .await?;
    if existing.is_some() == up {
        return Err(Error::user(
            "id",
            UserErrorCode::AlreadyDone,
            if up {
                "you voted for this idea already"
            } else {
                "you have not voted for this idea"
            },
        ));
    }
    let txn = db.begin().await?;
    if up {
        idea_vote::ActiveModel {
            agency_id: Set(i.agency_id),
            idea_id: Set(i.id),
            user_id: Set(user),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if kernel::db::is_unique_violation(&e) {
                Error::user(
                    "id",
                    UserErrorCode::AlreadyDone,
                    "you voted for this idea already",
                )
            } else {
                e.into()
            }
        })?;
    } else {
        let gone = idea_vote::Entity::delete_by_id((i.agency_id, i.id, user))
            .exec(&txn)
            .await?;
        if gone.rows_affected != 1 {
            return Err(Error::user(
                "id",
                UserErrorCode::AlreadyDone,
                "you have not voted for this idea",
            ));
        }
    }
    idea::Entity::update_many()
        .col_expr(
            idea::Column::Votes,
            Expr::col(idea::Column::Votes).add(if up { 1 } else { -1 }),
        )
        .filter(idea::Column::AgencyId.eq(i.agency_id))
        .filter(idea::Column::Id.eq(i.id))
        .exec(&txn)
        .await?;
    let i = idea::Entity::find_by_id((i.agency_id, i.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    txn.commit().await?;
    Ok(i)
}

/// Whether the signed-in user voted for an idea.
pub async fn voted(
    db: &impl ConnectionTrait,
    actor: &Actor,
    i: &idea::Model,
) -> Result<bool, Error> {
    let Some(user) = actor.user_id() else {
        return Ok(false);
    };
    Ok(idea_vote::Entity::find_by_id((i.agency_id, i.id, user))
        .one(db)
        .await?
        .is_some())
}

// Links.

/// A link the actor may read.
pub async fn link(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<workspace_link::Model, Error> {
    guard::load::<workspace_link::Entity>(db, actor, id, Access::Read).await
}

/// A sub-account's workspace links, in order.
pub async fn links(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub: Uuid,
) -> Result<Vec<workspace_link::Model>, Error> {
    let agency_id = guard::enter::<workspace_link::Entity>(db, actor, sub, Access::Read)
        .await?
        .agency_id;
    Ok(workspace_link::Entity::find()
        .filter(workspace_link::Column::AgencyId.eq(agency_id))
        .filter(workspace_link::Column::SubAccountId.eq(sub))
        .order_by_asc(workspace_link::Column::Rank)
        .all(db)
        .await?)
}

fn check_url(errors: &mut Vec<UserError>, url: &str) -> String {
    let url = url.trim();
    if !tenancy::service::validate::is_http_url(url) {
        errors.push(UserError::new(
            "input.url",
            UserErrorCode::Invalid,
            "enter a full http:// or https:// address",
        ));
    }
    url.to_owned()
}

/// Adds a link to the end of a sub-account's workspace links.
pub async fn link_create<C>(
    db: &C,
    actor: &Actor,
    sub: Uuid,
    title: &str,
    url: &str,
) -> Result<workspace_link::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<workspace_link::Entity>(db, actor, sub, Access::Write)
        .await?
        .agency_id;
    require_room::<workspace_link::Entity>(
        db,
        (
            workspace_link::Column::AgencyId,
            workspace_link::Column::SubAccountId,
        ),
        (agency_id, sub),
        "links",
    )
    .await?;
    let mut errors = Vec::new();
    let title = title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(UserError::new(
            "input.title",
            UserErrorCode::Invalid,
            "a title has 1 to 200 characters",
        ));
    }
    let url = check_url(&mut errors, url);
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    kernel::db::lock_list(db, "workspace_links", sub).await?;
    let last = workspace_link::Entity::find()
        .filter(workspace_link::Column::AgencyId.eq(agency_id))
        .filter(workspace_link::Column::SubAccountId.eq(sub))
        .order_by_desc(workspace_link::Column::Rank)
        .one(db)
        .await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let l = workspace_link::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub),
        title: Set(title),
        url: Set(url),
        rank: Set(kernel::rank::between(
            last.as_ref().map(|l| l.rank.as_str()),
            None,
        )?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(kernel::db::taken_rank)?;
    guard::record(&txn, actor, &l, EventType::WorkspaceLinkCreated, json!({})).await?;
    txn.commit().await?;
    Ok(l)
}

/// Deletes a workspace link.
pub async fn link_delete<C>(db: &C, actor: &Actor, id: Uuid) -> Result<workspace_link::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let l = guard::load::<workspace_link::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    workspace_link::Entity::delete_by_id((l.agency_id, l.id))
        .exec(&txn)
        .await?;
    guard::record(&txn, actor, &l, EventType::WorkspaceLinkDeleted, json!({})).await?;
    txn.commit().await?;
    Ok(l)
}
