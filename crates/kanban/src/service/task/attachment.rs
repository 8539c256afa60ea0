//! File references attached to a task (each change goes to the task's history).

use super::*;

/// A file reference to attach (the media library comes later; a URL is stored).
#[derive(Debug, Clone)]
pub struct AttachmentInput {
    /// The file's name.
    pub name: String,
    /// Where it is (http or https).
    pub url: String,
    /// Its media type (`image/png`).
    pub media_type: Option<String>,
    /// Its size in bytes.
    pub size_bytes: Option<i64>,
}

/// Attaches a file reference to a task (at most 100).
pub async fn attachment_add<C>(
    db: &C,
    actor: &Actor,
    task_id: Uuid,
    a: AttachmentInput,
) -> Result<task_attachment::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<task::Entity>(db, actor, task_id, Access::Write).await?;
    let mut errors = Vec::new();
    let name = a.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 255 {
        errors.push(UserError::new(
            "input.name",
            UserErrorCode::Invalid,
            "1 to 255 characters",
        ));
    }
    let url = a.url.trim().to_owned();
    if !tenancy::service::validate::is_http_url(&url) {
        errors.push(UserError::new(
            "input.url",
            UserErrorCode::Invalid,
            "enter a full http:// or https:// address",
        ));
    }
    if a.size_bytes.is_some_and(|s| s < 0) {
        errors.push(UserError::new(
            "input.sizeBytes",
            UserErrorCode::Invalid,
            "a size is not negative",
        ));
    }
    if let Some(mt) = &a.media_type
        && (mt.len() > 100 || !mt.contains('/'))
    {
        errors.push(UserError::new(
            "input.mediaType",
            UserErrorCode::Invalid,
            "enter a media type such as image/png",
        ));
    }
    let count = task_attachment::Entity::find()
        .filter(task_attachment::Column::AgencyId.eq(t.agency_id))
        .filter(task_attachment::Column::TaskId.eq(t.id))
        .count(db)
        .await?;
    if count >= 100 {
        errors.push(UserError::new(
            "input",
            UserErrorCode::LimitReached,
            "a task has at most 100 attachments",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let txn = db.begin().await?;
    let at = task_attachment::ActiveModel {
        agency_id: Set(t.agency_id),
        id: Set(new_uuid()),
        task_id: Set(t.id),
        name: Set(name.clone()),
        url: Set(url),
        media_type: Set(a.media_type),
        size_bytes: Set(a.size_bytes),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    write_history(&txn, actor, &t, vec![("attachment", None, Some(name))]).await?;
    txn.commit().await?;
    Ok(at)
}

/// Removes an attachment.
pub async fn attachment_delete<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> Result<task_attachment::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let (a, t) = guard::load_child::<task_attachment::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    task_attachment::Entity::delete_by_id((a.agency_id, a.id))
        .exec(&txn)
        .await?;
    write_history(
        &txn,
        actor,
        &t,
        vec![("attachment", Some(a.name.clone()), None)],
    )
    .await?;
    txn.commit().await?;
    Ok(a)
}

/// A task's attachments, oldest first.
pub async fn attachments(
    db: &impl ConnectionTrait,
    t: &task::Model,
) -> Result<Vec<task_attachment::Model>, Error> {
    Ok(task_attachment::Entity::find()
        .filter(task_attachment::Column::AgencyId.eq(t.agency_id))
        .filter(task_attachment::Column::TaskId.eq(t.id))
        .order_by_asc(task_attachment::Column::Id)
        .all(db)
        .await?)
}

/// An attachment the actor may read.
pub async fn attachment(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<task_attachment::Model, Error> {
    let (row, _) =
        guard::load_child::<task_attachment::Entity>(db, actor, id, Access::Read).await?;
    Ok(row)
}
