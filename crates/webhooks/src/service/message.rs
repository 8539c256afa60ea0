//! An endpoint's messages and their delivery log; redelivery of one message, or of everything
//! that failed since a time.

use super::managed;
use crate::entity::{MessageStatus, attempt, message};
use chrono::{DateTime, Utc};
use kernel::auth::Actor;
use kernel::connection::{Page, PageInfo};
use kernel::error::Error;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

/// Most messages one `redeliverFailed` requeues.
pub const MAX_REDELIVER: u64 = 1_000;

/// The messages of an endpoint, newest first, optionally only in one status.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    endpoint_id: Uuid,
    status: Option<MessageStatus>,
    page: Page,
    with_total: bool,
) -> Result<(Vec<message::Model>, PageInfo, u64), Error> {
    let e = managed(db, actor, endpoint_id).await?;
    let mut q = message::Entity::find()
        .filter(message::Column::AgencyId.eq(e.agency_id))
        .filter(message::Column::EndpointId.eq(e.id));
    if let Some(s) = status {
        q = q.filter(message::Column::Status.eq(s));
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, message::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |m| m.id);
    Ok((rows, info, total))
}

/// A message the actor may manage (through its endpoint).
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<message::Model, Error> {
    with_endpoint(db, actor, id).await.map(|(m, _)| m)
}

/// A message and its endpoint, if the actor may manage the endpoint.
async fn with_endpoint(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<(message::Model, crate::entity::endpoint::Model), Error> {
    actor.require_authenticated()?;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    let m = message::Entity::find_by_id((agency_id, id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let e = managed(db, actor, m.endpoint_id).await?;
    Ok((m, e))
}

/// A message's attempts, in order.
pub async fn attempts(
    db: &impl ConnectionTrait,
    m: &message::Model,
) -> Result<Vec<attempt::Model>, Error> {
    Ok(attempt::Entity::find()
        .filter(attempt::Column::AgencyId.eq(m.agency_id))
        .filter(attempt::Column::MessageId.eq(m.id))
        .order_by_asc(attempt::Column::Id)
        .all(db)
        .await?)
}

async fn requeue(
    db: &impl ConnectionTrait,
    m: &message::Model,
    owner: jobs::Owner,
) -> Result<(), Error> {
    message::Entity::update_many()
        .col_expr(
            message::Column::Status,
            Expr::value(MessageStatus::Pending.to_value()),
        )
        .filter(message::Column::AgencyId.eq(m.agency_id))
        .filter(message::Column::Id.eq(m.id))
        .exec(db)
        .await?;
    crate::deliver::enqueue(db, owner, m, m.attempts).await
}

/// Sends a message again (a new series of attempts), whatever its status.
pub async fn redeliver(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<message::Model, Error> {
    let (m, e) = with_endpoint(db, actor, id).await?;
    requeue(db, &m, crate::deliver::owner_of(&e)).await?;
    get(db, actor, id).await
}

/// Sends again every message of an endpoint that failed since `since` (at most 1,000).
/// Returns how many.
pub async fn redeliver_failed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    endpoint_id: Uuid,
    since: DateTime<Utc>,
) -> Result<u64, Error> {
    let e = managed(db, actor, endpoint_id).await?;
    let failed = message::Entity::find()
        .filter(message::Column::AgencyId.eq(e.agency_id))
        .filter(message::Column::EndpointId.eq(e.id))
        .filter(message::Column::Status.eq(MessageStatus::Failed))
        .filter(message::Column::CreatedAt.gte(since))
        .order_by_asc(message::Column::Id)
        .paginate(db, MAX_REDELIVER)
        .fetch_page(0)
        .await?;
    let owner = crate::deliver::owner_of(&e);
    for m in &failed {
        requeue(db, m, owner).await?;
    }
    Ok(failed.len() as u64)
}
