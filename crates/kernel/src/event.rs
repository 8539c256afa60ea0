//! The event log (outbox): every domain change worth reacting to is recorded here, in the same
//! transaction as the change, so a rolled-back change leaves no event.
//!
//! `kernel` owns this one table. Automations, webhooks, notifications and subscriptions read it.

use crate::auth::{Actor, Principal, Scope};
use crate::error::Error;
use crate::id::NodeKind;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

/// The `events` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One recorded domain event.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        /// UUIDv7: events sort by time.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The agency the event happened in (NULL for platform and reseller events).
        pub agency_id: Option<Uuid>,
        /// The sub-account, if the event happened in one.
        pub sub_account_id: Option<Uuid>,
        /// `platform`, `reseller`, `agency` or `sub_account`.
        pub scope_kind: String,
        /// The id of the scope (NULL for the platform).
        pub scope_id: Option<Uuid>,
        /// Dotted event type, such as `user.registered`.
        pub event_type: String,
        /// GraphQL type name of the subject.
        pub subject_type: String,
        /// Id of the subject.
        pub subject_id: Uuid,
        /// `user`, `api_key`, `system` or `anonymous`.
        pub actor_kind: String,
        /// The user or key that acted.
        pub actor_id: Option<Uuid>,
        /// Event-specific data.
        pub payload: Json,
        /// When it happened.
        pub occurred_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Dotted event type, such as `user.registered`.
    pub event_type: &'static str,
    /// The scope it happened in.
    pub scope: Scope,
    /// What it happened to.
    pub subject: (NodeKind, Uuid),
    /// Event-specific data (never secrets).
    pub payload: serde_json::Value,
}

/// Records an event on `db`, which must be the transaction of the change it describes.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    event: NewEvent,
) -> Result<Uuid, Error> {
    let id = crate::id::new_uuid();
    row(actor, event, id).insert(db).await?;
    Ok(id)
}

/// Most events written by one statement of [`record_many`].
const BATCH: usize = 500;

/// Records many events in a few statements (batches of 500), in the caller's transaction: for
/// bulk changes such as imports.
pub async fn record_many(
    db: &impl ConnectionTrait,
    actor: &Actor,
    events: Vec<NewEvent>,
) -> Result<(), Error> {
    let mut rows: Vec<entity::ActiveModel> = events
        .into_iter()
        .map(|e| row(actor, e, crate::id::new_uuid()))
        .collect();
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(BATCH));
        entity::Entity::insert_many(rows).exec(db).await?;
        rows = rest;
    }
    Ok(())
}

fn row(actor: &Actor, event: NewEvent, id: Uuid) -> entity::ActiveModel {
    let (actor_kind, actor_id) = match &actor.principal {
        Principal::Anonymous => ("anonymous", None),
        Principal::User { user_id, .. } => ("user", Some(*user_id)),
        Principal::ApiKey { key_id, .. } => ("api_key", Some(*key_id)),
        Principal::System => ("system", None),
    };
    entity::ActiveModel {
        id: Set(id),
        agency_id: Set(event.scope.agency_id()),
        sub_account_id: Set(event.scope.sub_account_id()),
        scope_kind: Set(event.scope.kind().as_str().to_owned()),
        scope_id: Set(event.scope.id()),
        event_type: Set(event.event_type.to_owned()),
        subject_type: Set(event.subject.0.type_name().to_owned()),
        subject_id: Set(event.subject.1),
        actor_kind: Set(actor_kind.to_owned()),
        actor_id: Set(actor_id),
        payload: Set(event.payload),
        occurred_at: Set(chrono::Utc::now()),
    }
}
