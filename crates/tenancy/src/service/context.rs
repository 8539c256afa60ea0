//! The request's tenant context: the agency (and optionally sub-account) a request names,
//! checked once, at the edge, against the actor and the tree.

use super::access;
use crate::entity::{agency, sub_account};
use kernel::auth::{Actor, Principal, Scope, ScopeKind};
use kernel::context::TenantContext;
use kernel::credentials::{Credentials, Stamp};
use kernel::db::{Settings, TenantGuard};
use kernel::error::Error;
use kernel::frame::Settle;
use kernel::id::{GlobalId, NodeKind};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// The actor of an authenticated principal, acting in the tenant named (see
/// [`resolve_tenant`], which also sets row-level security on `db`): its memberships are the
/// user's, or the API key owner's (a key never outreaches its owner). The HTTP edge and live
/// connections both start here.
///
/// The memberships and the tenant's status come from the replica's credential cache when it
/// has them (`kernel::credentials`), and fill it when it does not.
///
/// `settings` (read-only mode for a query, say) go to the database with the user's opening
/// and the tenant: with a warm cache the whole frame is one statement (and a sole mutation's
/// savepoint goes with it: `Settings::then_savepoint`), and on a `kernel::frame::Frame` not yet
/// begun that statement begins the transaction too (`kernel::frame::Settle`).
pub async fn act(
    db: &impl Settle,
    cache: &Credentials,
    stamp: Stamp,
    principal: Principal,
    agency: Option<&str>,
    sub_account: Option<&str>,
    mut settings: Settings,
) -> Result<(Actor, Option<TenantContext>), Error> {
    let member = match &principal {
        Principal::User { user_id, .. } => Some(*user_id),
        Principal::ApiKey { owner, .. } => Some(*owner),
        _ => None,
    };
    // The user (an API key's owner) sees their own memberships and notifications.
    let memberships = match member {
        Some(user_id) => {
            settings.open(kernel::db::Opening::User(user_id));
            match cache.memberships(user_id) {
                Some(m) => m.as_ref().clone(),
                None => {
                    settings.apply(db).await?;
                    let (m, until) =
                        super::membership::visible_memberships_until(db, user_id).await?;
                    cache.put_memberships(stamp, user_id, m.clone(), until);
                    m
                }
            }
        }
        None => Vec::new(),
    };
    let mut actor = Actor {
        principal,
        memberships,
        tenant: None,
    };
    let tenant = resolve(db, cache, stamp, &actor, agency, sub_account, &mut settings).await?;
    // With the savepoint the gateway may have asked for, after every setting.
    db.settle(&mut settings).await?;
    actor.tenant = tenant.map(|t| t.agency_id);
    Ok((actor, tenant))
}

/// Checks the tenant a request names (`Canopy-Agency`, `Canopy-Sub-Account` headers, as global
/// ids), and sets what PostgreSQL's row-level security lets the rest of the transaction see.
///
/// An agency or sub-account the actor does not belong inside is `NOT_FOUND`, exactly as one
/// that does not exist; a suspended one is `FORBIDDEN` to its members. With no header, a user
/// whose memberships all lie in one agency acts in it, and an API key in its own scope.
/// Platform and reseller staff, who manage agencies from above, act with no tenant and see
/// across tenants (the services' checks still apply).
pub async fn resolve_tenant(
    db: &impl ConnectionTrait,
    cache: &Credentials,
    stamp: Stamp,
    actor: &Actor,
    agency: Option<&str>,
    sub_account: Option<&str>,
) -> Result<Option<TenantContext>, Error> {
    let mut settings = Settings::default();
    let tenant = resolve(db, cache, stamp, actor, agency, sub_account, &mut settings).await?;
    settings.apply(db).await?;
    Ok(tenant)
}

