//! Who is acting ([`Principal`], [`Actor`]) and the checks services make with it.

use super::{Membership, Permission, PermissionSet, Role, Scope, ScopeKind};
use crate::error::Error;
use uuid::Uuid;

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Nobody has authenticated.
    Anonymous,
    /// A signed-in user.
    User {
        /// The user.
        user_id: Uuid,
        /// The login session the access token belongs to.
        session_id: Uuid,
    },
    /// A partner integration through an API key.
    ApiKey {
        /// The key.
        key_id: Uuid,
        /// The user who created the key: it never does more than they still may.
        owner: Uuid,
        /// The scope the key belongs to.
        scope: Scope,
        /// What the key may do there.
        permissions: PermissionSet,
    },
    /// Canopy itself (migrations, seeding, jobs): every permission everywhere.
    System,
}

/// The actor of a request: a principal and the memberships of the user behind it (the user,
/// or an API key's owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who.
    pub principal: Principal,
    /// The memberships of the user, or of the API key's owner (empty otherwise).
    pub memberships: Vec<Membership>,
    /// The agency the request acts inside, once checked at the edge (the tenant key that
    /// PostgreSQL's row-level security sees too). `None`: no tenant's data is reachable, unless
    /// the actor manages agencies from above.
    pub tenant: Option<Uuid>,
}

impl Actor {
    /// The anonymous actor.
    pub const fn anonymous() -> Self {
        Self {
            principal: Principal::Anonymous,
            memberships: Vec::new(),
            tenant: None,
        }
    }

    /// Canopy itself.
    pub const fn system() -> Self {
        Self {
            principal: Principal::System,
            memberships: Vec::new(),
            tenant: None,
        }
    }

    /// Canopy itself acting for one tenant: a public endpoint (a form's submission) or a job
    /// that works in an agency. It passes the same services and `tenancy::guard` as anyone,
    /// and reaches that agency's rows only.
    pub const fn system_in(agency_id: Uuid) -> Self {
        Self {
            principal: Principal::System,
            memberships: Vec::new(),
            tenant: Some(agency_id),
        }
    }

    /// The signed-in user, if the actor is one.
    pub fn user_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    /// The user, or `UNAUTHENTICATED`.
    pub fn require_user(&self) -> Result<Uuid, Error> {
        match self.principal {
            Principal::User { user_id, .. } => Ok(user_id),
            Principal::Anonymous => Err(Error::Unauthenticated("sign in first".into())),
            _ => Err(Error::Forbidden),
        }
    }

    /// `UNAUTHENTICATED` unless someone has authenticated.
    pub fn require_authenticated(&self) -> Result<(), Error> {
        match self.principal {
            Principal::Anonymous => Err(Error::Unauthenticated("sign in first".into())),
            _ => Ok(()),
        }
    }

    /// Whether the request acts inside this agency: the one definition of "inside the tenant".
    /// A request is inside the agency its tenant context names (checked at the edge, and what
    /// PostgreSQL's row-level security sees). Canopy itself with no tenant ([`Actor::system`]:
    /// seeding) passes this check for the tree's rules (sidebars, sub-account visibility); a
    /// sub-account's data is still out of its reach, because `tenancy::guard` reads rows only in
    /// `self.tenant`, so a background job must act with the tenant it works for set.
    pub fn inside_tenant(&self, agency_id: Uuid) -> bool {
        self.tenant == Some(agency_id)
            || (self.principal == Principal::System && self.tenant.is_none())
    }

    /// The check for acting in a scope inside an agency (the agency itself or a sub-account):
    /// `UNAUTHENTICATED` for nobody; `NOT_FOUND` unless the request is
    /// [inside the tenant](Self::inside_tenant) and the actor holds something in `scope`
    /// (another tenant's scope is invisible, exactly like a missing one); `FORBIDDEN` unless it
    /// holds every permission in `needed` there.
    pub fn require_inside(&self, scope: Scope, needed: &[Permission]) -> Result<(), Error> {
        self.require_authenticated()?;
        if !scope.agency_id().is_some_and(|a| self.inside_tenant(a)) {
            return Err(Error::NotFound);
        }
        self.require_in(scope, needed).map(|_| ())
    }

    /// The check for managing a scope of any kind (its members, keys, invitations):
    /// `UNAUTHENTICATED` for nobody; `NOT_FOUND` where the actor holds nothing (a scope they
    /// have no part in is invisible); `FORBIDDEN` unless they hold every permission in
    /// `needed` there. Returns what they may do there.
    pub fn require_in(&self, scope: Scope, needed: &[Permission]) -> Result<PermissionSet, Error> {
        self.require_authenticated()?;
        let perms = self.permissions_in(scope);
        if perms.is_empty() {
            return Err(Error::NotFound);
        }
        if !needed.iter().all(|p| perms.contains(*p)) {
            return Err(Error::Forbidden);
        }
        Ok(perms)
    }

