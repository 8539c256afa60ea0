//! Permissions, sets of them, and the roles that grant them by default.

use super::ScopeKind;
use async_graphql::Enum;

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
    /// Subscribe, change and remove webhook endpoints, and redeliver their messages.
    WebhooksManage,
    /// See the media library's files and folders.
    MediaRead,
    /// Upload, rename, move and delete media files and folders.
    MediaWrite,
    /// See calendars: services, bookable staff and resources, free slots and appointments.
    CalendarsRead,
    /// Book appointments, and reschedule, cancel, confirm or close them.
    CalendarsWrite,
    /// Set calendars up: services, bookable staff and resources, and their availability.
    CalendarsManage,
    /// See analytics: a sub-account's metrics, or an agency's rollup of them.
    ReportsRead,
    /// Read the audit log: every mutation made in the scope, by whom, and its result.
    AuditRead,
}

impl Permission {
    /// Every permission, in declaration order (the bit index of [`PermissionSet`]).
    pub const ALL: [Permission; 28] = [
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
        Permission::WebhooksManage,
        Permission::MediaRead,
        Permission::MediaWrite,
        Permission::CalendarsRead,
        Permission::CalendarsWrite,
        Permission::CalendarsManage,
        Permission::ReportsRead,
        Permission::AuditRead,
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
            Permission::WebhooksManage => "webhooks.manage",
            Permission::MediaRead => "media.read",
            Permission::MediaWrite => "media.write",
            Permission::CalendarsRead => "calendars.read",
            Permission::CalendarsWrite => "calendars.write",
            Permission::CalendarsManage => "calendars.manage",
            Permission::ReportsRead => "reports.read",
            Permission::AuditRead => "audit.read",
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
    Permission::MediaRead,
    Permission::MediaWrite,
    Permission::CalendarsRead,
    Permission::CalendarsWrite,
    Permission::CalendarsManage,
    Permission::ReportsRead,
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
                P::AuditRead,
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
                P::AuditRead,
                P::BillingRead,
                P::BillingManage,
                P::MembersManage,
                P::ApiKeysManage,
                P::SettingsManage,
                P::SubAccountsManage,
                P::WebhooksManage,
            ])),
            Role::AgencyAdmin => CRM_ALL.union(PermissionSet::of(&[
                P::AuditRead,
                P::BillingRead,
                P::MembersManage,
                P::ApiKeysManage,
                P::SettingsManage,
                P::SubAccountsManage,
                P::WebhooksManage,
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
                P::MediaRead,
                P::MediaWrite,
                P::CalendarsRead,
                P::CalendarsWrite,
            ]),
            Role::SubaccountAdmin => CRM_ALL.union(PermissionSet::of(&[
                P::AuditRead,
                P::BillingRead,
                P::MembersManage,
                P::ApiKeysManage,
                P::SettingsManage,
                P::WebhooksManage,
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
                P::MediaRead,
                P::MediaWrite,
                P::CalendarsRead,
                P::CalendarsWrite,
            ]),
        }
    }
}
