//! Embed domains: where a sub-account's public endpoints may be called from by a browser on
//! another site (CORS). Listed and changed with `SETTINGS_MANAGE` in the sub-account; read
//! by the public endpoints in the tenant they serve ([`allows`]).

use super::validate::Check;
use crate::entity::embed_domain;
use crate::guard::{self, Access};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

/// Most embed domains of one sub-account.
pub const MAX_PER_SUB_ACCOUNT: u64 = 50;

/// An embed domain by id.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<embed_domain::Model, Error> {
    guard::load::<embed_domain::Entity>(db, actor, id, Access::Read).await
}

/// The sub-account's embed domains, by host.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
) -> Result<Vec<embed_domain::Model>, Error> {
    let at = guard::enter::<embed_domain::Entity>(db, actor, sub_account_id, Access::Read).await?;
    Ok(embed_domain::Entity::find()
        .filter(embed_domain::Column::AgencyId.eq(at.agency_id))
        .filter(embed_domain::Column::SubAccountId.eq(at.sub_account_id))
        .order_by_asc(embed_domain::Column::Host)
        .all(db)
        .await?)
}

/// Lets browsers on `host` call the sub-account's public endpoints. `TAKEN` when it is listed
/// already.
pub async fn add<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    host: &str,
) -> Result<embed_domain::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let at = guard::enter::<embed_domain::Entity>(db, actor, sub_account_id, Access::Write).await?;
    let mut check = Check::default();
    let host = check.domain("host", host);
    check.finish()?;
    let count = embed_domain::Entity::find()
        .filter(embed_domain::Column::AgencyId.eq(at.agency_id))
        .filter(embed_domain::Column::SubAccountId.eq(at.sub_account_id))
        .count(db)
        .await?;
    if count >= MAX_PER_SUB_ACCOUNT {
        return Err(Error::User(vec![UserError::new(
            "host",
            UserErrorCode::LimitReached,
            format!("a sub-account has at most {MAX_PER_SUB_ACCOUNT} embed domains"),
        )]));
    }
    let txn = db.begin().await?;
    let row = embed_domain::ActiveModel {
        agency_id: Set(at.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(at.sub_account_id),
        host: Set(host),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if kernel::db::is_unique_violation(&e) {
            Error::user(
                "host",
                UserErrorCode::Taken,
                "this domain is listed already",
            )
        } else {
            e.into()
        }
    })?;
    guard::record(
        &txn,
        actor,
        &row,
        EventType::EmbedDomainAdded,
        json!({ "host": row.host }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Stops browsers on the domain's host from calling the sub-account's public endpoints.
pub async fn remove<C>(db: &C, actor: &Actor, id: Uuid) -> Result<embed_domain::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let row = guard::load::<embed_domain::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    embed_domain::Entity::delete_by_id((row.agency_id, row.id))
        .exec(&txn)
        .await?;
    guard::record(
        &txn,
        actor,
        &row,
        EventType::EmbedDomainRemoved,
        json!({ "host": row.host }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Whether the sub-account lists `host` (normalized) as an embed domain. For the public
/// endpoints, which read in the tenant they serve and have no actor.
pub async fn allows(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    host: &str,
) -> Result<bool, Error> {
    Ok(embed_domain::Entity::find()
        .filter(embed_domain::Column::AgencyId.eq(agency_id))
        .filter(embed_domain::Column::SubAccountId.eq(sub_account_id))
        .filter(embed_domain::Column::Host.eq(host))
        .one(db)
        .await?
        .is_some())
}
