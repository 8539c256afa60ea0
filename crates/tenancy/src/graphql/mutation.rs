//! The tenancy crate's mutation root.

use super::types::{Agency, Invitation, MembershipObject, Reseller, SidebarOption, SubAccount};
use crate::service::agency::{AgencyChanges, Lifecycle, NewAgency};
use crate::service::reseller::ResellerFields;
use crate::service::sub_account::SubAccountFields;
use crate::service::{agency, invitation, membership, reseller, sidebar, sub_account};
use async_graphql::{Context, ID, InputObject, Object};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind};
use kernel::payload;

/// Mutations of the tenancy tree (resellers, agencies, sub-accounts, members).
#[derive(Default)]
pub struct TreeMutation;

/// Input of `agencyCreate`.
#[derive(InputObject)]
pub struct AgencyCreateInput {
    /// The reseller to create it under (its staff pay the reseller's price in credits). Omit
    /// for a direct customer of the platform (platform admins only).
    pub reseller_id: Option<ID>,
    /// Display name (1 to 200 characters).
    pub name: String,
    /// Email address of the registered user who will own the agency.
    pub owner_email: String,
    /// Subdomain of the platform domain (lowercase letters, digits, inner hyphens).
    pub subdomain: Option<String>,
    /// The agency's own domain, such as `crm.example.com`.
    pub custom_domain: Option<String>,
    /// IANA time zone. Default: `UTC`.
    #[graphql(default_with = "String::from(\"UTC\")")]
    pub timezone: String,
    /// Postal address.
    pub address: Option<String>,
    /// Logo URL (http or https).
    pub logo_url: Option<String>,
    /// Brand colour, `#rrggbb`.
    pub primary_color: Option<String>,
    /// Turn on the marketplace feature.
    #[graphql(default)]
    pub marketplace_enabled: bool,
    /// Turn on the AI suite.
    #[graphql(default)]
    pub ai_suite_enabled: bool,
    /// What the agency charges per sub-account, in minor units. Default: 0.
    #[graphql(default)]
    pub sub_account_price: i64,
    /// What the agency charges for white-label credits, in minor units. Default: 0.
    #[graphql(default)]
    pub white_label_price: i64,
    /// ISO 4217 currency of the prices. Default: `USD`.
    #[graphql(default_with = "String::from(\"USD\")")]
    pub currency: String,
}

/// Input of `agencyUpdate`: omitted fields stay as they are; an empty string clears an optional
/// text field.
#[derive(InputObject, Default)]
pub struct AgencyUpdateInput {
    /// Display name.
    pub name: Option<String>,
    /// Subdomain of the platform domain.
    pub subdomain: Option<String>,
    /// The agency's own domain.
    pub custom_domain: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Logo URL (http or https); empty to clear.
    pub logo_url: Option<String>,
    /// Brand colour, `#rrggbb`; empty to clear.
    pub primary_color: Option<String>,
    /// The address its email (and its sub-accounts') is sent from; empty to use the
    /// reseller's or the platform's.
    pub sender_email: Option<String>,
    /// Marketplace feature (platform and reseller staff only).
    pub marketplace_enabled: Option<bool>,
    /// AI suite (platform and reseller staff only).
    pub ai_suite_enabled: Option<bool>,
    /// Price per sub-account, minor units.
    pub sub_account_price: Option<i64>,
    /// Price of white-label credits, minor units.
    pub white_label_price: Option<i64>,
    /// ISO 4217 currency of the prices.
    pub currency: Option<String>,
}

/// Input of `subAccountCreate`.
#[derive(InputObject)]
pub struct SubAccountCreateInput {
    /// The agency to create it in.
    pub agency_id: ID,
    /// Display name (1 to 200 characters).
    pub name: String,
    /// Short URL-safe name, unique in the agency. Default: made from the name.
    pub slug: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// IANA time zone. Default: the agency's.
    pub timezone: Option<String>,
    /// Logo URL (http or https).
    pub logo_url: Option<String>,
    /// Postal address.
    pub address: Option<String>,
}

