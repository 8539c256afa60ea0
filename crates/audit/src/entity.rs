//! `audit_log`: one row per top-level mutation.

use sea_orm::entity::prelude::*;

/// One mutation, as the audit log keeps it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// UUIDv7: rows sort by time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The agency it happened in (NULL for a sign-in, a registration, platform work).
    pub agency_id: Option<Uuid>,
    /// The sub-account, if it happened in one.
    pub sub_account_id: Option<Uuid>,
    /// `user`, `api_key`, `system` or `anonymous`.
    pub actor_kind: String,
    /// The user or API key that acted.
    pub actor_id: Option<Uuid>,
    /// For an API key, the user it acts for (its creator).
    pub on_behalf_of: Option<Uuid>,
    /// The mutation field (`contactUpdate`).
    pub operation: String,
    /// Global ids it named or changed, as a JSON list.
    pub targets: Json,
    /// `OK`, `USER_ERRORS`, or the error code (`NOT_FOUND`, `FORBIDDEN`, …).
    pub result: String,
    /// The user errors' codes, as a JSON list.
    pub user_errors: Json,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The request id (`X-Request-Id`).
    pub request_id: String,
    /// When.
    pub occurred_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
