//! What uses a file. The crates that use library files say so here, in the transaction of the
//! change: funnels for each page's live version (`set` on publish, rollback and unpublish) and
//! each funnel's favicon, kanban for task attachments. A used file is not deleted unless the delete is forced.
//!
//! A page names files by their public URL (`/media/<token>/…`, in any string of its
//! document): [`tokens_in`] finds them, and [`set`] keeps those of the page's agency.

use crate::entity::{file, usage};
use chrono::Utc;
use kernel::error::Error;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use std::collections::BTreeSet;
use uuid::Uuid;

/// What uses files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OwnerKind {
    /// A funnel or website, through its favicon.
    Funnel,
    /// A funnel page, through its live (published) version.
    FunnelPage,
    /// A task attachment.
    TaskAttachment,
}

impl OwnerKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Funnel => "funnel",
            OwnerKind::FunnelPage => "funnel_page",
            OwnerKind::TaskAttachment => "task_attachment",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            OwnerKind::Funnel,
            OwnerKind::FunnelPage,
            OwnerKind::TaskAttachment,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One user of files: what it is, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// What it is.
    pub kind: OwnerKind,
    /// Its agency (the tenant).
    pub agency_id: Uuid,
    /// Its sub-account.
    pub sub_account_id: Uuid,
    /// Its id.
    pub id: Uuid,
}

/// Length of a file's public token (32 random bytes, base64url without padding).
pub const TOKEN_LEN: usize = 43;

/// The file tokens named in a JSON document's strings (`/media/<token>`), each once.
pub fn tokens_in(doc: &serde_json::Value) -> BTreeSet<String> {
    fn walk(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::String(s) => {
                let mut rest = s.as_str();
                while let Some(i) = rest.find("/media/") {
                    rest = &rest[i + "/media/".len()..];
                    let token: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                        .collect();
                    if token.len() == TOKEN_LEN {
                        out.insert(token);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(o) => o.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(doc, &mut out);
    out
}

/// Replaces what `owner` uses with the files of its own sub-account among `tokens` (unknown
/// tokens and other sub-accounts' files are ignored: a page may link to any URL, and only a
/// sub-account's own pages keep its files).
pub async fn set_tokens(
    db: &impl ConnectionTrait,
    owner: Owner,
    tokens: &BTreeSet<String>,
) -> Result<(), Error> {
    let ids: Vec<Uuid> = if tokens.is_empty() {
        Vec::new()
    } else {
        file::Entity::find()
            .select_only()
            .column(file::Column::Id)
            .filter(file::Column::AgencyId.eq(owner.agency_id))
            .filter(file::Column::SubAccountId.eq(owner.sub_account_id))
            .filter(file::Column::Token.is_in(tokens.iter().cloned()))
            .into_tuple::<Uuid>()
            .all(db)
            .await?
    };
    set(db, owner, &ids).await
}

/// The lock a file's delete and every new use of it take, so a use is never written for a
/// file a concurrent delete removed (nor a file deleted under a use being written).
pub(crate) fn file_lock(file_id: Uuid) -> String {
    format!("media-file:{file_id}")
}

/// Replaces what `owner` uses with `file_ids` (files of its sub-account). `NOT_FOUND` when one
/// of them is gone (deleted at the same moment).
pub async fn set(db: &impl ConnectionTrait, owner: Owner, file_ids: &[Uuid]) -> Result<(), Error> {
    clear(db, owner).await?;
    let ids: BTreeSet<Uuid> = file_ids.iter().copied().collect();
    if ids.is_empty() {
        return Ok(());
    }
    // In order, so two writers never wait on each other's locks.
    for id in &ids {
        kernel::db::lock(db, &file_lock(*id)).await?;
    }
    let live = file::Entity::find()
        .filter(file::Column::AgencyId.eq(owner.agency_id))
        .filter(file::Column::SubAccountId.eq(owner.sub_account_id))
        .filter(file::Column::Id.is_in(ids.iter().copied()))
        .count(db)
        .await?;
    if live != ids.len() as u64 {
        return Err(Error::NotFound);
    }
    let now = Utc::now();
    usage::Entity::insert_many(ids.into_iter().map(|file_id| usage::ActiveModel {
        agency_id: Set(owner.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(owner.sub_account_id),
        file_id: Set(file_id),
        owner_kind: Set(owner.kind.as_str().to_owned()),
        owner_id: Set(owner.id),
        created_at: Set(now),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Forgets what `owner` uses (it was deleted, or uses nothing now).
pub async fn clear(db: &impl ConnectionTrait, owner: Owner) -> Result<(), Error> {
    usage::Entity::delete_many()
        .filter(usage::Column::AgencyId.eq(owner.agency_id))
        .filter(usage::Column::OwnerKind.eq(owner.kind.as_str()))
        .filter(usage::Column::OwnerId.eq(owner.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets what any of `owner_ids` (of one kind, in one agency) use: a funnel deleted with
/// its pages.
pub async fn clear_many(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    kind: OwnerKind,
    owner_ids: Vec<Uuid>,
) -> Result<(), Error> {
    if owner_ids.is_empty() {
        return Ok(());
    }
    usage::Entity::delete_many()
        .filter(usage::Column::AgencyId.eq(agency_id))
        .filter(usage::Column::OwnerKind.eq(kind.as_str()))
        .filter(usage::Column::OwnerId.is_in(owner_ids))
        .exec(db)
        .await?;
    Ok(())
}

/// What uses one file.
pub async fn of_file(
    db: &impl ConnectionTrait,
    f: &file::Model,
) -> Result<Vec<usage::Model>, Error> {
    Ok(usage::Entity::find()
        .filter(usage::Column::AgencyId.eq(f.agency_id))
        .filter(usage::Column::FileId.eq(f.id))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_in_any_string() {
        let t = "a".repeat(TOKEN_LEN);
        let doc = serde_json::json!({
            "blocks": [{ "src": format!("https://cdn.example/media/{t}/logo.png") },
                       { "html": format!("<img src=\"/media/{t}/x\"> /media/short/x") }]
        });
        assert_eq!(tokens_in(&doc).into_iter().collect::<Vec<_>>(), vec![t]);
    }
}
