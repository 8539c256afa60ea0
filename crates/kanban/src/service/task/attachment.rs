//! File references attached to a task (each change goes to the task's history).

use super::*;

/// A file reference to attach: a URL, or a file of the task's media library.
#[derive(Debug, Clone, Default)]
pub struct AttachmentInput {
    /// The file's name (a library file's own name when absent).
    pub name: Option<String>,
    /// Where it is (http or https); not given with a library file.
    pub url: Option<String>,
    /// A file of the media library of the task's sub-account: the attachment takes its name,
    /// URL, type and size, and the file counts as in use while the attachment exists.
    pub media_file_id: Option<Uuid>,
    /// Its media type (`image/png`); a library file's own.
    pub media_type: Option<String>,
    /// Its size in bytes; a library file's own.
    pub size_bytes: Option<i64>,
}

fn attachment_owner(t: &task::Model, attachment_id: Uuid) -> media::service::usage::Owner {
    media::service::usage::Owner {
        kind: media::service::usage::OwnerKind::TaskAttachment,
        agency_id: t.agency_id,
        sub_account_id: t.sub_account_id,
        id: attachment_id,
    }
}

/// Attaches a file reference to a task (at most 100): a URL, or a file of the media library
/// of the task's sub-account (read with `MEDIA_READ`; another sub-account's file is refused).
pub async fn attachment_add<C>(
    db: &C,
    actor: &Actor,
    lib: &media::Library,
    task_id: Uuid,
    mut a: AttachmentInput,
) -> Result<task_attachment::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let t = guard::load::<task::Entity>(db, actor, task_id, Access::Write).await?;
    let mut errors = Vec::new();
    let mut url = a.url.as_deref().map(str::trim).unwrap_or("").to_owned();
    if let Some(file_id) = a.media_file_id {
        let f = media::service::file::get(db, actor, file_id).await?;
        if f.sub_account_id != t.sub_account_id {
            errors.push(UserError::new(
                "input.mediaFileId",
                UserErrorCode::NotAllowed,
                "the file is in another sub-account's library",
            ));
        }
        if !url.is_empty() {
            errors.push(UserError::new(
                "input.url",
                UserErrorCode::Invalid,
                "give a URL or a library file, not both",
            ));
        }
        url = lib.url(&f.token, &f.name);
        a.name = a.name.filter(|n| !n.trim().is_empty()).or(Some(f.name));
        a.media_type = Some(f.content_type);
        a.size_bytes = Some(f.byte_size);
    } else if !tenancy::service::validate::is_http_url(&url) {
        errors.push(UserError::new(
            "input.url",
            UserErrorCode::Invalid,
            "enter a full http:// or https:// address, or name a library file",
        ));
    }
    let name = a.name.as_deref().unwrap_or("").trim().to_owned();
    if name.is_empty() || name.chars().count() > 255 {
        errors.push(UserError::new(
            "input.name",
            UserErrorCode::Invalid,
            "1 to 255 characters",
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
        media_file_id: Set(a.media_file_id),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    if let Some(file_id) = a.media_file_id {
        media::service::usage::set(&txn, attachment_owner(&t, at.id), &[file_id]).await?;
    }
    write_history(&txn, actor, &t, vec![("attachment", None, Some(name))]).await?;
    txn.commit().await?;
    Ok(at)
}

/// Forgets the library files the attachments of these tasks use (the tasks are being
/// deleted, their attachments with them).
pub(crate) async fn forget_media_of(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    task_ids: Vec<Uuid>,
) -> Result<(), Error> {
    let ids: Vec<Uuid> = task_attachment::Entity::find()
        .select_only()
        .column(task_attachment::Column::Id)
        .filter(task_attachment::Column::AgencyId.eq(agency_id))
        .filter(task_attachment::Column::TaskId.is_in(task_ids))
        .filter(task_attachment::Column::MediaFileId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    media::service::usage::clear_many(
        db,
        agency_id,
        media::service::usage::OwnerKind::TaskAttachment,
        ids,
    )
    .await
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
    media::service::usage::clear(&txn, attachment_owner(&t, a.id)).await?;
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
