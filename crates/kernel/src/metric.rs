//! Metric changes (seed 004's analytics): a change that moves a number a sub-account reports on
//! (a contact created, a ticket won, a review received) appends one row to `metric_deltas` in
//! its own transaction, so a rolled-back change counts nothing and a committed one is never
//! missed. The `analytics` crate folds the deltas into daily rows and answers the queries.
//!
//! Appending never updates a shared row: changes in one sub-account never wait on each other or
//! deadlock for their metrics, however many metrics one transaction moves.

use crate::error::Error;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

crate::stored_enum! {
    /// A number a sub-account reports on, counted per day in the sub-account's time zone. A
    /// metric follows its records' changes while they live (a ticket reopened is no longer
    /// won); deleting a record does not rewrite the days it was counted in.
    pub enum Metric: "String(StringLen::N(32))" {
        /// Contacts created, by the day they were created, split by source (`MANUAL`, `FORM`,
        /// `IMPORT`, `BOOKING`, `REFERRAL`…). Deleted and merged contacts stay counted.
        ContactsCreated = "contacts_created",
        /// Tickets created, by the day they were created.
        TicketsCreated = "tickets_created",
        /// Tickets won, by the day they were won, split by the pipeline's currency; the sum is
        /// their value in minor units. A ticket reopened or lost again leaves its day.
        TicketsWon = "tickets_won",
        /// Tickets lost, by the day they were lost, split and summed as tickets won.
        TicketsLost = "tickets_lost",
        /// Appointments booked, by the day they were booked (however they end).
        AppointmentsBooked = "appointments_booked",
        /// Appointments kept (completed), by the day they started.
        AppointmentsKept = "appointments_kept",
        /// Appointments the contact did not come to, by the day they were to start.
        AppointmentsNoShow = "appointments_no_show",
        /// Appointments cancelled, by the day they were to start.
        AppointmentsCancelled = "appointments_cancelled",
        /// Reviews received (completed, with a rating), by the day they were completed, split by
        /// platform; the sum is their ratings, so the average is the sum over the count.
        ReviewsReceived = "reviews_received",
        /// Referral codes redeemed by leads, by the day they were redeemed.
        ReferralsRedeemed = "referrals_redeemed",
        /// Form submissions, by the day they arrived.
        FormsSubmitted = "forms_submitted",
    }
}

impl Metric {
    /// Whether the metric is split (by a contact's source, a currency, a review platform).
    pub const fn splits(self) -> bool {
        matches!(
            self,
            Metric::ContactsCreated
                | Metric::TicketsWon
                | Metric::TicketsLost
                | Metric::ReviewsReceived
        )
    }

    /// Whether the metric sums something (a value, ratings) besides counting.
    pub const fn sums(self) -> bool {
        matches!(
            self,
            Metric::TicketsWon | Metric::TicketsLost | Metric::ReviewsReceived
        )
    }

    /// Every metric.
    pub const ALL: [Metric; 11] = [
        Metric::ContactsCreated,
        Metric::TicketsCreated,
        Metric::TicketsWon,
        Metric::TicketsLost,
        Metric::AppointmentsBooked,
        Metric::AppointmentsKept,
        Metric::AppointmentsNoShow,
        Metric::AppointmentsCancelled,
        Metric::ReviewsReceived,
        Metric::ReferralsRedeemed,
        Metric::FormsSubmitted,
    ];
}

/// How a series groups days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum Granularity {
    /// Days.
    Day,
    /// Weeks starting on Monday.
    Week,
    /// Calendar months.
    Month,
}

/// The first day of the period `d` falls in.
pub fn period_of(d: NaiveDate, g: Granularity) -> NaiveDate {
    match g {
        Granularity::Day => d,
        Granularity::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
        Granularity::Month => d.with_day(1).unwrap_or(d),
    }
}

/// The `metric_deltas` table: changes not yet folded into daily rows.
pub mod delta {
    use super::Metric;
    use sea_orm::entity::prelude::*;

    /// One change to a metric.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "metric_deltas")]
    pub struct Model {
        /// The tenant.
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_id: Uuid,
        /// UUIDv7: deltas fold oldest first.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The sub-account whose number moves.
        pub sub_account_id: Uuid,
        /// Which number.
        pub metric: Metric,
        /// The split (a source, a currency, a platform), or `""`.
        pub dimension: String,
        /// When it counts: its day is this instant's date in the sub-account's zone.
        pub at: DateTimeUtc,
        /// Change to the count.
        pub count: i64,
        /// Change to the sum (a value in minor units, a rating).
        pub total: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One change to a sub-account's metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Which number.
    pub metric: Metric,
    /// The split, or `""`.
    pub dimension: String,
    /// When it counts.
    pub at: DateTime<Utc>,
    /// Change to the count.
    pub count: i64,
    /// Change to the sum.
    pub total: i64,
}

impl Change {
    /// One more of `metric` at `at`.
    pub fn one(metric: Metric, at: DateTime<Utc>) -> Self {
        Self {
            metric,
            dimension: String::new(),
            at,
            count: 1,
            total: 0,
        }
    }

    /// The same change split by `dimension`.
    pub fn by(mut self, dimension: impl Into<String>) -> Self {
        self.dimension = dimension.into();
        self
    }

    /// The same change adding `total` to the sum.
    pub fn adding(mut self, total: i64) -> Self {
        self.total = total;
        self
    }

    /// The change that undoes this one.
    pub fn undone(mut self) -> Self {
        self.count = -self.count;
        self.total = -self.total;
        self
    }
}

/// Most deltas one statement of [`count`] writes.
const BATCH: usize = 500;

/// Records `changes` to the metrics of a sub-account of `agency_id`, on `db` (the transaction
/// of the change they describe).
pub async fn count(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    changes: impl IntoIterator<Item = Change>,
) -> Result<(), Error> {
    let mut rows: Vec<delta::ActiveModel> = changes
        .into_iter()
        .filter(|c| c.count != 0 || c.total != 0)
        .map(|c| delta::ActiveModel {
            agency_id: Set(agency_id),
            id: Set(crate::id::new_uuid()),
            sub_account_id: Set(sub_account_id),
            metric: Set(c.metric),
            dimension: Set(c.dimension),
            at: Set(c.at),
            count: Set(c.count),
            total: Set(c.total),
        })
        .collect();
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(BATCH));
        delta::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
        rows = rest;
    }
    Ok(())
}

/// Records one change (see [`count`]).
pub async fn count_one(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    change: Change,
) -> Result<(), Error> {
    count(db, agency_id, sub_account_id, [change]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_their_first_day() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 18).unwrap(); // a Thursday
        assert_eq!(period_of(d, Granularity::Day), d);
        assert_eq!(
            period_of(d, Granularity::Week),
            NaiveDate::from_ymd_opt(2027, 3, 15).unwrap()
        );
        assert_eq!(
            period_of(d, Granularity::Month),
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
        );
    }

    #[test]
    fn an_undone_change_cancels_it() {
        let c = Change::one(Metric::TicketsWon, Utc::now()).adding(1_500);
        let u = c.clone().undone();
        assert_eq!((c.count + u.count, c.total + u.total), (0, 0));
    }
}
