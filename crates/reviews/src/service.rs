//! The reviews' services: asking a contact for a review, recording one, verifying it, replying,
//! listing, and the stats. Every entry point takes access through `tenancy::guard`
//! (`CONTACTS_READ` to see, `CONTACTS_WRITE` to change).

use crate::entity::review::{self, ReviewPlatform, ReviewStatus};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use crm::entity::contact;
use jobs::Owner;
use kernel::auth::{Actor, Scope};
use kernel::error::{Error, UserError, UserErrorCode, fail_if};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use std::collections::BTreeMap;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Most reviews one list returns.
pub const MAX_LIST: u64 = 500;
/// Most reviews the stats count in one answer (a bound on the read until the analytics roll-ups
/// replace it).
pub const MAX_STATS_ROWS: u64 = 200_000;
/// The longest period the stats cover.
pub const MAX_STATS_DAYS: i64 = 731;

/// A review request. There is no field for a rating, a score or a sentiment, and none is read:
/// requests cannot be gated on how happy a customer is.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// Whom to ask.
    pub contact_id: Uuid,
    /// Where to review.
    pub platform: ReviewPlatform,
    /// The page to write the review on (an http(s) address).
    pub review_url: String,
    /// The message (the link is added below it).
    pub message: String,
}

/// A review to record (one that came in, asked for or not).
#[derive(Debug, Clone)]
pub struct NewReview {
    /// The requested review it completes (its platform and contact carry over).
    pub request_id: Option<Uuid>,
    /// The sub-account (when not completing a request).
    pub sub_account_id: Option<Uuid>,
    /// The reviewer, when a contact.
    pub contact_id: Option<Uuid>,
    /// Where (when not completing a request).
    pub platform: Option<ReviewPlatform>,
    /// 1 to 5.
    pub rating: i32,
    /// Its text.
    pub content: Option<String>,
    /// Its address on the platform.
    pub review_url: Option<String>,
}

fn check_url(errors: &mut Vec<UserError>, field: &str, url: &str) -> String {
    let u = url.trim();
    if !(u.starts_with("https://") || u.starts_with("http://"))
        || u.len() > 2_000
        || u.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            "an http(s) address",
        ));
    }
    u.to_owned()
}

fn check_text(errors: &mut Vec<UserError>, field: &str, text: &str, max: usize) -> String {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            format!("1 to {max} characters"),
        ));
    }
    t.to_owned()
}

