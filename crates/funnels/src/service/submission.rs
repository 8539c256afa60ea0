//! Reading form submissions: `CONTACTS_READ` in their sub-account (they hold what visitors
//! entered about themselves).

use crate::entity::submission;
use kernel::auth::Actor;
use kernel::connection::{Page, PageInfo};
use kernel::error::Error;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// A submission by id.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<submission::Model, Error> {
    guard::load::<submission::Entity>(db, actor, id, Access::Read).await
}

/// A page of a sub-account's submissions, newest first; only a funnel's when `funnel_id` is
/// given (a funnel of another sub-account simply has none here).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    funnel_id: Option<Uuid>,
    page: Page,
    with_total: bool,
) -> Result<(Vec<submission::Model>, PageInfo, u64), Error> {
    let at = guard::enter::<submission::Entity>(db, actor, sub_account_id, Access::Read).await?;
    let mut q = submission::Entity::find()
        .filter(submission::Column::AgencyId.eq(at.agency_id))
        .filter(submission::Column::SubAccountId.eq(at.sub_account_id));
    if let Some(f) = funnel_id {
        q = q.filter(submission::Column::FunnelId.eq(f));
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, submission::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |s| s.id);
    Ok((rows, info, total))
}
