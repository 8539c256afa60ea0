//! Who is acting, in which scope, with which permissions; and the checks services make.
//!
//! Architecture Invariant: services call [`Actor::require`] (or read [`Actor::permissions_in`])
//! before they touch data; GraphQL guards are a convenience on top, never the only check.

use crate::error::Error;
use async_graphql::Enum;
use uuid::Uuid;

/// A single permission. Stored as its dotted name (`contacts.read`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read contacts, custom fields, tags and segments.
    ContactsRead,
    /// Create, change and delete contacts, custom fields, tags and segments.
    ContactsWrite,
    /// Read pipelines, lanes, tickets and tasks.
    PipelinesRead,
    /// Create, change, move and delete pipelines, lanes, tickets and tasks.
    PipelinesWrite,
    /// Read funnels, websites and form submissions.
    FunnelsRead,
    /// Create and change funnels and websites.
    FunnelsWrite,
    /// Publish funnel pages to the public.
    FunnelsPublish,
    /// Read automations and their runs.
    AutomationsRead,
    /// Create and change automations.
    AutomationsWrite,
    /// Read conversations and messages.
    ConversationsRead,
    /// Send messages and manage conversations.
    ConversationsWrite,
    /// Read plans, subscriptions and invoices.
    BillingRead,
    /// Change plans, payment methods and wallets.
    BillingManage,
    /// Invite, change and remove members.
    MembersManage,
    /// Create and revoke API keys.
    ApiKeysManage,
    /// Change settings, branding and sidebar options.
    SettingsManage,
    /// Create, suspend and delete sub-accounts.
    SubAccountsManage,
    /// Create, brand, suspend and delete agencies.
    AgenciesManage,
    /// Create, suspend and delete resellers.
    ResellersManage,
    /// Administer the platform itself.
    PlatformManage,
}

impl Permission {
    /// Every permission, in declaration order (the bit index of [`PermissionSet`]).
    pub const ALL: [Permission; 20] = [
        Permission::ContactsRead,
        Permission::ContactsWrite,
        Permission::PipelinesRead,
        Permission::PipelinesWrite,
        Permission::FunnelsRead,
        Permission::FunnelsWrite,
        Permission::FunnelsPublish,
        Permission::AutomationsRead,
        Permission::AutomationsWrite,
        Permission::ConversationsRead,
        Permission::ConversationsWrite,
        Permission::BillingRead,
        Permission::BillingManage,
        Permission::MembersManage,
        Permission::ApiKeysManage,
        Permission::SettingsManage,
        Permission::SubAccountsManage,
        Permission::AgenciesManage,
        Permission::ResellersManage,
        Permission::PlatformManage,
    ];

    /// The dotted name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::ContactsRead => "contacts.read",
            Permission::ContactsWrite => "contacts.write",
            Permission::PipelinesRead => "pipelines.read",
            Permission::PipelinesWrite => "pipelines.write",
            Permission::FunnelsRead => "funnels.read",
            Permission::FunnelsWrite => "funnels.write",
            Permission::FunnelsPublish => "funnels.publish",
            Permission::AutomationsRead => "automations.read",
            Permission::AutomationsWrite => "automations.write",
            Permission::ConversationsRead => "conversations.read",
            Permission::ConversationsWrite => "conversations.write",
            Permission::BillingRead => "billing.read",
            Permission::BillingManage => "billing.manage",
            Permission::MembersManage => "members.manage",
            Permission::ApiKeysManage => "api_keys.manage",
            Permission::SettingsManage => "settings.manage",
            Permission::SubAccountsManage => "sub_accounts.manage",
            Permission::AgenciesManage => "agencies.manage",
            Permission::ResellersManage => "resellers.manage",
            Permission::PlatformManage => "platform.manage",
        }
    }

    /// Parses a dotted name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    const fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

/// A set of permissions (a bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PermissionSet(u64);

impl PermissionSet {
    /// No permission.
    pub const EMPTY: Self = Self(0);

    /// The set of the given permissions.
    pub const fn of(perms: &[Permission]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < perms.len() {
            bits |= perms[i].bit();
            i += 1;
        }
        Self(bits)
    }

