//! `reviews`: a review asked of a contact or recorded (seed 004), with its reply. A tenant data
//! table keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// Where a review is (or is asked for).
    pub enum ReviewPlatform: "String(StringLen::N(16))" {
        /// Google (a Business Profile).
        Google = "google",
        /// Facebook.
        Facebook = "facebook",
        /// Yelp.
        Yelp = "yelp",
        /// Trustpilot.
        Trustpilot = "trustpilot",
        /// Anywhere else.
        Other = "other",
    }
}

kernel::stored_enum! {
    /// Where a review stands (seed 004).
    pub enum ReviewStatus: "String(StringLen::N(12))" {
        /// Asked for, not written yet.
        Requested = "requested",
        /// Written: its rating is known.
        Completed = "completed",
        /// Checked on the platform.
        Verified = "verified",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    /// The reviewer (NULL: a review from someone not in the CRM).
    pub contact_id: Option<Uuid>,
    pub platform: ReviewPlatform,
    pub status: ReviewStatus,
    /// 1 to 5, once completed.
    pub rating: Option<i32>,
    pub content: Option<String>,
    pub review_url: Option<String>,
    pub request_message: Option<String>,
    pub request_sent_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
