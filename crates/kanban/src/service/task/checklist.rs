//! A task's checklist: ordered items with a done flag (at most 100).

use super::*;

/// A task's checklist, in order.
pub async fn checklist(
    db: &impl ConnectionTrait,
    t: &task::Model,
) -> Result<Vec<checklist_item::Model>, Error> {
    Ok(checklist_item::Entity::find()
        .filter(checklist_item::Column::AgencyId.eq(t.agency_id))
        .filter(checklist_item::Column::TaskId.eq(t.id))
        .order_by_asc(checklist_item::Column::Rank)
        .all(db)
        .await?)
}

pub(super) fn check_body(field: &str, body: &str, max: usize) -> Result<String, Error> {
    let b = body.trim();
    if b.is_empty() || b.chars().count() > max {
        return Err(Error::user(
            field,
            UserErrorCode::Invalid,
            format!("1 to {max} characters"),
        ));
    }
    Ok(b.to_owned())
}

/// Adds an item to the end of a task's checklist (at most 100).
pub async fn checklist_add<C>(
    db: &C,
    actor: &Actor,
    task_id: Uuid,
    body: &str,
) -> Result<checklist_item::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<task::Entity>(db, actor, task_id, Access::Write).await?;
    let body = check_body("input.body", body, 500)?;
    kernel::db::lock_list(db, "checklist", t.id).await?;
    let items = checklist(db, &t).await?;
    if items.len() as u64 >= MAX_CHECKLIST {
        return Err(Error::user(
            "input",
            UserErrorCode::LimitReached,
            "a checklist has at most 100 items",
        ));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let i = checklist_item::ActiveModel {
        agency_id: Set(t.agency_id),
        id: Set(new_uuid()),
        task_id: Set(t.id),
        body: Set(body.clone()),
        done: Set(false),
        rank: Set(kernel::rank::between(
            items.last().map(|i| i.rank.as_str()),
            None,
        )?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(kernel::db::taken_rank)?;
    write_history(&txn, actor, &t, vec![("checklist", None, Some(body))]).await?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TaskUpdated,
        json!({ "title": t.title, "status": t.status }),
    )
    .await?;
    txn.commit().await?;
    Ok(i)
}

/// Changes a checklist item's text or done flag.
pub async fn checklist_update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    body: Option<&str>,
    done: Option<bool>,
) -> Result<checklist_item::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let (i, t) = guard::load_child::<checklist_item::Entity>(db, actor, id, Access::Write).await?;
    let mut m: checklist_item::ActiveModel = i.clone().into();
    if let Some(b) = body {
        m.body = Set(check_body("input.body", b, 500)?);
    }
    if let Some(d) = done {
        m.done = Set(d);
    }
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let n = m.update(&txn).await?;
    let mut entries = Vec::new();
    if n.done != i.done {
        entries.push((
            "checklistDone",
            Some(format!("{}: {}", i.body, i.done)),
            Some(format!("{}: {}", n.body, n.done)),
        ));
    }
    if n.body != i.body {
        entries.push(("checklist", Some(i.body.clone()), Some(n.body.clone())));
    }
    write_history(&txn, actor, &t, entries).await?;
    guard::record(
        &txn,
        actor,
        &t,
        EventType::TaskUpdated,
        json!({ "title": t.title, "status": t.status }),
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

/// Moves a checklist item after another of the same checklist (`None`: first).
pub async fn checklist_move<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
) -> Result<checklist_item::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let (i, t) = guard::load_child::<checklist_item::Entity>(db, actor, id, Access::Write).await?;
    kernel::db::lock_list(db, "checklist", t.id).await?;
    let others: Vec<checklist_item::Model> = checklist(db, &t)
        .await?
        .into_iter()
        .filter(|o| o.id != i.id)
        .collect();
    let ranks: Vec<(Uuid, &str)> = others.iter().map(|o| (o.id, o.rank.as_str())).collect();
    let rank = kernel::rank::after_anchor(&ranks, after).ok_or_else(|| {
        Error::user(
            "input.afterItemId",
            UserErrorCode::Invalid,
            "no such item in this checklist",
        )
    })??;
    let mut m: checklist_item::ActiveModel = i.into();
    m.rank = Set(rank);
    m.updated_at = Set(Utc::now());
    m.update(db).await.map_err(kernel::db::taken_rank)
}

/// Deletes a checklist item.
pub async fn checklist_delete<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> Result<checklist_item::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let (i, t) = guard::load_child::<checklist_item::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    checklist_item::Entity::delete_by_id((i.agency_id, i.id))
        .exec(&txn)
        .await?;
    write_history(
        &txn,
        actor,
        &t,
        vec![("checklist", Some(i.body.clone()), None)],
    )
    .await?;
    txn.commit().await?;
    Ok(i)
}

/// A checklist item the actor may read.
pub async fn checklist_item(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<checklist_item::Model, Error> {
    let (row, _) = guard::load_child::<checklist_item::Entity>(db, actor, id, Access::Read).await?;
    Ok(row)
}