/// Input of `subAccountUpdate`: omitted fields stay as they are; an empty string clears an
/// optional text field.
#[derive(InputObject, Default)]
pub struct SubAccountUpdateInput {
    /// Display name.
    pub name: Option<String>,
    /// Short URL-safe name, unique in the agency.
    pub slug: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Logo URL (http or https).
    pub logo_url: Option<String>,
    /// Postal address.
    pub address: Option<String>,
}

/// Input of `resellerCreate`.
#[derive(InputObject)]
pub struct ResellerCreateInput {
    /// Legal or display name (1 to 200 characters).
    pub name: String,
    /// Email address of the registered user who will own the reseller.
    pub owner_email: String,
    /// The brand its agencies see. Default: the name.
    pub brand_name: Option<String>,
    /// Logo URL (http or https).
    pub logo_url: Option<String>,
    /// Brand colour, `#rrggbb`.
    pub primary_color: Option<String>,
    /// The domain its white-labelled platform is served at.
    pub white_label_domain: Option<String>,
    /// Its share of its agencies' revenue, in basis points (0 to 10000). Default: 0.
    pub revenue_share_bps: Option<i32>,
    /// Credits its wallet pays per agency it creates. Default: 1.
    pub agency_price_credits: Option<i64>,
}

/// Input of `resellerUpdate`: omitted fields stay as they are. Its staff may change the brand;
/// the terms (revenue share, agency price) are the platform's.
#[derive(InputObject, Default)]
pub struct ResellerUpdateInput {
    /// Legal or display name.
    pub name: Option<String>,
    /// The brand its agencies see.
    pub brand_name: Option<String>,
    /// Logo URL (http or https); empty to clear.
    pub logo_url: Option<String>,
    /// Brand colour, `#rrggbb`; empty to clear.
    pub primary_color: Option<String>,
    /// The address its (and its agencies') email is sent from; empty to use the platform's.
    pub sender_email: Option<String>,
    /// White-label domain; empty to clear.
    pub white_label_domain: Option<String>,
    /// Revenue share in basis points (platform only).
    pub revenue_share_bps: Option<i32>,
    /// Credits per agency created (platform only).
    pub agency_price_credits: Option<i64>,
    /// The reseller's own main agency: one of the agencies it sold (platform only).
    pub manager_agency_id: Option<ID>,
}

/// Input of `resellerWalletCredit`.
#[derive(InputObject)]
pub struct ResellerWalletCreditInput {
    /// The reseller whose wallet to credit.
    pub reseller_id: ID,
    /// Credits to add (positive).
    pub amount: i64,
    /// Why, for the ledger.
    pub note: Option<String>,
}

/// Input of `invitationCreate`.
#[derive(InputObject)]
pub struct InvitationCreateInput {
    /// The global id of the scope (platform, reseller, agency or sub-account) to invite into.
    pub scope_id: ID,
    /// The address to send the invitation to.
    pub email: String,
    /// The role it gives: one of the scope's kind, no higher than your own.
    pub role: kernel::Role,
}

/// Input of `invitationAccept`.
#[derive(InputObject)]
pub struct InvitationAcceptInput {
    /// The code from the invitation email.
    pub token: String,
    /// Your name, when you have no account yet.
    pub name: Option<String>,
    /// A password (8 to 256 characters), when you have no account yet.
    pub password: Option<String>,
}

payload!(InvitationPayload, invitation: Invitation, "The invitation.");

/// The result of `invitationAccept`.
#[derive(async_graphql::SimpleObject)]
pub struct InvitationAcceptPayload {
    /// The accepted invitation. Null when `userErrors` is not empty.
    pub invitation: Option<Invitation>,
    /// The member: you, or the account just created (sign in with it).
    pub user: Option<identity::User>,
    /// Problems with the input that a person can fix; empty on success.
    pub user_errors: Vec<kernel::UserError>,
}