/// [`resolve_tenant`], adding the tenant to `settings` (sent when a read needs them, and by
/// the caller at the end).
async fn resolve(
    db: &impl ConnectionTrait,
    cache: &Credentials,
    stamp: Stamp,
    actor: &Actor,
    agency: Option<&str>,
    sub_account: Option<&str>,
    settings: &mut Settings,
) -> Result<Option<TenantContext>, Error> {
    let agency_id = agency
        .map(|a| GlobalId::parse_as(a, NodeKind::Agency))
        .transpose()?;
    let sub_account_id = sub_account
        .map(|s| GlobalId::parse_as(s, NodeKind::SubAccount))
        .transpose()?;
    let ctx = match (agency_id, sub_account_id) {
        (None, None) => {
            // Staff who manage agencies from above act from above unless they name a tenant.
            if access::manages_from_above(actor) {
                settings.tenant(above_guard(actor));
                return Ok(None);
            }
            let Some(ctx) = implied(actor) else {
                return Ok(None);
            };
            // An implied tenant that is out of service is simply not implied.
            return match check(db, cache, stamp, actor, ctx, settings).await {
                Ok(()) => Ok(Some(ctx)),
                Err(_) => {
                    settings.tenant(TenantGuard::Nobody);
                    Ok(None)
                }
            };
        }
        (Some(agency_id), None) => TenantContext {
            agency_id,
            sub_account_id: None,
        },
        (named, Some(sub)) => {
            let agency_id = match named {
                Some(a) => a,
                None => agency_of_sub_account(actor, sub)?,
            };
            TenantContext {
                agency_id,
                sub_account_id: Some(sub),
            }
        }
    };
    check(db, cache, stamp, actor, ctx, settings).await?;
    Ok(Some(ctx))
}

/// The agency of a sub-account named without its agency, from what the actor belongs to.
fn agency_of_sub_account(actor: &Actor, sub: uuid::Uuid) -> Result<uuid::Uuid, Error> {
    if let Some(a) = actor
        .memberships
        .iter()
        .find(|m| m.scope.sub_account_id() == Some(sub))
        .and_then(|m| m.scope.agency_id())
    {
        return Ok(a);
    }
    if let Principal::ApiKey { scope, .. } = &actor.principal {
        return scope.agency_id().ok_or(Error::NotFound);
    }
    let (_, agencies) = access::reach(actor);
    match agencies.as_slice() {
        [] => Err(Error::NotFound),
        [one] => Ok(*one),
        _ => Err(Error::bad_input(
            None,
            "you belong to several agencies: name the agency (Canopy-Agency) with the sub-account",
        )),
    }
}

/// Checks a tenant context against the actor and the tree, and adds it to `settings` (sent
/// before any read of the tree rows it needs).
async fn check(
    db: &impl ConnectionTrait,
    cache: &Credentials,
    stamp: Stamp,
    actor: &Actor,
    ctx: TenantContext,
    settings: &mut Settings,
) -> Result<(), Error> {
    if !access::inside_agency(actor, ctx.agency_id) {
        return Err(Error::NotFound);
    }
    settings.tenant(TenantGuard::Agency(ctx.agency_id));
    let agency_active = match cache.tenant(ctx.agency_id, None) {
        Some(active) => active,
        None => {
            settings.apply(db).await?;
            let a = agency::Entity::find_by_id(ctx.agency_id)
                .one(db)
                .await?
                .filter(|a| a.deleted_at.is_none())
                .ok_or(Error::NotFound)?;
            let active = a.status == "active";
            cache.put_tenant(stamp, ctx.agency_id, None, active);
            active
        }
    };
    if let Some(sub) = ctx.sub_account_id {
        let scope = Scope::SubAccount {
            agency_id: ctx.agency_id,
            id: sub,
        };
        let sub_active = match cache.tenant(ctx.agency_id, Some(sub)) {
            Some(active) => active,
            None => {
                settings.apply(db).await?;
                let s = sub_account::Entity::find()
                    .filter(sub_account::Column::AgencyId.eq(ctx.agency_id))
                    .filter(sub_account::Column::Id.eq(sub))
                    .filter(sub_account::Column::DeletedAt.is_null())
                    .one(db)
                    .await?
                    .ok_or(Error::NotFound)?;
                let active = s.status == "active";
                cache.put_tenant(stamp, ctx.agency_id, Some(sub), active);
                active
            }
        };
        if actor.permissions_in(scope).is_empty() {
            return Err(Error::NotFound);
        }
        if !agency_active {
            return Err(suspended("agency"));
        }
        if !sub_active {
            return Err(suspended("sub-account"));
        }
    } else if !agency_active {
        return Err(suspended("agency"));
    }
    Ok(())
}

/// What row-level security lets staff above agencies see: every tenant's tree rows for the
/// platform (and Canopy itself), the tree rows of their resellers' agencies for reseller staff.
fn above_guard(actor: &Actor) -> TenantGuard {
    use kernel::auth::Permission;
    if actor.can(Permission::AgenciesManage, Scope::Platform)
        || matches!(actor.principal, Principal::System)
    {
        return TenantGuard::CrossTenant;
    }
    let (resellers, _) = access::reach(actor);
    TenantGuard::Resellers(resellers)
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
