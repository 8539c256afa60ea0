//! Webhook endpoints and their messages: managed by those who hold `WEBHOOKS_MANAGE` in the
//! endpoint's scope (an agency or one of its sub-accounts); anyone else gets `NOT_FOUND` or
//! `FORBIDDEN`, as for every scope.

pub mod endpoint;
pub mod message;

use crate::entity::endpoint as ep;
use kernel::auth::{Actor, Permission, Scope};
use kernel::error::Error;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// Deployment settings of the webhooks.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Allow `http://` URLs and private, loopback and link-local addresses (tests and
    /// development only).
    pub allow_private: bool,
}

/// The scope an endpoint belongs to.
pub fn scope_of(e: &ep::Model) -> Scope {
    match e.sub_account_id {
        Some(id) => Scope::SubAccount {
            agency_id: e.agency_id,
            id,
        },
        None => Scope::Agency(e.agency_id),
    }
}

/// An endpoint the actor may manage: `NOT_FOUND` outside the request's tenant or where they
/// hold nothing, `FORBIDDEN` without `WEBHOOKS_MANAGE`.
pub async fn managed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<ep::Model, Error> {
    actor.require_authenticated()?;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    let e = ep::Entity::find_by_id((agency_id, id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    actor.require_inside(scope_of(&e), &[Permission::WebhooksManage])?;
    Ok(e)
}
