//! The webhooks tables: endpoints, messages (one per endpoint and event) and attempts.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

kernel::stored_enum! {
    /// Whether an endpoint receives messages.
    pub enum EndpointStatus: "String(StringLen::N(12))" {
        /// It receives messages.
        Enabled = "enabled",
        /// It receives nothing: turned off by its owner, or after failing every delivery for
        /// 5 days.
        Disabled = "disabled",
    }
}

kernel::stored_enum! {
    /// Where a message stands.
    pub enum MessageStatus: "String(StringLen::N(12))" {
        /// Waiting for its first or next attempt.
        Pending = "pending",
        /// The endpoint answered 2xx.
        Delivered = "delivered",
        /// Every attempt failed (it can be redelivered).
        Failed = "failed",
    }
}

/// `webhook_endpoints`.
pub mod endpoint {
    use super::EndpointStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_endpoints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The sub-account it belongs to (`None`: the agency's own).
        pub sub_account_id: Option<Uuid>,
        /// An agency endpoint's filter: only this sub-account's events.
        pub filter_sub_account_id: Option<Uuid>,
        pub url: String,
        pub description: Option<String>,
        /// Event types (a JSON array of names); empty: every type.
        pub event_types: Json,
        /// What its creator could read when it was made (dotted names).
        pub permissions: Json,
        pub secret: String,
        pub previous_secret: Option<String>,
        pub previous_secret_expires_at: Option<DateTimeUtc>,
        pub created_by: Uuid,
        pub status: EndpointStatus,
        pub disabled_reason: Option<String>,
        pub failing_since: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `webhook_messages`.
pub mod message {
    use super::MessageStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub endpoint_id: Uuid,
        pub event_id: Uuid,
        pub event_type: String,
        /// The body as sent.
        pub body: String,
        pub status: MessageStatus,
        pub attempts: i32,
        pub created_at: DateTimeUtc,
        pub last_attempt_at: Option<DateTimeUtc>,
        pub delivered_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `webhook_attempts`.
pub mod attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub message_id: Uuid,
        pub endpoint_id: Uuid,
        /// Which attempt of the message (from 1).
        pub attempt: i32,
        /// The HTTP status, if the endpoint answered.
        pub status_code: Option<i32>,
        /// What went wrong, if it did.
        pub error: Option<String>,
        pub latency_ms: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `webhook_dispatch`: how far the dispatcher has read the event log.
pub mod cursor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_dispatch")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// Events up to this time have been dispatched (a window before it is read again, for
        /// transactions that committed late).
        pub dispatched_until: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