    /// How the actor is written down in logs and histories: a kind name (`user`, `api_key`,
    /// `system`, `anonymous`) and the user's or key's id.
    pub fn kind_and_id(&self) -> (&'static str, Option<Uuid>) {
        match &self.principal {
            Principal::Anonymous => ("anonymous", None),
            Principal::User { user_id, .. } => ("user", Some(*user_id)),
            Principal::ApiKey { key_id, .. } => ("api_key", Some(*key_id)),
            Principal::System => ("system", None),
        }
    }

    /// What the actor may do in `scope`.
    ///
    /// A membership applies in its own scope; an agency membership also applies in the agency's
    /// sub-accounts when it reaches them all (owners, admins, `allSubAccountsAccess`). Reseller
    /// and platform memberships never apply inside an agency: reading a tenant's data is not
    /// theirs to do.
    pub fn permissions_in(&self, scope: Scope) -> PermissionSet {
        match &self.principal {
            Principal::Anonymous => PermissionSet::EMPTY,
            Principal::System => PermissionSet::of(&Permission::ALL),
            Principal::ApiKey {
                scope: key_scope,
                permissions,
                ..
            } => {
                // A key works within its scope, and never beyond what its owner may still do
                // there (an owner who is demoted or removed takes the key's reach along).
                if key_scope.contains(scope) {
                    permissions.intersect(self.membership_permissions(scope))
                } else {
                    PermissionSet::EMPTY
                }
            }
            Principal::User { .. } => self.membership_permissions(scope),
        }
    }

    fn membership_permissions(&self, scope: Scope) -> PermissionSet {
        self.memberships
            .iter()
            .filter(|m| {
                m.scope == scope || (m.scope.contains(scope) && m.reaches_all_sub_accounts())
            })
            .fold(PermissionSet::EMPTY, |acc, m| acc.union(m.permissions()))
    }

    /// Whether the actor may do `permission` in `scope`.
    pub fn can(&self, permission: Permission, scope: Scope) -> bool {
        self.permissions_in(scope).contains(permission)
    }

    /// `UNAUTHENTICATED` for nobody, `FORBIDDEN` unless the actor may do `permission` in `scope`.
    pub fn require(&self, permission: Permission, scope: Scope) -> Result<(), Error> {
        self.require_authenticated()?;
        if self.can(permission, scope) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Resolves the scope a global id names, as far as the actor can see it: the platform,
    /// a reseller or agency by id, or a sub-account the actor belongs to (directly or through
    /// an API key). Anything else is `NOT_FOUND`.
    pub fn resolve_scope(&self, id: crate::id::GlobalId) -> Result<Scope, Error> {
        use crate::id::NodeKind;
        match id.kind {
            NodeKind::Platform if id.uuid == crate::id::PLATFORM_ID => Ok(Scope::Platform),
            NodeKind::Reseller => Ok(Scope::Reseller(id.uuid)),
            NodeKind::Agency => Ok(Scope::Agency(id.uuid)),
            NodeKind::SubAccount => {
                let from_key = match &self.principal {
                    Principal::ApiKey { scope, .. } => Some(*scope),
                    _ => None,
                };
                self.memberships
                    .iter()
                    .map(|m| m.scope)
                    .chain(from_key)
                    .find(|s| s.kind() == ScopeKind::SubAccount && s.id() == Some(id.uuid))
                    .ok_or(Error::NotFound)
            }
            NodeKind::Platform => Err(Error::NotFound),
            _ => Err(Error::bad_input(
                None,
                format!("`{id}` is not the id of a platform, reseller, agency or sub-account"),
            )),
        }
    }

    /// The rank of the highest role the actor holds at `scope` (0 for none). In a
    /// sub-account, an agency role that reaches every sub-account counts too.
    pub fn rank_at(&self, scope: Scope) -> u8 {
        self.memberships
            .iter()
            .filter(|m| {
                m.scope == scope || (m.scope.contains(scope) && m.reaches_all_sub_accounts())
            })
            .map(|m| m.role.rank())
            .max()
            .unwrap_or(0)
    }

    /// The highest role the actor holds exactly at `scope`, if any.
    pub fn role_at(&self, scope: Scope) -> Option<Role> {
        self.memberships
            .iter()
            .filter(|m| m.scope == scope)
            .map(|m| m.role)
            .max_by_key(|r| r.rank())
    }
}
