//! Comments on a task.

use super::checklist::check_body;
use super::*;

/// Adds a comment to a task.
pub async fn comment_add<C>(
    db: &C,
    actor: &Actor,
    task_id: Uuid,
    body: &str,
) -> Result<task_comment::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<task::Entity>(db, actor, task_id, Access::Write).await?;
    let body = check_body("input.body", body, 10_000)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let c = task_comment::ActiveModel {
        agency_id: Set(t.agency_id),
        id: Set(new_uuid()),
        task_id: Set(t.id),
        author_id: Set(actor.user_id()),
        body: Set(body),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TaskCommented,
        json!({ "title": t.title, "status": t.status }),
    )
    .await?;
    txn.commit().await?;
    Ok(c)
}

/// A comment the actor may read.
pub async fn comment(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<task_comment::Model, Error> {
    let (c, _) = guard::load_child::<task_comment::Entity>(db, actor, id, Access::Read).await?;
    Ok(c)
}

/// Deletes a comment (`PIPELINES_WRITE` in the task's sub-account).
pub async fn comment_delete<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> Result<task_comment::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let (c, _) = guard::load_child::<task_comment::Entity>(db, actor, id, Access::Write).await?;
    task_comment::Entity::delete_by_id((c.agency_id, c.id))
        .exec(db)
        .await?;
    Ok(c)
}

/// A page of a task's comments, oldest first.
pub async fn comments(
    db: &impl ConnectionTrait,
    t: &task::Model,
    page: Page,
    with_total: bool,
) -> Result<(Vec<task_comment::Model>, PageInfo, u64), Error> {
    let q = task_comment::Entity::find()
        .filter(task_comment::Column::AgencyId.eq(t.agency_id))
        .filter(task_comment::Column::TaskId.eq(t.id));
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, task_comment::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |c| c.id);
    Ok((rows, info, total))
}
