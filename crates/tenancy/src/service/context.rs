//! The request's tenant context: the agency (and optionally sub-account) a request names,
//! checked once, at the edge, against the actor and the tree.

use super::access;
use crate::entity::{agency, sub_account};
use kernel::auth::{Actor, Principal, Scope, ScopeKind};
use kernel::context::TenantContext;
use kernel::error::Error;
use kernel::id::{GlobalId, NodeKind};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Checks the tenant a request names (`Canopy-Agency`, `Canopy-Sub-Account` headers, as global
/// ids). An agency or sub-account the actor does not belong inside is `NOT_FOUND`, exactly as
/// one that does not exist; a suspended one is `FORBIDDEN` to its members. With no header, a
/// user whose memberships all lie in one agency acts in it, and an API key in its own scope.
pub async fn resolve_tenant(
    db: &impl ConnectionTrait,
    actor: &Actor,
    agency: Option<&str>,
    sub_account: Option<&str>,
) -> Result<Option<TenantContext>, Error> {
    let agency_id = agency
        .map(|a| GlobalId::parse_as(a, NodeKind::Agency))
        .transpose()?;
    let sub_account_id = sub_account
        .map(|s| GlobalId::parse_as(s, NodeKind::SubAccount))
        .transpose()?;
    let ctx = match (agency_id, sub_account_id) {
        (None, None) => return Ok(implied(actor)),
        (Some(agency_id), None) => TenantContext {
            agency_id,
            sub_account_id: None,
        },
        (named, Some(sub)) => {
            let s = sub_account::Entity::find()
                .filter(sub_account::Column::Id.eq(sub))
                .filter(sub_account::Column::DeletedAt.is_null())
                .one(db)
                .await?
                .ok_or(Error::NotFound)?;
            if named.is_some_and(|a| a != s.agency_id) {
                return Err(Error::NotFound);
            }
            if actor.permissions_in(access::sub_scope(&s)).is_empty() {
                return Err(Error::NotFound);
            }
            if s.status != "active" {
                return Err(suspended("sub-account"));
            }
            TenantContext {
                agency_id: s.agency_id,
                sub_account_id: Some(s.id),
            }
        }
    };
    if !access::inside_agency(actor, ctx.agency_id) {
        return Err(Error::NotFound);
    }
    let a = agency::Entity::find_by_id(ctx.agency_id)
        .one(db)
        .await?
        .filter(|a| a.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    if a.status != "active" {
        return Err(suspended("agency"));
    }
    Ok(Some(ctx))
}

fn suspended(what: &str) -> Error {
    Error::ForbiddenWith(format!("this {what} is suspended"))
}

fn implied(actor: &Actor) -> Option<TenantContext> {
    match &actor.principal {
        Principal::ApiKey { scope, .. } => scope.agency_id().map(|agency_id| TenantContext {
            agency_id,
            sub_account_id: scope.sub_account_id(),
        }),
        Principal::User { .. } => {
            let mut scopes = actor
                .memberships
                .iter()
                .filter(|m| matches!(m.scope.kind(), ScopeKind::Agency | ScopeKind::SubAccount))
                .map(|m| m.scope);
            let first: Scope = scopes.next()?;
            let rest: Vec<Scope> = scopes.collect();
            if rest.iter().all(|s| *s == first) {
                first.agency_id().map(|agency_id| TenantContext {
                    agency_id,
                    sub_account_id: first.sub_account_id(),
                })
            } else if rest.iter().all(|s| s.agency_id() == first.agency_id()) {
                first.agency_id().map(|agency_id| TenantContext {
                    agency_id,
                    sub_account_id: None,
                })
            } else {
                None
            }
        }
        _ => None,
    }
}
