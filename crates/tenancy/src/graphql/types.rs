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
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
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

/// A sub-account: one client business of an agency, with its own staff and CRM data.
#[Object]
impl SubAccount {
    /// The sub-account's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::SubAccount, self.0.id)
    }
    /// The agency it belongs to.
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let model = service::agency::get(&**tx, &rc.actor, self.0.agency_id).await?;
        Ok(Agency(model))
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
