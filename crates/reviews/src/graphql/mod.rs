//! The reviews' GraphQL: reviews, their stats, and the mutations that ask for, record, verify
//! and reply to them.

use crate::entity::review::{self, ReviewPlatform, ReviewStatus};
use crate::service::{self, Granularity, NewRequest, NewReview};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind, gid};
use kernel::loader::get;
use kernel::payload;

/// A review asked of a contact, or recorded (seed 004), and the business's reply.
#[derive(Clone)]
pub struct Review(pub review::Model);

/// A review asked of a contact, or recorded (seed 004), and the business's reply.
#[Object]
impl Review {
    /// The review's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Review, self.0.id)
    }
    /// Where it is (or is asked for).
    async fn platform(&self) -> ReviewPlatform {
        self.0.platform
    }
    /// Requested, completed or verified.
    async fn status(&self) -> ReviewStatus {
        self.0.status
    }
    /// Its rating, 1 to 5 (null while requested).
    async fn rating(&self) -> Option<i32> {
        self.0.rating
    }
    /// Its text.
    async fn content(&self) -> Option<&str> {
        self.0.content.as_deref()
    }
    /// Its address on the platform (while requested: the page the contact was sent to).
    async fn review_url(&self) -> Option<&str> {
        self.0.review_url.as_deref()
    }
    /// The message that asked for it.
    async fn request_message(&self) -> Option<&str> {
        self.0.request_message.as_deref()
    }
    /// When it was asked for.
    async fn request_sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.request_sent_at
    }
    /// When it was recorded.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// The business's reply.
    async fn reply(&self) -> Option<&str> {
        self.0.reply.as_deref()
    }
    /// When it was replied to.
    async fn replied_at(&self) -> Option<DateTime<Utc>> {
        self.0.replied_at
    }
    /// The reviewer (null for someone not in the CRM, a deleted contact, or when you may not
    /// see contacts).
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<crm::Contact>> {
        let Some(id) = self.0.contact_id else {
            return Ok(None);
        };
        Ok(get::<crm::ContactLoader>(ctx)?
            .load_one(id)
            .await?
            .flatten()
            .map(crm::Contact))
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One platform's reviews in one period.
#[derive(SimpleObject)]
pub struct ReviewStat {
    /// The platform.
    pub platform: ReviewPlatform,
    /// The period's first day (UTC).
    pub period: NaiveDate,
    /// How many reviews were recorded in it.
    pub count: i64,
    /// Their average rating (1 to 5).
    pub average_rating: f64,
}

/// Review queries.
#[derive(Default)]
pub struct ReviewsQuery;

#[Object]
impl ReviewsQuery {
    /// A sub-account's reviews, newest first (the first 500), of one platform or status when
    /// given. Needs `CONTACTS_READ` there.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Only this platform's.")] platform: Option<ReviewPlatform>,
        #[graphql(desc = "Only those with this status.")] status: Option<ReviewStatus>,
    ) -> async_graphql::Result<Vec<Review>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(service::list(&**tx, &rc.actor, sub, platform, status)
            .await?
            .into_iter()
            .map(Review)
            .collect())
    }

    /// The count and average rating of a sub-account's recorded reviews per platform and
    /// period (day, week from Monday, or month, in UTC), from `from` until before `to` (at most
    /// 731 days). Needs `CONTACTS_READ` there.
    async fn review_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "The first instant counted.")] from: DateTime<Utc>,
        #[graphql(desc = "The instant to stop before.")] to: DateTime<Utc>,
        #[graphql(desc = "How to group time.")] granularity: Granularity,
    ) -> async_graphql::Result<Vec<ReviewStat>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(service::stats(&**tx, &rc.actor, sub, from, to, granularity)
            .await?
            .into_iter()
            .map(|s| ReviewStat {
                platform: s.platform,
                period: s.period,
                count: s.count,
                average_rating: s.average_rating,
            })
            .collect())
    }
}

payload!(ReviewPayload, review: Review, "The review.");

/// Input of `reviewRequest`. It has no rating, score or sentiment, by design: a request may
/// not depend on how happy the customer is (no review gating).
#[derive(InputObject)]
pub struct ReviewRequestInput {
    /// Whom to ask (a contact with an email address that accepts email).
    pub contact_id: ID,
    /// Where to review.
    pub platform: ReviewPlatform,
    /// The page to write the review on (an http(s) address).
    pub review_url: String,
    /// The message (1 to 2,000 characters; the link goes below it).
    pub message: String,
}

