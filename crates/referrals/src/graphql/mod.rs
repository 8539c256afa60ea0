//! The referrals' GraphQL: codes, the leads who redeemed them, and the mutations that make,
//! change and redeem them.

use crate::entity::{code, redemption};
use crate::service::code::{self as codes, CodePatch, NewCode, ReferralStatus};
use crate::service::redeem;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind, gid};
use kernel::loader::get;
use kernel::payload;

/// A contact's referral code: what it offers, until when, how often it may be and was redeemed,
/// and its public link.
#[derive(Clone)]
pub struct ReferralCode(pub code::Model);

/// A lead who redeemed a referral code.
pub struct ReferredLead(redemption::Model);

/// A lead who redeemed a referral code.
#[Object]
impl ReferredLead {
    /// The lead (null when deleted since, or when you may not see contacts).
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<crm::Contact>> {
        contact(
            ctx,
            self.0.agency_id,
            self.0.sub_account_id,
            self.0.contact_id,
        )
        .await
    }
    /// When they redeemed it.
    async fn redeemed_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

async fn contact(
    ctx: &Context<'_>,
    agency_id: uuid::Uuid,
    sub_account_id: uuid::Uuid,
    id: uuid::Uuid,
) -> async_graphql::Result<Option<crm::Contact>> {
    let (_, rc) = kernel::db::request(ctx)?;
    let scope = kernel::Scope::SubAccount {
        agency_id,
        id: sub_account_id,
    };
    if !rc.actor.can(kernel::Permission::ContactsRead, scope) {
        return Ok(None);
    }
    Ok(get::<crm::ContactLoader>(ctx)?
        .load_one(id)
        .await?
        .flatten()
        .map(crm::Contact))
}

/// A contact's referral code: what it offers, until when, how often it may be and was redeemed,
/// and its public link.
#[Object]
impl ReferralCode {
    /// The code's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::ReferralCode, self.0.id)
    }
    /// The code people type (upper-case letters, digits and dashes).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The referrer (null when deleted since).
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<crm::Contact>> {
        contact(
            ctx,
            self.0.agency_id,
            self.0.sub_account_id,
            self.0.contact_id,
        )
        .await
    }
    /// What the referrer and the lead get.
    async fn offer_details(&self) -> Option<&str> {
        self.0.offer_details.as_deref()
    }
    /// When it stops working (null: never).
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// How often it may be redeemed (null: without limit).
    async fn max_uses(&self) -> Option<i32> {
        self.0.max_uses
    }
    /// How often it was redeemed.
    async fn times_used(&self) -> i32 {
        self.0.times_used
    }
    /// Active, used (as often as it may be) or expired, now.
    async fn status(&self) -> ReferralStatus {
        codes::status(&self.0, Utc::now())
    }
    /// The path of its public link on the API's origin (`/refer/<token>`: `GET` the offer,
    /// `POST` a lead's details to redeem it), for a page on the sub-account's embed domains.
    async fn link_path(&self) -> String {
        format!("/refer/{}", self.0.token)
    }
    /// The leads who redeemed it, newest first (the first 500).
    async fn referred_leads(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ReferredLead>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(redeem::leads(&**tx, &self.0)
            .await?
            .into_iter()
            .map(ReferredLead)
            .collect())
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (or was redeemed).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Referral queries.
#[derive(Default)]
pub struct ReferralsQuery;

#[Object]
impl ReferralsQuery {
    /// The referral codes of a sub-account (only a contact's when given), newest first (the
    /// first 500). Needs `CONTACTS_READ` there.
    async fn referral_codes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Only this referrer's codes.")] contact_id: Option<ID>,
    ) -> async_graphql::Result<Vec<ReferralCode>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let contact = contact_id
            .map(|c| GlobalId::parse_as(&c, NodeKind::Contact))
            .transpose()?;
        Ok(codes::list(&**tx, &rc.actor, sub, contact)
            .await?
            .into_iter()
            .map(ReferralCode)
            .collect())
    }
}

payload!(ReferralCodePayload, referral_code: ReferralCode, "The referral code.");

/// Input of `referralCodeCreate`.
#[derive(InputObject)]
pub struct ReferralCodeCreateInput {
    /// The referrer (a contact).
    pub contact_id: ID,
    /// The code (4 to 32 letters, digits or dashes, unique in the sub-account; absent: eight
    /// are drawn).
    pub code: Option<String>,
    /// What the referrer and the lead get (at most 2,000 characters).
    pub offer_details: Option<String>,
    /// When it stops working (absent: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// How often it may be redeemed, 1 to 1,000,000 (absent: without limit).
    pub max_uses: Option<i32>,
}

/// Input of `referralCodeUpdate` (absent fields stay as they are; null clears).
#[derive(InputObject)]
pub struct ReferralCodeUpdateInput {
    /// What the referrer and the lead get.
    pub offer_details: MaybeUndefined<String>,
    /// When it stops working (null: never).
    pub expires_at: MaybeUndefined<DateTime<Utc>>,
    /// How often it may be redeemed, not below its uses so far (null: without limit).
    pub max_uses: MaybeUndefined<i32>,
}

fn patch<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// Referral mutations.
#[derive(Default)]
pub struct ReferralsMutation;

#[Object]
impl ReferralsMutation {
    /// Makes a referral code for a contact (`CONTACTS_WRITE`; at most 20 a contact). A code
    /// another of the sub-account has is `TAKEN`.
    async fn referral_code_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code.")] input: ReferralCodeCreateInput,
    ) -> async_graphql::Result<ReferralCodePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let contact = GlobalId::parse_as(&input.contact_id, NodeKind::Contact)?;
        let new = NewCode {
            code: input.code,
            offer_details: input.offer_details,
            expires_at: input.expires_at,
            max_uses: input.max_uses,
        };
        codes::create(&**tx, &rc.actor, contact, new)
            .await
            .map(ReferralCode)
            .into_payload()
    }

    /// Changes a code's offer, expiry or most uses (`CONTACTS_WRITE`).
    async fn referral_code_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code's global id.")] id: ID,
        #[graphql(desc = "What changes.")] input: ReferralCodeUpdateInput,
    ) -> async_graphql::Result<ReferralCodePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::ReferralCode)?;
        let p = CodePatch {
            offer_details: patch(input.offer_details),
            expires_at: patch(input.expires_at),
            max_uses: patch(input.max_uses),
        };
        codes::update(&**tx, &rc.actor, id, p)
            .await
            .map(ReferralCode)
            .into_payload()
    }

    /// Redeems a referral code of a contact's sub-account for that contact, a lead the referrer
    /// brought (`CONTACTS_WRITE`). However many redeem at once, a code is never redeemed past its
    /// most uses: past it the answer is `USED_UP`; past its expiry, `EXPIRED`; a lead redeems a
    /// code once (`ALREADY_DONE`), and the referrer not at all (`NOT_ALLOWED`).
    async fn referral_redeem(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The lead (a contact).")] contact_id: ID,
        #[graphql(desc = "The code as typed (letters in either case).")] code: String,
    ) -> async_graphql::Result<ReferralCodePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let contact = GlobalId::parse_as(&contact_id, NodeKind::Contact)?;
        redeem::redeem(&**tx, &rc.actor, contact, &code)
            .await
            .map(|(c, _)| ReferralCode(c))
            .into_payload()
    }
}