impl kernel::error::Payload for InvitationAcceptPayload {
    type Value = (Invitation, identity::User);
    fn ok((invitation, user): (Invitation, identity::User)) -> Self {
        Self {
            invitation: Some(invitation),
            user: Some(user),
            user_errors: Vec::new(),
        }
    }
    fn user_errors(errors: Vec<kernel::UserError>) -> Self {
        Self {
            invitation: None,
            user: None,
            user_errors: errors,
        }
    }
}

/// Input of `sidebarOptionUpdate`: omitted fields stay as they are.
#[derive(InputObject, Default)]
pub struct SidebarOptionUpdateInput {
    /// The label shown (1 to 60 characters).
    pub label: Option<String>,
    /// The icon's name (1 to 40 characters).
    pub icon: Option<String>,
    /// Whether it is shown.
    pub visible: Option<bool>,
}

/// Input of `membershipUpdate`: omitted parts stay as they are.
#[derive(InputObject, Default)]
pub struct MembershipUpdateInput {
    /// A new role, of the same kind of scope and no higher than your own.
    pub role: Option<kernel::Role>,
    /// Permissions added to the role's defaults (replaces the list); only ones you hold.
    pub grant: Option<Vec<kernel::Permission>>,
    /// Permissions taken from the role's defaults (replaces the list).
    pub withhold: Option<Vec<kernel::Permission>>,
    /// For agency members: reach every sub-account of the agency.
    pub all_sub_accounts_access: Option<bool>,
}

payload!(MembershipPayload, membership: MembershipObject, "The membership.");
payload!(SidebarOptionPayload, sidebar_option: SidebarOption, "The sidebar entry.");
payload!(ResellerPayload, reseller: Reseller, "The reseller.");
payload!(AgencyPayload, agency: Agency, "The agency.");
payload!(SubAccountPayload, sub_account: SubAccount, "The sub-account.");

async fn agency_change(
    ctx: &Context<'_>,
    id: &ID,
    change: Lifecycle,
) -> async_graphql::Result<AgencyPayload> {
    let (tx, rc) = kernel::db::request(ctx)?;
    let id = GlobalId::parse_as(id, NodeKind::Agency)?;
    agency::lifecycle(&**tx, &rc.actor, id, change)
        .await
        .map(Agency)
        .into_payload()
}

async fn reseller_change(
    ctx: &Context<'_>,
    id: &ID,
    change: Lifecycle,
) -> async_graphql::Result<ResellerPayload> {
    let (tx, rc) = kernel::db::request(ctx)?;
    let id = GlobalId::parse_as(id, NodeKind::Reseller)?;
    reseller::lifecycle(&**tx, &rc.actor, id, change)
        .await
        .map(Reseller)
        .into_payload()
}

async fn sub_change(
    ctx: &Context<'_>,
    id: &ID,
    change: Lifecycle,
) -> async_graphql::Result<SubAccountPayload> {
    let (tx, rc) = kernel::db::request(ctx)?;
    let id = GlobalId::parse_as(id, NodeKind::SubAccount)?;
    sub_account::lifecycle(&**tx, &rc.actor, id, change)
        .await
        .map(SubAccount)
        .into_payload()
}

