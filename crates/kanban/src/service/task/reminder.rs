//! Reminders of a task: each one is a `task.reminder` job at its time (`crate::jobs`).

use super::*;

/// Sets a reminder on a task for a user (the actor by default) at a time in the future. The job
/// queue delivers it.
pub async fn reminder_add<C>(
    db: &C,
    actor: &Actor,
    task_id: Uuid,
    remind_at: DateTime<Utc>,
    user_id: Option<Uuid>,
    by_email: bool,
) -> Result<task_reminder::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<task::Entity>(db, actor, task_id, Access::Write).await?;
    let user = match user_id.or(actor.user_id()) {
        Some(u) => u,
        None => {
            return Err(Error::user(
                "input.userId",
                UserErrorCode::Invalid,
                "name the user to remind",
            ));
        }
    };
    if remind_at <= Utc::now() {
        return Err(Error::user(
            "input.remindAt",
            UserErrorCode::Invalid,
            "a reminder is in the future",
        ));
    }
    let scope = Scope::SubAccount {
        agency_id: t.agency_id,
        id: t.sub_account_id,
    };
    if !tenancy::user_can(db, user, Permission::PipelinesRead, scope).await? {
        return Err(Error::user(
            "input.userId",
            UserErrorCode::Invalid,
            "the user must work in this sub-account",
        ));
    }
    let r = task_reminder::ActiveModel {
        agency_id: Set(t.agency_id),
        id: Set(new_uuid()),
        task_id: Set(t.id),
        user_id: Set(user),
        remind_at: Set(remind_at),
        delivered_at: Set(None),
        by_email: Set(by_email),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    crate::work::schedule(db, &r, t.sub_account_id).await?;
    Ok(r)
}

/// Cancels a reminder.
pub async fn reminder_delete<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> Result<task_reminder::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let (r, _) = guard::load_child::<task_reminder::Entity>(db, actor, id, Access::Write).await?;
    task_reminder::Entity::delete_by_id((r.agency_id, r.id))
        .exec(db)
        .await?;
    crate::work::unschedule(db, &r).await?;
    Ok(r)
}

/// A task's reminders, soonest first.
pub async fn reminders(
    db: &impl ConnectionTrait,
    t: &task::Model,
) -> Result<Vec<task_reminder::Model>, Error> {
    Ok(task_reminder::Entity::find()
        .filter(task_reminder::Column::AgencyId.eq(t.agency_id))
        .filter(task_reminder::Column::TaskId.eq(t.id))
        .order_by_asc(task_reminder::Column::RemindAt)
        .all(db)
        .await?)
}

/// A reminder the actor may read.
pub async fn reminder(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<task_reminder::Model, Error> {
    let (row, _) = guard::load_child::<task_reminder::Entity>(db, actor, id, Access::Read).await?;
    Ok(row)
}
