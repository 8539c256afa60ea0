//! GraphQL object types of the tenancy crate.

use crate::entity::{agency, sub_account};
use crate::service;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kernel::connection::{Page, wants_total_count};
use kernel::id::{NodeKind, gid};

/// An amount of money.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// The amount in minor units (cents for USD).
    pub amount: i64,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// Whether an agency or sub-account is in service.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TenantStatus {
    /// In service.
    Active,
    /// Suspended: its members cannot work in it until it is reactivated.
    Suspended,
    /// Deleted: hidden, restorable for 30 days.
    Deleted,
}

fn status(s: &str, deleted: Option<DateTime<Utc>>) -> TenantStatus {
    match (deleted, s) {
        (Some(_), _) => TenantStatus::Deleted,
        (None, "suspended") => TenantStatus::Suspended,
        _ => TenantStatus::Active,
    }
}

/// An agency: a customer of the platform (direct, or through a reseller) that runs sub-accounts
/// for its clients. The tenant: all CRM data lives inside one.
#[derive(Clone)]
pub struct Agency(pub agency::Model);

/// An agency: a customer of the platform (direct, or through a reseller) that runs sub-accounts
/// for its clients. The tenant: all CRM data lives inside one.
#[Object]
impl Agency {
    /// The agency's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Agency, self.0.id)
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Subdomain of the platform domain it is reached at, if any.
    async fn subdomain(&self) -> Option<&str> {
        self.0.subdomain.as_deref()
    }
    /// Its own domain, if any.
    async fn custom_domain(&self) -> Option<&str> {
        self.0.custom_domain.as_deref()
    }
    /// IANA time zone.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }
    /// Postal address.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// Logo URL.
    async fn logo_url(&self) -> Option<&str> {
        self.0.logo_url.as_deref()
    }
    /// Brand colour, `#rrggbb`.
    async fn primary_color(&self) -> Option<&str> {
        self.0.primary_color.as_deref()
    }
    /// The white-label address its email is sent from, if it has one.
    async fn sender_email(&self) -> Option<&str> {
        self.0.sender_email.as_deref()
    }
    /// Whether the marketplace feature is on.
    async fn marketplace_enabled(&self) -> bool {
        self.0.marketplace_enabled
    }
    /// Whether the AI suite is on.
    async fn ai_suite_enabled(&self) -> bool {
        self.0.ai_suite_enabled
    }
    /// What the agency charges its clients per sub-account.
    async fn sub_account_price(&self) -> Money {
        Money {
            amount: self.0.sub_account_price,
            currency: self.0.currency.clone(),
        }
    }
    /// What the agency charges for white-label credits.
    async fn white_label_price(&self) -> Money {
        Money {
            amount: self.0.white_label_price,
            currency: self.0.currency.clone(),
        }
    }
    /// Whether it is in service.
    async fn status(&self) -> TenantStatus {
        status(&self.0.status, self.0.deleted_at)
    }
    /// Its Stripe Connect account (set up with billing), for those who may read its billing.
    async fn stripe_connect_account_id(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        let (_, rc) = kernel::db::request(ctx)?;
        let may = service::access::above_agency(&rc.actor, &self.0)
            || rc.actor.can(
                kernel::Permission::BillingRead,
                kernel::Scope::Agency(self.0.id),
            );
        Ok(self.0.stripe_connect_account_id.clone().filter(|_| may))
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The reseller it is sold through, when you may see the reseller (its staff and the
    /// platform's); null for direct agencies and for everyone else.
    async fn reseller(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Reseller>> {
        let Some(r) = self.0.reseller_id else {
            return Ok(None);
        };
        let (tx, rc) = kernel::db::request(ctx)?;
        match service::reseller::get(&**tx, &rc.actor, r).await {
            Ok(m) => Ok(Some(Reseller(m))),
            Err(kernel::Error::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
    /// The agency's dashboard sidebar, in order.
    async fn sidebar_options(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<SidebarOption>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let rows = service::sidebar::for_scope(
            &**tx,
            &rc.actor,
            &self.0,
            kernel::Scope::Agency(self.0.id),
        )
        .await?;
        Ok(rows.into_iter().map(SidebarOption).collect())
    }
    /// The sub-accounts you can see, oldest first.
    async fn sub_accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n sub-accounts (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return sub-accounts after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n sub-accounts (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return sub-accounts before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<SubAccountConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            service::sub_account::list(&**tx, &rc.actor, &self.0, page, wants_total_count(ctx))
                .await?;
        // The page's counts in one batch, whatever its size.
        if ["contactCount", "openTicketCount", "memberCount"]
            .iter()
            .any(|f| kernel::loader::node_field_selected(ctx, f))
        {
            kernel::loader::prime::<crate::SubAccountCountsLoader>(
                ctx,
                rows.iter().map(|s| s.id).collect(),
            )
            .await?;
        }
        Ok(SubAccountConnection::build(
            rows.into_iter().map(SubAccount).collect(),
            info,
            total,
            |s| s.0.id,
        ))
    }
}

kernel::connection_types!(AgencyConnection, AgencyEdge, Agency, "agencies");

/// A sub-account: one client business of an agency, with its own staff and CRM data.
#[derive(Clone)]
pub struct SubAccount(pub sub_account::Model);

impl SubAccount {
    /// The counts, if the actor holds `permission` here.
    async fn counts(
        &self,
        ctx: &Context<'_>,
        permission: kernel::auth::Permission,
    ) -> async_graphql::Result<Option<crate::SubAccountCounts>> {
        let (_, rc) = kernel::db::request(ctx)?;
        // Counted in the request's tenant only: a sub-account of another agency (seen from
        // above, or in an agency the request does not act in) shows no numbers.
        if rc.actor.tenant != Some(self.0.agency_id)
            || !rc
                .actor
                .can(permission, service::access::sub_scope(&self.0))
        {
            return Ok(None);
        }
        kernel::loader::get::<crate::SubAccountCountsLoader>(ctx)?
            .load_one(self.0.id)
            .await
    }
}

/// A sub-account: one client business of an agency, with its own staff and CRM data.
#[Object]
impl SubAccount {
    /// The sub-account's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::SubAccount, self.0.id)
    }
    /// The hosts whose web pages may call this sub-account's public endpoints (a form's
    /// submissions) from the browser (`SETTINGS_MANAGE`), by host.
    async fn embed_domains(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::EmbedDomain>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        // Boxed, as every statement in a `SubAccount` field (see `kernel::boxed`).
        Ok(
            kernel::boxed(service::embed_domain::list(&**tx, &rc.actor, self.0.id))
                .await?
                .into_iter()
                .map(super::EmbedDomain)
                .collect(),
        )
    }
    /// The agency it belongs to.
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let model = kernel::boxed(service::agency::get(&**tx, &rc.actor, self.0.agency_id));
        Ok(Agency(model.await?))
    }
    /// How many contacts it has; null unless you may read its contacts (in the agency you act
    /// in).
    async fn contact_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i64>> {
        Ok(self
            .counts(ctx, kernel::auth::Permission::ContactsRead)
            .await?
            .map(|c| c.contacts))
    }
    /// How many open tickets its pipelines hold (archived pipelines included); null unless you
    /// may read its pipelines.
    async fn open_ticket_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i64>> {
        Ok(self
            .counts(ctx, kernel::auth::Permission::PipelinesRead)
            .await?
            .map(|c| c.open_tickets))
    }
    /// How many members it has (memberships at the sub-account itself); null unless you may
    /// manage its members.
    async fn member_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i64>> {
        Ok(self
            .counts(ctx, kernel::auth::Permission::MembersManage)
            .await?
            .map(|c| c.members))
    }
    /// The sub-account's dashboard sidebar, in order.
    async fn sidebar_options(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<SidebarOption>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let rows = kernel::boxed(async {
            let a = service::agency::get(&**tx, &rc.actor, self.0.agency_id).await?;
            let scope = service::access::sub_scope(&self.0);
            service::sidebar::for_scope(&**tx, &rc.actor, &a, scope).await
        });
        Ok(rows.await?.into_iter().map(SidebarOption).collect())
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Short URL-safe name, unique in the agency.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Contact email.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Contact phone.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// IANA time zone.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }
    /// Logo URL.
    async fn logo_url(&self) -> Option<&str> {
        self.0.logo_url.as_deref()
    }
    /// Postal address.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// Whether it is in service.
    async fn status(&self) -> TenantStatus {
        status(&self.0.status, self.0.deleted_at)
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

kernel::connection_types!(
    SubAccountConnection,
    SubAccountEdge,
    SubAccount,
    "sub-accounts"
);

/// A white-label partner that sells the platform to agencies under its own brand, paying in
/// wallet credits for each agency it creates.
#[derive(Clone)]
pub struct Reseller(pub crate::entity::reseller::Model);

/// A white-label partner that sells the platform to agencies under its own brand, paying in
/// wallet credits for each agency it creates.
#[Object]
impl Reseller {
    /// The reseller's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Reseller, self.0.id)
    }
    /// Legal or display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The brand its agencies see.
    async fn brand_name(&self) -> &str {
        &self.0.brand_name
    }
    /// Logo URL.
    async fn logo_url(&self) -> Option<&str> {
        self.0.logo_url.as_deref()
    }
    /// Brand colour, `#rrggbb`.
    async fn primary_color(&self) -> Option<&str> {
        self.0.primary_color.as_deref()
    }
    /// The white-label address its email is sent from, if it has one.
    async fn sender_email(&self) -> Option<&str> {
        self.0.sender_email.as_deref()
    }
    /// The domain its white-labelled platform is served at.
    async fn white_label_domain(&self) -> Option<&str> {
        self.0.white_label_domain.as_deref()
    }
    /// Its share of its agencies' revenue, in basis points (1% = 100).
    async fn revenue_share_bps(&self) -> i32 {
        self.0.revenue_share_bps
    }
    /// The reseller's own main agency, if set.
    async fn manager_agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Agency>> {
        let Some(a) = self.0.manager_agency_id else {
            return Ok(None);
        };
        let (tx, rc) = kernel::db::request(ctx)?;
        match service::agency::get(&**tx, &rc.actor, a).await {
            Ok(m) => Ok(Some(Agency(m))),
            Err(kernel::Error::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
    /// Credits its wallet pays for each agency it creates.
    async fn agency_price_credits(&self) -> i64 {
        self.0.agency_price_credits
    }
    /// The agencies sold through this reseller, oldest first.
    async fn agencies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n agencies (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return agencies after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n agencies (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return agencies before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<AgencyConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) = service::agency::list(
            &**tx,
            &rc.actor,
            Some(self.0.id),
            page,
            wants_total_count(ctx),
        )
        .await?;
        Ok(AgencyConnection::build(
            rows.into_iter().map(Agency).collect(),
            info,
            total,
            |a| a.0.id,
        ))
    }
    /// Credits in the wallet now: the sum of the ledger (`BILLING_READ`).
    async fn credit_balance(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let (tx, rc) = kernel::db::request(ctx)?;
        service::reseller::require_billing_read(&rc.actor, self.0.id)?;
        Ok(service::reseller::balance(&**tx, self.0.id).await?)
    }
    /// Every movement of the wallet, oldest first (`BILLING_READ`).
    async fn credit_entries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n entries (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return entries after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n entries (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return entries before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<CreditEntryConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        service::reseller::require_billing_read(&rc.actor, self.0.id)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            service::reseller::entries(&**tx, &self.0, page, wants_total_count(ctx)).await?;
        Ok(CreditEntryConnection::build(
            rows.into_iter().map(CreditEntry).collect(),
            info,
            total,
            |e| e.0.id,
        ))
    }
    /// Whether it is in service.
    async fn status(&self) -> TenantStatus {
        status(&self.0.status, self.0.deleted_at)
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

kernel::connection_types!(ResellerConnection, ResellerEdge, Reseller, "resellers");

/// Why credits moved.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CreditEntryKind {
    /// The platform added credits.
    Credit,
    /// An agency was created under the reseller.
    AgencyCreated,
}

/// One movement of a reseller's wallet.
#[derive(Clone)]
pub struct CreditEntry(pub crate::entity::credit_entry::Model);

/// One movement of a reseller's wallet.
#[Object]
impl CreditEntry {
    /// Credits added (positive) or spent (negative).
    async fn amount(&self) -> i64 {
        self.0.amount
    }
    /// Why.
    async fn kind(&self) -> CreditEntryKind {
        if self.0.kind == "credit" {
            CreditEntryKind::Credit
        } else {
            CreditEntryKind::AgencyCreated
        }
    }
    /// The agency created, for a spend.
    async fn agency_id(&self) -> Option<ID> {
        self.0.agency_id.map(|a| gid(NodeKind::Agency, a))
    }
    /// A note from whoever moved the credits.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

kernel::connection_types!(
    CreditEntryConnection,
    CreditEntryEdge,
    CreditEntry,
    "wallet movements"
);

/// Where an invitation stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    /// Waiting to be accepted.
    Pending,
    /// Accepted: the person is a member.
    Accepted,
    /// Revoked, or replaced by a newer invitation.
    Revoked,
    /// Not accepted within 7 days.
    Expired,
}

/// An invitation of a person, by email, into a scope with a role.
#[derive(Clone)]
pub struct Invitation(pub crate::entity::invitation::Model);

/// An invitation of a person, by email, into a scope with a role.
#[Object]
impl Invitation {
    /// The invitation's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Invitation, self.0.id)
    }
    /// The address it was sent to.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// The role it gives.
    async fn role(&self) -> async_graphql::Result<kernel::Role> {
        kernel::Role::parse(&self.0.role)
            .ok_or_else(|| kernel::Error::internal("invitation has a bad role").into())
    }
    /// Where it gives it.
    async fn scope(&self) -> async_graphql::Result<identity::graphql::ScopeRef> {
        Ok(service::invitation::scope_of(&self.0)?.into())
    }
    /// Where it stands.
    async fn status(&self) -> InvitationStatus {
        match self.0.status.as_str() {
            "accepted" => InvitationStatus::Accepted,
            "revoked" => InvitationStatus::Revoked,
            _ if self.0.expires_at <= Utc::now() => InvitationStatus::Expired,
            _ => InvitationStatus::Pending,
        }
    }
    /// When it was sent.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it stops being valid.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// When it was accepted.
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
}

kernel::connection_types!(
    InvitationConnection,
    InvitationEdge,
    Invitation,
    "invitations"
);

/// Whose brand a host shows.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum BrandOwner {
    /// The platform itself.
    Platform,
    /// A reseller, on its white-label domain.
    Reseller,
    /// An agency, on its custom domain or subdomain.
    Agency,
}

/// The brand to show on a host: for login pages and white-labelled dashboards.
#[derive(SimpleObject, Clone)]
pub struct Brand {
    /// Whose brand it is.
    pub owner: BrandOwner,
    /// The name to show.
    pub name: String,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Brand colour, `#rrggbb`.
    pub primary_color: Option<String>,
}

impl From<service::branding::Brand> for Brand {
    fn from(b: service::branding::Brand) -> Self {
        Self {
            owner: match b.owner {
                service::branding::BrandOwner::Platform => BrandOwner::Platform,
                service::branding::BrandOwner::Reseller => BrandOwner::Reseller,
                service::branding::BrandOwner::Agency => BrandOwner::Agency,
            },
            name: b.name,
            logo_url: b.logo_url,
            primary_color: b.primary_color,
        }
    }
}

/// An entry of an agency's or sub-account's dashboard sidebar.
#[derive(Clone)]
pub struct SidebarOption(pub crate::entity::sidebar_option::Model);

/// An entry of an agency's or sub-account's dashboard sidebar.
#[Object]
impl SidebarOption {
    /// The entry's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::SidebarOption, self.0.id)
    }
    /// What the entry opens (`contacts`, `pipelines`, ...), fixed.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// The label shown.
    async fn label(&self) -> &str {
        &self.0.label
    }
    /// The icon's name.
    async fn icon(&self) -> &str {
        &self.0.icon
    }
    /// Whether it is shown.
    async fn visible(&self) -> bool {
        self.0.visible
    }
}

/// A person's role in a scope, with the single permissions added or taken away.
#[derive(Clone)]
pub struct MembershipObject(
    pub crate::entity::membership::Model,
    pub identity::entity::user::Model,
);

/// A person's role in a scope, with the single permissions added or taken away.
#[Object(name = "Membership")]
impl MembershipObject {
    /// The membership's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Membership, self.0.id)
    }
    /// The member.
    async fn user(&self) -> identity::User {
        identity::User(self.1.clone())
    }
    /// The role.
    async fn role(&self) -> async_graphql::Result<kernel::Role> {
        kernel::Role::parse(&self.0.role)
            .ok_or_else(|| kernel::Error::internal("membership has a bad role").into())
    }
    /// Where it applies.
    async fn scope(&self) -> async_graphql::Result<identity::graphql::ScopeRef> {
        Ok(service::membership::scope_of(&self.0)?.into())
    }
    /// Permissions added to the role's defaults.
    async fn granted_permissions(&self) -> Vec<kernel::Permission> {
        kernel::PermissionSet::from_json(&self.0.granted)
            .iter()
            .collect()
    }
    /// Permissions taken from the role's defaults.
    async fn withheld_permissions(&self) -> Vec<kernel::Permission> {
        kernel::PermissionSet::from_json(&self.0.withheld)
            .iter()
            .collect()
    }
    /// What the membership allows in its scope: the role's defaults, plus grants, minus
    /// withholdings.
    async fn permissions(&self) -> async_graphql::Result<Vec<kernel::Permission>> {
        let role = kernel::Role::parse(&self.0.role)
            .ok_or_else(|| kernel::Error::internal("membership has a bad role"))?;
        Ok(role
            .default_permissions()
            .union(kernel::PermissionSet::from_json(&self.0.granted))
            .minus(kernel::PermissionSet::from_json(&self.0.withheld))
            .iter()
            .collect())
    }
    /// For agency members: whether they reach every sub-account of the agency (owners and
    /// admins always do).
    async fn all_sub_accounts_access(&self) -> bool {
        self.0.all_sub_accounts
    }
    /// When it began.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// For a platform admin's support access (`supportAccessGrant`): when it ends by itself.
    /// Null for an ordinary membership.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// For a platform admin's support access: why it was granted. Null otherwise.
    async fn support_reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
}

kernel::connection_types!(
    MembershipConnection,
    MembershipEdge,
    MembershipObject,
    "memberships"
);