/// A review the actor may change, read again under its lock: changes of one review queue
/// behind each other (PostgreSQL; SQLite serialises writers), so two completions never both win.
async fn locked(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<review::Model, Error> {
    let r = guard::load::<review::Entity>(db, actor, id, Access::Write).await?;
    kernel::db::lock(db, &format!("review:{}", r.id)).await?;
    review::Entity::find_by_id((r.agency_id, r.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// A review the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<review::Model, Error> {
    guard::load::<review::Entity>(db, actor, id, Access::Read).await
}

/// Asks a contact for a review (`CONTACTS_WRITE`): the request is recorded (`REQUESTED`) and an
/// email with the message and the link goes to the contact, when they have an address and
/// accept email (`NOT_ALLOWED` otherwise: nothing is recorded).
pub async fn request(
    db: &impl ConnectionTrait,
    actor: &Actor,
    r: NewRequest,
) -> Result<review::Model, Error> {
    let c = guard::load_where::<contact::Entity>(db, actor, r.contact_id, Access::Write, |c| {
        c.deleted_at.is_none()
    })
    .await?;
    let mut errors = Vec::new();
    let url = check_url(&mut errors, "input.reviewUrl", &r.review_url);
    let message = check_text(&mut errors, "input.message", &r.message, 2_000);
    fail_if(errors)?;
    let Some(to) = c.email.clone().filter(|_| !c.dnd_email) else {
        return Err(Error::user(
            "input.contactId",
            UserErrorCode::NotAllowed,
            "the contact has no email address, or does not accept email",
        ));
    };
    let now = Utc::now();
    let row = review::ActiveModel {
        agency_id: Set(c.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(c.sub_account_id),
        contact_id: Set(Some(c.id)),
        platform: Set(r.platform),
        status: Set(ReviewStatus::Requested),
        rating: Set(None),
        content: Set(None),
        review_url: Set(Some(url.clone())),
        request_message: Set(Some(message.clone())),
        request_sent_at: Set(Some(now)),
        completed_at: Set(None),
        reply: Set(None),
        replied_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let scope = Scope::SubAccount {
        agency_id: c.agency_id,
        id: c.sub_account_id,
    };
    mail::queue(
        db,
        mail::Email {
            owner: Owner::of(scope),
            to,
            subject: "Would you review us?".into(),
            body: format!("{message}\n\n{url}\n"),
            from: tenancy::service::branding::sender_for(db, scope).await?,
            redact: Vec::new(),
            attachments: Vec::new(),
        },
    )
    .await?;
    guard::record(
        db,
        actor,
        &row,
        EventType::ReviewRequested,
        json!({ "contactId": c.id.to_string() }),
    )
    .await?;
    Ok(row)
}

/// Records a review that came in (`CONTACTS_WRITE`): completing a requested one, or a new one
/// (`COMPLETED`), with a rating from 1 to 5.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    n: NewReview,
) -> Result<review::Model, Error> {
    let mut errors = Vec::new();
    if !(1..=5).contains(&n.rating) {
        errors.push(UserError::new(
            "input.rating",
            UserErrorCode::Invalid,
            "1 to 5",
        ));
    }
    let content = n
        .content
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| check_text(&mut errors, "input.content", c, 10_000));
    let url = n
        .review_url
        .as_deref()
        .map(|u| check_url(&mut errors, "input.reviewUrl", u));
    let now = Utc::now();
    if let Some(id) = n.request_id {
        let r = locked(db, actor, id).await?;
        if r.status != ReviewStatus::Requested {
            errors.push(UserError::new(
                "id",
                UserErrorCode::AlreadyDone,
                "this review is recorded already",
            ));
        }
        fail_if(errors)?;
        let mut m: review::ActiveModel = r.into();
        m.status = Set(ReviewStatus::Completed);
        m.rating = Set(Some(n.rating));
        m.content = Set(content);
        if url.is_some() {
            m.review_url = Set(url);
        }
        m.completed_at = Set(Some(now));
        m.updated_at = Set(now);
        let r = m.update(db).await?;
        guard::record(
            db,
            actor,
            &r,
            EventType::ReviewCompleted,
            json!({ "rating": n.rating }),
        )
        .await?;
        received(db, &r).await?;
        return Ok(r);
    }
    let Some(sub) = n.sub_account_id else {
        return Err(Error::user(
            "input.subAccountId",
            UserErrorCode::Invalid,
            "name the sub-account, or the request it completes",
        ));
    };
    let at = guard::enter::<review::Entity>(db, actor, sub, Access::Write).await?;
    if let Some(c) = n.contact_id
        && !crm::service::contact::live_in(db, at, c).await?
    {
        return Err(Error::NotFound);
    }
    if n.platform.is_none() {
        errors.push(UserError::new(
            "input.platform",
            UserErrorCode::Invalid,
            "say where it was written",
        ));
    }
    fail_if(errors)?;
    let r = review::ActiveModel {
        agency_id: Set(at.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(at.sub_account_id),
        contact_id: Set(n.contact_id),
        platform: Set(n.platform.unwrap_or(ReviewPlatform::Other)),
        status: Set(ReviewStatus::Completed),
        rating: Set(Some(n.rating)),
        content: Set(content),
        review_url: Set(url),
        request_message: Set(None),
        request_sent_at: Set(None),
        completed_at: Set(Some(now)),
        reply: Set(None),
        replied_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    guard::record(
        db,
        actor,
        &r,
        EventType::ReviewCompleted,
        json!({ "rating": n.rating }),
    )
    .await?;
    received(db, &r).await?;
    Ok(r)
}

/// Counts a review received in its sub-account's metrics: per platform, its rating in the sum.
async fn received(db: &impl ConnectionTrait, r: &review::Model) -> Result<(), Error> {
    use kernel::metric::{Change, Metric};
    let change = Change::one(
        Metric::ReviewsReceived,
        r.completed_at.unwrap_or(r.updated_at),
    )
    .by(platform_key(r.platform))
    .adding(i64::from(r.rating.unwrap_or(0)));
    kernel::metric::count_one(db, r.agency_id, r.sub_account_id, change).await
}

/// Marks a completed review verified (seen on the platform) (`CONTACTS_WRITE`).
pub async fn verify(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<review::Model, Error> {
    let r = locked(db, actor, id).await?;
    match r.status {
        ReviewStatus::Requested => {
            return Err(Error::user(
                "id",
                UserErrorCode::NotAllowed,
                "record the review first",
            ));
        }
        ReviewStatus::Verified => {
            return Err(Error::user(
                "id",
                UserErrorCode::AlreadyDone,
                "it is verified already",
            ));
        }
        ReviewStatus::Completed => {}
    }
    let mut m: review::ActiveModel = r.into();
    m.status = Set(ReviewStatus::Verified);
    m.updated_at = Set(Utc::now());
    let r = m.update(db).await?;
    guard::record(db, actor, &r, EventType::ReviewVerified, json!({})).await?;
    Ok(r)
}

/// Replies to a recorded review (or changes the reply) (`CONTACTS_WRITE`).
pub async fn reply(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    text: &str,
) -> Result<review::Model, Error> {
    let r = locked(db, actor, id).await?;
    let mut errors = Vec::new();
    let text = check_text(&mut errors, "reply", text, 5_000);
    if r.status == ReviewStatus::Requested {
        errors.push(UserError::new(
            "id",
            UserErrorCode::NotAllowed,
            "there is no review to reply to yet",
        ));
    }
    fail_if(errors)?;
    let now = Utc::now();
    let mut m: review::ActiveModel = r.into();
    m.reply = Set(Some(text));
    m.replied_at = Set(Some(now));
    m.updated_at = Set(now);
    let r = m.update(db).await?;
    guard::record(db, actor, &r, EventType::ReviewReplied, json!({})).await?;
    Ok(r)
}

/// A sub-account's reviews, newest first (the first [`MAX_LIST`]), of one platform or status
/// when given.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    platform: Option<ReviewPlatform>,
    status: Option<ReviewStatus>,
) -> Result<Vec<review::Model>, Error> {
    let at = guard::enter::<review::Entity>(db, actor, sub_account_id, Access::Read).await?;
    let mut q = review::Entity::find()
        .filter(review::Column::AgencyId.eq(at.agency_id))
        .filter(review::Column::SubAccountId.eq(at.sub_account_id));
    if let Some(p) = platform {
        q = q.filter(review::Column::Platform.eq(p));
    }
    if let Some(s) = status {
        q = q.filter(review::Column::Status.eq(s));
    }
    Ok(q.order_by_desc(review::Column::Id)
        .limit(MAX_LIST)
        .all(db)
        .await?)
}

pub use kernel::metric::{Granularity, period_of};

/// One platform's reviews in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Stat {
    /// The platform.
    pub platform: ReviewPlatform,
    /// The period's first day.
    pub period: NaiveDate,
    /// How many reviews were completed in it.
    pub count: i64,
    /// Their average rating.
    pub average_rating: f64,
}

/// The count and average rating of a sub-account's completed (and verified) reviews per
/// platform and period, from `from` until before `to` (at most [`MAX_STATS_DAYS`]), by period
/// and platform; at most [`MAX_STATS_ROWS`] reviews are counted.
pub async fn stats(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    granularity: Granularity,
) -> Result<Vec<Stat>, Error> {
    let at = guard::enter::<review::Entity>(db, actor, sub_account_id, Access::Read).await?;
    if to <= from || to - from > Duration::days(MAX_STATS_DAYS) {
        return Err(Error::user(
            "to",
            UserErrorCode::Invalid,
            format!("after from, and at most {MAX_STATS_DAYS} days on"),
        ));
    }
    let rows: Vec<(ReviewPlatform, Option<i32>, Option<DateTime<Utc>>)> = review::Entity::find()
        .select_only()
        .column(review::Column::Platform)
        .column(review::Column::Rating)
        .column(review::Column::CompletedAt)
        .filter(review::Column::AgencyId.eq(at.agency_id))
        .filter(review::Column::SubAccountId.eq(at.sub_account_id))
        .filter(review::Column::CompletedAt.gte(from))
        .filter(review::Column::CompletedAt.lt(to))
        .limit(MAX_STATS_ROWS)
        .into_tuple()
        .all(db)
        .await?;
    let mut sums: BTreeMap<(NaiveDate, &'static str), (ReviewPlatform, i64, i64)> = BTreeMap::new();
    for (platform, rating, at) in rows {
        let (Some(rating), Some(at)) = (rating, at) else {
            continue;
        };
        let key = (
            period_of(at.date_naive(), granularity),
            platform_key(platform),
        );
        let e = sums.entry(key).or_insert((platform, 0, 0));
        e.1 += 1;
        e.2 += i64::from(rating);
    }
    Ok(sums
        .into_iter()
        .map(|((period, _), (platform, count, total))| Stat {
            platform,
            period,
            count,
            average_rating: total as f64 / count as f64,
        })
        .collect())
}

fn platform_key(p: ReviewPlatform) -> &'static str {
    match p {
        ReviewPlatform::Google => "google",
        ReviewPlatform::Facebook => "facebook",
        ReviewPlatform::Yelp => "yelp",
        ReviewPlatform::Trustpilot => "trustpilot",
        ReviewPlatform::Other => "other",
    }
}