    /// Whether `p` is in the set.
    pub const fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// Whether every permission of `other` is in this set.
    pub const fn contains_all(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Union.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The permissions in both sets.
    #[must_use]
    pub const fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// This set without the permissions of `other`.
    #[must_use]
    pub const fn minus(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The permissions, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// The dotted names, for storage.
    pub fn to_names(self) -> Vec<String> {
        self.iter().map(|p| p.as_str().to_owned()).collect()
    }

    /// Parses a stored JSON array of dotted names (a malformed value reads as empty).
    pub fn from_json(value: &serde_json::Value) -> Self {
        Self::from_names(&serde_json::from_value::<Vec<String>>(value.clone()).unwrap_or_default())
    }

    /// Parses stored dotted names; unknown names (from a newer version) are ignored.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Self {
        names
            .iter()
            .filter_map(|n| Permission::parse(n.as_ref()))
            .fold(Self::EMPTY, |s, p| s.union(Self::of(&[p])))
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter()
            .fold(Self::EMPTY, |s, p| s.union(Self::of(&[p])))
    }
}

/// A role a membership gives. Each maps to a default permission set.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Administers the whole platform and its billing.
    PlatformAdmin,
    /// Owns a reseller: manages its agencies, billing and staff.
    ResellerOwner,
    /// Manages a reseller's agencies and staff.
    ResellerAdmin,
    /// Owns an agency: everything inside it, billing included.
    AgencyOwner,
    /// Administers an agency: everything inside it but billing.
    AgencyAdmin,
    /// Works in the sub-accounts of an agency they are given.
    AgencyUser,
    /// Administers one sub-account.
    SubaccountAdmin,
    /// Works in one sub-account.
    SubaccountUser,
}

const CRM_ALL: PermissionSet = PermissionSet::of(&[
    Permission::ContactsRead,
    Permission::ContactsWrite,
    Permission::PipelinesRead,
    Permission::PipelinesWrite,
    Permission::FunnelsRead,
    Permission::FunnelsWrite,
    Permission::FunnelsPublish,
    Permission::AutomationsRead,
    Permission::AutomationsWrite,
    Permission::ConversationsRead,
    Permission::ConversationsWrite,
]);

impl Role {
    /// The stored name (`AGENCY_OWNER`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "PLATFORM_ADMIN",
            Role::ResellerOwner => "RESELLER_OWNER",
            Role::ResellerAdmin => "RESELLER_ADMIN",
            Role::AgencyOwner => "AGENCY_OWNER",
            Role::AgencyAdmin => "AGENCY_ADMIN",
            Role::AgencyUser => "AGENCY_USER",
            Role::SubaccountAdmin => "SUBACCOUNT_ADMIN",
            Role::SubaccountUser => "SUBACCOUNT_USER",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Role::PlatformAdmin,
            Role::ResellerOwner,
            Role::ResellerAdmin,
            Role::AgencyOwner,
            Role::AgencyAdmin,
            Role::AgencyUser,
            Role::SubaccountAdmin,
            Role::SubaccountUser,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// The kind of scope this role is held in.
    pub const fn scope_kind(self) -> ScopeKind {
        match self {
            Role::PlatformAdmin => ScopeKind::Platform,
            Role::ResellerOwner | Role::ResellerAdmin => ScopeKind::Reseller,
            Role::AgencyOwner | Role::AgencyAdmin | Role::AgencyUser => ScopeKind::Agency,
            Role::SubaccountAdmin | Role::SubaccountUser => ScopeKind::SubAccount,
        }
    }

    /// Rank within its scope kind: a member may only give roles of a rank at most their own.
    pub const fn rank(self) -> u8 {
        match self {
            Role::PlatformAdmin | Role::ResellerOwner | Role::AgencyOwner => 3,
            Role::ResellerAdmin | Role::AgencyAdmin | Role::SubaccountAdmin => 2,
            Role::AgencyUser | Role::SubaccountUser => 1,
        }
    }