/// Input of `reviewRecord`.
#[derive(InputObject)]
pub struct ReviewRecordInput {
    /// The sub-account.
    pub sub_account_id: ID,
    /// The reviewer, when a contact of the sub-account.
    pub contact_id: Option<ID>,
    /// Where it was written.
    pub platform: ReviewPlatform,
    /// Its rating, 1 to 5.
    pub rating: i32,
    /// Its text (at most 10,000 characters).
    pub content: Option<String>,
    /// Its address on the platform.
    pub review_url: Option<String>,
}

/// Input of `reviewComplete`.
#[derive(InputObject)]
pub struct ReviewCompleteInput {
    /// Its rating, 1 to 5.
    pub rating: i32,
    /// Its text (at most 10,000 characters).
    pub content: Option<String>,
    /// Its address on the platform (absent: the requested page's stays).
    pub review_url: Option<String>,
}

fn opt(id: Option<&ID>, kind: NodeKind) -> Result<Option<uuid::Uuid>, kernel::Error> {
    id.map(|i| GlobalId::parse_as(i, kind)).transpose()
}

/// Review mutations.
#[derive(Default)]
pub struct ReviewsMutation;

#[Object]
impl ReviewsMutation {
    /// Asks a contact for a review on a platform, by email (`CONTACTS_WRITE`). There is no
    /// review gating: a request takes no rating, score or sentiment and reads none, so a
    /// business cannot ask only its happy customers (Google's policy and the FTC's rule forbid
    /// it). A contact without an address, or who does not accept email, is `NOT_ALLOWED`.
    async fn review_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whom to ask, where, and how.")] input: ReviewRequestInput,
    ) -> async_graphql::Result<ReviewPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let r = NewRequest {
            contact_id: GlobalId::parse_as(&input.contact_id, NodeKind::Contact)?,
            platform: input.platform,
            review_url: input.review_url,
            message: input.message,
        };
        service::request(&**tx, &rc.actor, r)
            .await
            .map(Review)
            .into_payload()
    }

    /// Records a review that came in unasked, or that no request names (`CONTACTS_WRITE`).
    async fn review_record(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] input: ReviewRecordInput,
    ) -> async_graphql::Result<ReviewPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let n = NewReview {
            request_id: None,
            sub_account_id: Some(GlobalId::parse_as(
                &input.sub_account_id,
                NodeKind::SubAccount,
            )?),
            contact_id: opt(input.contact_id.as_ref(), NodeKind::Contact)?,
            platform: Some(input.platform),
            rating: input.rating,
            content: input.content,
            review_url: input.review_url,
        };
        service::record(&**tx, &rc.actor, n)
            .await
            .map(Review)
            .into_payload()
    }

    /// Records the review a request asked for, once the contact wrote it (`CONTACTS_WRITE`;
    /// `ALREADY_DONE` when it is recorded already).
    async fn review_complete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The requested review's global id.")] id: ID,
        #[graphql(desc = "The review as written.")] input: ReviewCompleteInput,
    ) -> async_graphql::Result<ReviewPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let n = NewReview {
            request_id: Some(GlobalId::parse_as(&id, NodeKind::Review)?),
            sub_account_id: None,
            contact_id: None,
            platform: None,
            rating: input.rating,
            content: input.content,
            review_url: input.review_url,
        };
        service::record(&**tx, &rc.actor, n)
            .await
            .map(Review)
            .into_payload()
    }

    /// Marks a recorded review verified: seen on its platform (`CONTACTS_WRITE`).
    async fn review_verify(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review's global id.")] id: ID,
    ) -> async_graphql::Result<ReviewPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        service::verify(&**tx, &rc.actor, GlobalId::parse_as(&id, NodeKind::Review)?)
            .await
            .map(Review)
            .into_payload()
    }

    /// Replies to a recorded review, or changes the reply (`CONTACTS_WRITE`).
    async fn review_reply(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review's global id.")] id: ID,
        #[graphql(desc = "The reply (1 to 5,000 characters).")] reply: String,
    ) -> async_graphql::Result<ReviewPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        service::reply(
            &**tx,
            &rc.actor,
            GlobalId::parse_as(&id, NodeKind::Review)?,
            &reply,
        )
        .await
        .map(Review)
        .into_payload()
    }
}
