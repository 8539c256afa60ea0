//! Who reaches which part of the tree. Reading an agency's CRM data is for its own members;
//! the platform and an agency's reseller manage the agency itself (its tree rows), not its data.

use crate::entity::{agency, sub_account};
use kernel::auth::{Actor, Permission, Principal, Scope, ScopeKind};
use uuid::Uuid;

/// Whether the actor manages the agency from above: the platform's `AGENCIES_MANAGE`, or the
/// same permission in the agency's reseller.
pub fn above_agency(actor: &Actor, a: &agency::Model) -> bool {
    // Naming a tenant means acting inside it, as a member: not from above.
    actor.tenant.is_none() && above_agency_by_role(actor, a)
}

/// Whether the actor's roles put them above the agency, whatever the request's tenant.
pub fn above_agency_by_role(actor: &Actor, a: &agency::Model) -> bool {
    actor.can(Permission::AgenciesManage, Scope::Platform)
        || a.reseller_id
            .is_some_and(|r| actor.can(Permission::AgenciesManage, Scope::Reseller(r)))
}

/// Whether the actor belongs inside the agency: a membership of it or of one of its
/// sub-accounts (for an API key: its scope).
pub fn inside_agency(actor: &Actor, agency_id: Uuid) -> bool {
    match &actor.principal {
        Principal::User { .. } => actor
            .memberships
            .iter()
            .any(|m| m.scope.agency_id() == Some(agency_id)),
        Principal::ApiKey { scope, .. } => {
            scope.agency_id() == Some(agency_id) && !actor.permissions_in(*scope).is_empty()
        }
        Principal::System => true,
        Principal::Anonymous => false,
    }
}

/// Whether the actor may see the agency at all (anything else gets `NOT_FOUND`).
pub fn agency_visible(actor: &Actor, a: &agency::Model) -> bool {
    above_agency(actor, a) || inside_agency(actor, a.id)
}

/// The sub-account's scope.
pub fn sub_scope(s: &sub_account::Model) -> Scope {
    Scope::SubAccount {
        agency_id: s.agency_id,
        id: s.id,
    }
}

/// Whether the actor manages agencies from above (platform, or any reseller): such requests act
/// with no tenant and may see across tenants.
pub fn manages_from_above(actor: &Actor) -> bool {
    actor.can(Permission::AgenciesManage, Scope::Platform)
        || actor.memberships.iter().any(|m| {
            m.scope.kind() == ScopeKind::Reseller && actor.can(Permission::AgenciesManage, m.scope)
        })
        || match &actor.principal {
            Principal::ApiKey { scope, .. } => {
                matches!(scope, Scope::Platform | Scope::Reseller(_))
                    && actor.can(Permission::AgenciesManage, *scope)
            }
            Principal::System => true,
            _ => false,
        }
}

/// Whether the actor may see the sub-account: from above its agency, or inside the agency's
/// tenant context with any permission in the sub-account (its own members, and agency members
/// who reach every sub-account).
pub fn sub_account_visible(actor: &Actor, a: &agency::Model, s: &sub_account::Model) -> bool {
    above_agency(actor, a)
        || (actor.inside_tenant(s.agency_id) && !actor.permissions_in(sub_scope(s)).is_empty())
}

/// Whether the actor reaches every sub-account of the agency (so lists need no filter).
pub fn reaches_all_sub_accounts(actor: &Actor, a: &agency::Model) -> bool {
    above_agency(actor, a)
        || actor.inside_tenant(a.id)
            && match &actor.principal {
                Principal::ApiKey { scope, .. } => *scope == Scope::Agency(a.id),
                Principal::System => true,
                _ => actor
                    .memberships
                    .iter()
                    .any(|m| m.scope == Scope::Agency(a.id) && m.reaches_all_sub_accounts()),
            }
}

/// The sub-accounts of an agency the actor holds memberships in (or its key's sub-account),
/// when the request acts inside that agency.
pub fn own_sub_accounts(actor: &Actor, agency_id: Uuid) -> Vec<Uuid> {
    if !actor.inside_tenant(agency_id) {
        return Vec::new();
    }
    let from_key = match &actor.principal {
        Principal::ApiKey { scope, .. } => Some(*scope),
        _ => None,
    };
    match &actor.principal {
        Principal::ApiKey { .. } => from_key.into_iter().collect::<Vec<_>>(),
        _ => actor.memberships.iter().map(|m| m.scope).collect(),
    }
    .into_iter()
    .filter(|s| s.kind() == ScopeKind::SubAccount && s.agency_id() == Some(agency_id))
    .filter_map(Scope::sub_account_id)
    .collect()
}

/// The resellers whose agencies the actor manages, and the agencies it belongs inside.
pub fn reach(actor: &Actor) -> (Vec<Uuid>, Vec<Uuid>) {
    match &actor.principal {
        Principal::ApiKey { scope, .. } => (
            match scope {
                Scope::Reseller(r) if actor.can(Permission::AgenciesManage, *scope) => vec![*r],
                _ => Vec::new(),
            },
            scope.agency_id().into_iter().collect(),
        ),
        _ => {
            let resellers = actor
                .memberships
                .iter()
                .filter_map(|m| match m.scope {
                    Scope::Reseller(r) if actor.can(Permission::AgenciesManage, m.scope) => Some(r),
                    _ => None,
                })
                .collect();
            let mut agencies: Vec<Uuid> = actor
                .memberships
                .iter()
                .filter_map(|m| m.scope.agency_id())
                .collect();
            agencies.sort_unstable();
            agencies.dedup();
            (resellers, agencies)
        }
    }
}