    /// The permissions the role gives by default.
    pub const fn default_permissions(self) -> PermissionSet {
        use Permission as P;
        match self {
            Role::PlatformAdmin => PermissionSet::of(&[
                P::PlatformManage,
                P::ResellersManage,
                P::AgenciesManage,
                P::BillingRead,
                P::BillingManage,
                P::MembersManage,
                P::ApiKeysManage,
                P::SettingsManage,
            ]),
            Role::ResellerOwner => PermissionSet::of(&[
                P::AgenciesManage,
                P::BillingRead,
                P::BillingManage,
                P::MembersManage,
                P::ApiKeysManage,
                P::SettingsManage,
            ]),
            Role::ResellerAdmin => PermissionSet::of(&[
                P::AgenciesManage,
                P::BillingRead,
                P::MembersManage,
                P::SettingsManage,
            ]),
            Role::AgencyOwner => CRM_ALL.union(PermissionSet::of(&[
                P::BillingRead,
                P::BillingManage,
                P::MembersManage,
                P::ApiKeysManage,
                P::SettingsManage,
                P::SubAccountsManage,
            ])),
            Role::AgencyAdmin => CRM_ALL.union(PermissionSet::of(&[
                P::BillingRead,
                P::MembersManage,
                P::ApiKeysManage,
                P::SettingsManage,
                P::SubAccountsManage,
            ])),
            Role::AgencyUser => PermissionSet::of(&[
                P::ContactsRead,
                P::ContactsWrite,
                P::PipelinesRead,
                P::PipelinesWrite,
                P::FunnelsRead,
                P::AutomationsRead,
                P::ConversationsRead,
                P::ConversationsWrite,
            ]),
            Role::SubaccountAdmin => CRM_ALL.union(PermissionSet::of(&[
                P::BillingRead,
                P::MembersManage,
                P::ApiKeysManage,
                P::SettingsManage,
            ])),
            Role::SubaccountUser => PermissionSet::of(&[
                P::ContactsRead,
                P::ContactsWrite,
                P::PipelinesRead,
                P::PipelinesWrite,
                P::FunnelsRead,
                P::AutomationsRead,
                P::ConversationsRead,
                P::ConversationsWrite,
            ]),
        }
    }
}

/// The kind of a scope.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// The platform.
    Platform,
    /// A reseller.
    Reseller,
    /// An agency.
    Agency,
    /// A sub-account.
    SubAccount,
}

impl ScopeKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Platform => "platform",
            ScopeKind::Reseller => "reseller",
            ScopeKind::Agency => "agency",
            ScopeKind::SubAccount => "sub_account",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "platform" => Some(ScopeKind::Platform),
            "reseller" => Some(ScopeKind::Reseller),
            "agency" => Some(ScopeKind::Agency),
            "sub_account" => Some(ScopeKind::SubAccount),
            _ => None,
        }
    }
}

/// A node of the tenancy tree that memberships, keys and events belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The platform.
    Platform,
    /// A reseller.
    Reseller(Uuid),
    /// An agency.
    Agency(Uuid),
    /// A sub-account and the agency it belongs to.
    SubAccount {
        /// The agency of the sub-account.
        agency_id: Uuid,
        /// The sub-account.
        id: Uuid,
    },
}

impl Scope {
    /// The kind of the scope.
    pub const fn kind(self) -> ScopeKind {
        match self {
            Scope::Platform => ScopeKind::Platform,
            Scope::Reseller(_) => ScopeKind::Reseller,
            Scope::Agency(_) => ScopeKind::Agency,
            Scope::SubAccount { .. } => ScopeKind::SubAccount,
        }
    }

    /// The scope's own id (`None` for the platform).
    pub const fn id(self) -> Option<Uuid> {
        match self {
            Scope::Platform => None,
            Scope::Reseller(id) | Scope::Agency(id) | Scope::SubAccount { id, .. } => Some(id),
        }
    }

    /// The agency the scope lies in, if any (the tenant key).
    pub const fn agency_id(self) -> Option<Uuid> {
        match self {
            Scope::Agency(id) => Some(id),
            Scope::SubAccount { agency_id, .. } => Some(agency_id),
            _ => None,
        }
    }

