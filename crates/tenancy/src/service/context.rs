//! The request's tenant context: the agency (and optionally sub-account) a request names,
//! checked against the actor's memberships once, at the edge.

use kernel::auth::{Actor, Principal, Scope, ScopeKind};
use kernel::context::TenantContext;
use kernel::error::Error;
use kernel::id::{GlobalId, NodeKind};

/// Checks the tenant a request names (`Canopy-Agency`, `Canopy-Sub-Account` headers, as
/// global ids). An agency or sub-account the actor holds nothing in is `NOT_FOUND`, exactly as
/// one that does not exist. With no header, a user with memberships in exactly one agency acts
/// in it, and an API key acts in its own scope.
pub fn resolve_tenant(
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
        (agency_id, Some(sub)) => {
            // The sub-account's agency comes from what the actor can see of it.
            let scope = actor.resolve_scope(GlobalId::new(NodeKind::SubAccount, sub))?;
            let found = scope.agency_id().ok_or(Error::NotFound)?;
            if agency_id.is_some_and(|a| a != found) {
                return Err(Error::NotFound);
            }
            TenantContext {
                agency_id: found,
                sub_account_id: Some(sub),
            }
        }
    };
    if actor.permissions_in(ctx.scope()).is_empty() && !reaches_any_sub_account(actor, ctx) {
        return Err(Error::NotFound);
    }
    Ok(Some(ctx))
}

/// An agency user who holds only sub-account memberships may still name the agency.
fn reaches_any_sub_account(actor: &Actor, ctx: TenantContext) -> bool {
    ctx.sub_account_id.is_none()
        && actor
            .memberships
            .iter()
            .any(|m| m.scope.agency_id() == Some(ctx.agency_id))
}

fn implied(actor: &Actor) -> Option<TenantContext> {
    match &actor.principal {
        Principal::ApiKey { scope, .. } => scope.agency_id().map(|agency_id| TenantContext {
            agency_id,
            sub_account_id: scope.sub_account_id(),
        }),
        Principal::User { .. } => {
            let mut agencies = actor
                .memberships
                .iter()
                .filter(|m| matches!(m.scope.kind(), ScopeKind::Agency | ScopeKind::SubAccount))
                .map(|m| m.scope);
            let first: Scope = agencies.next()?;
            if agencies.all(|s| s == first) {
                first.agency_id().map(|agency_id| TenantContext {
                    agency_id,
                    sub_account_id: first.sub_account_id(),
                })
            } else {
                None
            }
        }
        _ => None,
    }
}
