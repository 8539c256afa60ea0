//! The runtime's tables: `jobs` and `job_schedules`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// Where a job stands.
    pub enum JobStatus: "String(StringLen::N(12))" {
        /// Waiting for its time (a delayed job, or a failed one waiting for its retry).
        Scheduled = "scheduled",
        /// Due, waiting for a worker.
        Available = "available",
        /// Held by a worker under a lease.
        Running = "running",
        /// Done.
        Succeeded = "succeeded",
        /// Failed for good: out of attempts, or failed permanently. It can be retried.
        Dead = "dead",
        /// Cancelled before it ran.
        Cancelled = "cancelled",
    }
}

/// `jobs`.
pub mod job {
    use super::JobStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub agency_id: Uuid,
        pub sub_account_id: Uuid,
        pub kind: String,
        pub payload: Json,
        pub status: JobStatus,
        pub attempts: i32,
        pub max_attempts: i32,
        pub run_at: DateTimeUtc,
        pub lease_until: Option<DateTimeUtc>,
        pub locked_by: Option<Uuid>,
        pub idempotency_key: Option<String>,
        pub last_error: Option<String>,
        pub result: Option<Json>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `job_schedules`.
pub mod schedule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_schedules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub cron: String,
        pub timezone: String,
        pub kind: String,
        pub payload: Json,
        pub next_run_at: DateTimeUtc,
        pub last_run_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