    /// The sub-account, if the scope is one.
    pub const fn sub_account_id(self) -> Option<Uuid> {
        match self {
            Scope::SubAccount { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Rebuilds a scope from its stored columns.
    pub fn from_parts(kind: ScopeKind, id: Option<Uuid>, agency_id: Option<Uuid>) -> Option<Self> {
        Some(match kind {
            ScopeKind::Platform => Scope::Platform,
            ScopeKind::Reseller => Scope::Reseller(id?),
            ScopeKind::Agency => Scope::Agency(id?),
            ScopeKind::SubAccount => Scope::SubAccount {
                agency_id: agency_id?,
                id: id?,
            },
        })
    }

    /// Rebuilds a scope from the columns tables store it in: a kind name, the scope's id (the
    /// nil UUID for the platform) and the agency of agency and sub-account scopes.
    pub fn from_stored(kind: &str, scope_id: Uuid, agency_id: Option<Uuid>) -> Option<Self> {
        let kind = ScopeKind::parse(kind)?;
        Self::from_parts(
            kind,
            (kind != ScopeKind::Platform).then_some(scope_id),
            agency_id,
        )
    }

    /// Whether `inner` lies within this scope for CRM data (an agency contains its sub-accounts).
    pub fn contains(self, inner: Scope) -> bool {
        self == inner
            || matches!((self, inner), (Scope::Agency(a), Scope::SubAccount { agency_id, .. }) if a == agency_id)
    }
}

/// A user's membership of a scope, with the permissions it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The membership row.
    pub id: Uuid,
    /// Where it applies.
    pub scope: Scope,
    /// The role.
    pub role: Role,
    /// Permissions added to the role's defaults.
    pub granted: PermissionSet,
    /// Permissions taken from the role's defaults.
    pub withheld: PermissionSet,
    /// For agency members: whether they reach every sub-account of the agency.
    pub all_sub_accounts: bool,
}

impl Membership {
    /// The permissions the membership gives in its own scope.
    pub fn permissions(&self) -> PermissionSet {
        self.role
            .default_permissions()
            .union(self.granted)
            .minus(self.withheld)
    }

    /// Whether the membership reaches into every sub-account of its agency.
    pub fn reaches_all_sub_accounts(&self) -> bool {
        matches!(self.role, Role::AgencyOwner | Role::AgencyAdmin) || self.all_sub_accounts
    }
}

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

    /// Canopy itself, acting for one agency (a background job): inside that tenant only.
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
    /// PostgreSQL's row-level security sees). A background job acts as [`Actor::system_in`] the
    /// tenant it works for; Canopy itself with no tenant ([`Actor::system`]: seeding,
    /// migrations) stands inside every agency.
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
        let perms = self.permissions_in(scope);
        let inside = scope.agency_id().is_some_and(|a| self.inside_tenant(a));
        if !inside || perms.is_empty() {
            return Err(Error::NotFound);
        }
        if !needed.iter().all(|p| perms.contains(*p)) {
            return Err(Error::Forbidden);
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn member(scope: Scope, role: Role) -> Membership {
        Membership {
            id: Uuid::nil(),
            scope,
            role,
            granted: PermissionSet::EMPTY,
            withheld: PermissionSet::EMPTY,
            all_sub_accounts: false,
        }
    }

    fn user(memberships: Vec<Membership>) -> Actor {
        Actor {
            principal: Principal::User {
                user_id: Uuid::nil(),
                session_id: Uuid::nil(),
            },
            memberships,
            tenant: None,
        }
    }

    #[test]
    fn permission_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        let set = PermissionSet::of(&[Permission::ContactsRead, Permission::BillingManage]);
        assert_eq!(PermissionSet::from_names(&set.to_names()), set);
    }

    #[test]
    fn agency_admin_reaches_sub_accounts_but_user_does_not() {
        let agency = Uuid::now_v7();
        let sub = Scope::SubAccount {
            agency_id: agency,
            id: Uuid::now_v7(),
        };
        let admin = user(vec![member(Scope::Agency(agency), Role::AgencyAdmin)]);
        assert!(admin.can(Permission::ContactsWrite, sub));
        let staff = user(vec![member(Scope::Agency(agency), Role::AgencyUser)]);
        assert!(!staff.can(Permission::ContactsRead, sub));
        let mut all = member(Scope::Agency(agency), Role::AgencyUser);
        all.all_sub_accounts = true;
        assert!(user(vec![all]).can(Permission::ContactsRead, sub));
    }

    #[test]
    fn other_agency_gets_nothing() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let owner = user(vec![member(Scope::Agency(a), Role::AgencyOwner)]);
        assert!(owner.permissions_in(Scope::Agency(b)).is_empty());
        assert!(
            owner
                .permissions_in(Scope::SubAccount {
                    agency_id: b,
                    id: Uuid::now_v7()
                })
                .is_empty()
        );
    }

