//! The analytics tables: `metric_daily` (here) and the pending `metric_deltas` (owned by
//! `kernel::metric`, which every crate writes through).

pub use kernel::metric::delta;

/// `metric_daily`: one sub-account's metric, split and local day. A tenant data table.
pub mod daily {
    use kernel::metric::Metric;
    use sea_orm::entity::prelude::*;

    /// Folded counts of one day.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "metric_daily")]
    pub struct Model {
        /// The tenant.
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_id: Uuid,
        /// The sub-account.
        #[sea_orm(primary_key, auto_increment = false)]
        pub sub_account_id: Uuid,
        /// Which number.
        #[sea_orm(primary_key, auto_increment = false)]
        pub metric: Metric,
        /// The split (a source, a currency, a platform), or `""` for the day's total.
        #[sea_orm(primary_key, auto_increment = false)]
        pub dimension: String,
        /// The day, in the sub-account's time zone.
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: Date,
        /// How many.
        pub count: i64,
        /// Their sum (a value in minor units, ratings).
        pub total: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
