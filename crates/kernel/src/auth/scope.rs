//! The scopes of the tenancy tree and the memberships that give roles in them.

use super::{PermissionSet, Role};
use async_graphql::Enum;
use uuid::Uuid;

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