    #[test]
    fn reseller_and_platform_do_not_read_crm_data() {
        let agency = Scope::Agency(Uuid::now_v7());
        let actor = user(vec![
            member(Scope::Platform, Role::PlatformAdmin),
            member(Scope::Reseller(Uuid::now_v7()), Role::ResellerOwner),
        ]);
        assert!(!actor.can(Permission::ContactsRead, agency));
        assert!(
            !Role::PlatformAdmin
                .default_permissions()
                .contains(Permission::ContactsRead)
        );
    }

    #[test]
    fn grants_and_withholds_apply() {
        let scope = Scope::Agency(Uuid::now_v7());
        let mut m = member(scope, Role::AgencyUser);
        m.granted = PermissionSet::of(&[Permission::FunnelsPublish]);
        m.withheld = PermissionSet::of(&[Permission::ContactsWrite]);
        let a = user(vec![m]);
        assert!(a.can(Permission::FunnelsPublish, scope));
        assert!(!a.can(Permission::ContactsWrite, scope));
        assert!(a.can(Permission::ContactsRead, scope));
    }

    #[test]
    fn api_key_is_bounded_by_its_scope() {
        let agency = Uuid::now_v7();
        let key = Actor {
            principal: Principal::ApiKey {
                key_id: Uuid::nil(),
                owner: Uuid::nil(),
                scope: Scope::Agency(agency),
                permissions: PermissionSet::of(&[Permission::ContactsRead]),
            },
            memberships: vec![member(Scope::Agency(agency), Role::AgencyOwner)],
            tenant: None,
        };
        let sub = Scope::SubAccount {
            agency_id: agency,
            id: Uuid::now_v7(),
        };
        assert!(key.can(Permission::ContactsRead, sub));
        assert!(!key.can(Permission::ContactsWrite, sub));
        assert!(!key.can(Permission::ContactsRead, Scope::Agency(Uuid::now_v7())));

        // The owner loses reach: so does the key.
        let mut demoted = key.clone();
        demoted.memberships = vec![member(Scope::Agency(agency), Role::AgencyUser)];
        assert!(demoted.can(Permission::ContactsRead, Scope::Agency(agency)));
        assert!(
            !demoted.can(Permission::ContactsRead, sub),
            "an agency user does not reach every sub-account"
        );
        demoted.memberships.clear();
        assert!(!demoted.can(Permission::ContactsRead, Scope::Agency(agency)));
    }

    #[test]
    fn stored_scopes_and_permissions_read_back() {
        let (a, id) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            Scope::from_stored("platform", Uuid::nil(), None),
            Some(Scope::Platform)
        );
        assert_eq!(
            Scope::from_stored("agency", a, Some(a)),
            Some(Scope::Agency(a))
        );
        assert_eq!(
            Scope::from_stored("sub_account", id, Some(a)),
            Some(Scope::SubAccount { agency_id: a, id })
        );
        assert_eq!(
            Scope::from_stored("sub_account", id, None),
            None,
            "a sub-account needs its agency"
        );
        assert_eq!(Scope::from_stored("galaxy", id, None), None);
        let set = PermissionSet::from_json(&serde_json::json!(["contacts.read", "unknown.perm"]));
        assert_eq!(set, PermissionSet::of(&[Permission::ContactsRead]));
        assert!(PermissionSet::from_json(&serde_json::json!({"not": "a list"})).is_empty());
    }

    #[test]
    fn anonymous_is_unauthenticated() {
        let err = Actor::anonymous()
            .require(Permission::ContactsRead, Scope::Platform)
            .unwrap_err();
        assert_eq!(err.code(), crate::error::ErrorCode::Unauthenticated);
    }
}