#[Object]
impl TreeMutation {
    /// Changes a member's role, single permissions or sub-account reach (`MEMBERS_MANAGE`;
    /// never your own membership, nor one of someone ranking above you).
    async fn membership_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The membership's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: MembershipUpdateInput,
    ) -> async_graphql::Result<MembershipPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Membership)?;
        membership::update(
            &**tx,
            &rc.actor,
            id,
            membership::MembershipChanges {
                role: input.role,
                granted: input.grant,
                withheld: input.withhold,
                all_sub_accounts: input.all_sub_accounts_access,
            },
        )
        .await
        .map(|(m, u)| MembershipObject(m, u))
        .into_payload()
    }

    /// Removes someone from a scope (`MEMBERS_MANAGE`; not yourself, nor someone ranking above
    /// you).
    async fn membership_remove(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The membership's global id.")] id: ID,
    ) -> async_graphql::Result<MembershipPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Membership)?;
        membership::remove(&**tx, &rc.actor, id)
            .await
            .map(|(m, u)| MembershipObject(m, u))
            .into_payload()
    }

    /// Renames, re-icons, shows or hides a sidebar entry (`SETTINGS_MANAGE` in its agency or
    /// sub-account).
    async fn sidebar_option_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entry's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: SidebarOptionUpdateInput,
    ) -> async_graphql::Result<SidebarOptionPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::SidebarOption)?;
        sidebar::update(&**tx, &rc.actor, id, input.label, input.icon, input.visible)
            .await
            .map(SidebarOption)
            .into_payload()
    }

    /// Moves a sidebar entry right after another entry of the same sidebar, or first.
    async fn sidebar_option_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entry's global id.")] id: ID,
        #[graphql(desc = "The entry to follow; omit to move it first.")] after_id: Option<ID>,
    ) -> async_graphql::Result<SidebarOptionPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::SidebarOption)?;
        let after = after_id
            .map(|a| GlobalId::parse_as(&a, NodeKind::SidebarOption))
            .transpose()?;
        sidebar::move_after(&**tx, &rc.actor, id, after)
            .await
            .map(SidebarOption)
            .into_payload()
    }

    /// Invites a person by email into a scope where you hold `MEMBERS_MANAGE`, with a role no
    /// higher than your own. The code goes by email; a pending invitation of the same person to
    /// the same scope is replaced.
    async fn invitation_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whom to invite, where, as what.")] input: InvitationCreateInput,
    ) -> async_graphql::Result<InvitationPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &input.scope_id).await?;
        invitation::create(&**tx, &rc.actor, scope, &input.email, input.role)
            .await
            .map(Invitation)
            .into_payload()
    }

    /// Accepts an invitation with its emailed code: signed in as the person it was sent to, or
    /// without an account, giving a name and a password to create one.
    async fn invitation_accept(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code, and a name and password for a new account.")]
        input: InvitationAcceptInput,
    ) -> async_graphql::Result<InvitationAcceptPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let identity = ctx
            .data::<std::sync::Arc<identity::Identity>>()
            .map_err(|_| kernel::Error::internal("identity state missing"))?;
        invitation::accept(
            &**tx,
            identity,
            &rc.actor,
            &input.token,
            invitation::NewAccount {
                name: input.name,
                password: input.password,
            },
        )
        .await
        .map(|(i, u)| (Invitation(i), identity::User(u)))
        .into_payload()
    }

    /// Revokes a pending invitation.
    async fn invitation_revoke(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation's global id.")] id: ID,
    ) -> async_graphql::Result<InvitationPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Invitation)?;
        invitation::revoke(&**tx, &rc.actor, id)
            .await
            .map(Invitation)
            .into_payload()
    }

    /// Creates a reseller (platform admins) owned by a registered user.
    async fn reseller_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reseller to create.")] input: ResellerCreateInput,
    ) -> async_graphql::Result<ResellerPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        reseller::create(
            &**tx,
            &rc.actor,
            &input.owner_email,
            ResellerFields {
                name: Some(input.name),
                brand_name: input.brand_name,
                logo_url: input.logo_url,
                primary_color: input.primary_color,
                sender_email: None,
                white_label_domain: input.white_label_domain,
                revenue_share_bps: input.revenue_share_bps,
                agency_price_credits: input.agency_price_credits,
                manager_agency_id: None,
            },
        )
        .await
        .map(Reseller)
        .into_payload()
    }

    /// Changes a reseller: its brand (its staff with `SETTINGS_MANAGE`, or the platform) and
    /// its terms (the platform).
    async fn reseller_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reseller's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: ResellerUpdateInput,
    ) -> async_graphql::Result<ResellerPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Reseller)?;
        reseller::update(
            &**tx,
            &rc.actor,
            id,
            ResellerFields {
                name: input.name,
                brand_name: input.brand_name,
                logo_url: input.logo_url,
                primary_color: input.primary_color,
                sender_email: input.sender_email,
                white_label_domain: input.white_label_domain,
                revenue_share_bps: input.revenue_share_bps,
                agency_price_credits: input.agency_price_credits,
                manager_agency_id: input
                    .manager_agency_id
                    .as_ref()
                    .map(|a| GlobalId::parse_as(a, NodeKind::Agency))
                    .transpose()?,
            },
        )
        .await
        .map(Reseller)
        .into_payload()
    }

    /// Suspends a reseller: it can create no agencies until reactivated (platform admins).
    async fn reseller_suspend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reseller's global id.")] id: ID,
    ) -> async_graphql::Result<ResellerPayload> {
        reseller_change(ctx, &id, Lifecycle::Suspend).await
    }

    /// Reactivates a suspended reseller (platform admins).
    async fn reseller_reactivate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reseller's global id.")] id: ID,
    ) -> async_graphql::Result<ResellerPayload> {
        reseller_change(ctx, &id, Lifecycle::Reactivate).await
    }

    /// Deletes a reseller: hidden at once, restorable for 30 days (platform admins).
    async fn reseller_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reseller's global id.")] id: ID,
    ) -> async_graphql::Result<ResellerPayload> {
        reseller_change(ctx, &id, Lifecycle::Delete).await
    }

    /// Restores a reseller deleted less than 30 days ago (platform admins).
    async fn reseller_restore(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reseller's global id.")] id: ID,
    ) -> async_graphql::Result<ResellerPayload> {
        reseller_change(ctx, &id, Lifecycle::Restore).await
    }

    /// Adds credits to a reseller's wallet (the platform's `BILLING_MANAGE`); a ledger entry
    /// records it.
    async fn reseller_wallet_credit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reseller and the credits.")] input: ResellerWalletCreditInput,
    ) -> async_graphql::Result<ResellerPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&input.reseller_id, NodeKind::Reseller)?;
        reseller::credit(&**tx, &rc.actor, id, input.amount, input.note)
            .await
            .map(Reseller)
            .into_payload()
    }

    /// Creates an agency owned by a registered user: a direct one (platform admins), or one
    /// under a reseller (its staff, paying the reseller's price in credits; `INSUFFICIENT_CREDITS`
    /// when the wallet is short).
    async fn agency_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agency to create.")] input: AgencyCreateInput,
    ) -> async_graphql::Result<AgencyPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        agency::create(
            &**tx,
            &rc.actor,
            NewAgency {
                reseller_id: input
                    .reseller_id
                    .as_ref()
                    .map(|r| GlobalId::parse_as(r, NodeKind::Reseller))
                    .transpose()?,
                name: input.name,
                owner_email: input.owner_email,
                subdomain: input.subdomain,
                custom_domain: input.custom_domain,
                timezone: input.timezone,
                address: input.address,
                logo_url: input.logo_url,
                primary_color: input.primary_color,
                marketplace_enabled: input.marketplace_enabled,
                ai_suite_enabled: input.ai_suite_enabled,
                sub_account_price: input.sub_account_price,
                white_label_price: input.white_label_price,
                currency: input.currency,
            },
        )
        .await
        .map(Agency)
        .into_payload()
    }

    /// Changes an agency: its own admins (`SETTINGS_MANAGE`) change its settings and prices;
    /// platform and reseller staff also its feature flags.
    async fn agency_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agency's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: AgencyUpdateInput,
    ) -> async_graphql::Result<AgencyPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Agency)?;
        agency::update(
            &**tx,
            &rc.actor,
            id,
            AgencyChanges {
                name: input.name,
                subdomain: input.subdomain,
                custom_domain: input.custom_domain,
                timezone: input.timezone,
                address: input.address,
                logo_url: input.logo_url,
                primary_color: input.primary_color,
                sender_email: input.sender_email,
                marketplace_enabled: input.marketplace_enabled,
                ai_suite_enabled: input.ai_suite_enabled,
                sub_account_price: input.sub_account_price,
                white_label_price: input.white_label_price,
                currency: input.currency,
            },
        )
        .await
        .map(Agency)
        .into_payload()
    }

    /// Suspends an agency: its members cannot work in it until it is reactivated.
    async fn agency_suspend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agency's global id.")] id: ID,
    ) -> async_graphql::Result<AgencyPayload> {
        agency_change(ctx, &id, Lifecycle::Suspend).await
    }

    /// Reactivates a suspended agency.
    async fn agency_reactivate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agency's global id.")] id: ID,
    ) -> async_graphql::Result<AgencyPayload> {
        agency_change(ctx, &id, Lifecycle::Reactivate).await
    }

    /// Deletes an agency: hidden at once, restorable for 30 days.
    async fn agency_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agency's global id.")] id: ID,
    ) -> async_graphql::Result<AgencyPayload> {
        agency_change(ctx, &id, Lifecycle::Delete).await
    }

    /// Restores an agency deleted less than 30 days ago.
    async fn agency_restore(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The agency's global id.")] id: ID,
    ) -> async_graphql::Result<AgencyPayload> {
        agency_change(ctx, &id, Lifecycle::Restore).await
    }

    /// Creates a sub-account in an agency (`SUB_ACCOUNTS_MANAGE` there).
    async fn sub_account_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account to create.")] input: SubAccountCreateInput,
    ) -> async_graphql::Result<SubAccountPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let agency_id = GlobalId::parse_as(&input.agency_id, NodeKind::Agency)?;
        sub_account::create(
            &**tx,
            &rc.actor,
            agency_id,
            SubAccountFields {
                name: Some(input.name),
                slug: input.slug,
                email: input.email,
                phone: input.phone,
                timezone: input.timezone,
                logo_url: input.logo_url,
                address: input.address,
            },
        )
        .await
        .map(SubAccount)
        .into_payload()
    }

    /// Changes a sub-account (the agency's `SUB_ACCOUNTS_MANAGE`, or `SETTINGS_MANAGE` in it).
    async fn sub_account_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: SubAccountUpdateInput,
    ) -> async_graphql::Result<SubAccountPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::SubAccount)?;
        sub_account::update(
            &**tx,
            &rc.actor,
            id,
            SubAccountFields {
                name: input.name,
                slug: input.slug,
                email: input.email,
                phone: input.phone,
                timezone: input.timezone,
                logo_url: input.logo_url,
                address: input.address,
            },
        )
        .await
        .map(SubAccount)
        .into_payload()
    }

    /// Suspends a sub-account: its members cannot work in it until it is reactivated.
    async fn sub_account_suspend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] id: ID,
    ) -> async_graphql::Result<SubAccountPayload> {
        sub_change(ctx, &id, Lifecycle::Suspend).await
    }

    /// Reactivates a suspended sub-account.
    async fn sub_account_reactivate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] id: ID,
    ) -> async_graphql::Result<SubAccountPayload> {
        sub_change(ctx, &id, Lifecycle::Reactivate).await
    }

    /// Deletes a sub-account: hidden at once, restorable for 30 days.
    async fn sub_account_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] id: ID,
    ) -> async_graphql::Result<SubAccountPayload> {
        sub_change(ctx, &id, Lifecycle::Delete).await
    }

    /// Restores a sub-account deleted less than 30 days ago.
    async fn sub_account_restore(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] id: ID,
    ) -> async_graphql::Result<SubAccountPayload> {
        sub_change(ctx, &id, Lifecycle::Restore).await
    }
}
