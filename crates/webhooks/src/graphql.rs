//! Webhooks in GraphQL: endpoints (with their messages and each message's delivery log), and the
//! mutations to manage them and redeliver.

use crate::entity::{EndpointStatus, MessageStatus, attempt, endpoint as ep, message};
use crate::service::{self, Settings, endpoint::EndpointFields};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kernel::connection::{Page, wants_total_count};
use kernel::error::{IntoPayload, Payload, UserError};
use kernel::id::{GlobalId, NodeKind, gid, scope_gid};

/// A partner's endpoint: an HTTPS URL that receives the events of an agency or a sub-account,
/// signed the Standard Webhooks way.
#[derive(Clone)]
pub struct WebhookEndpoint(pub ep::Model);

/// A partner's endpoint: an HTTPS URL that receives the events of an agency or a sub-account,
/// signed the Standard Webhooks way.
#[Object]
impl WebhookEndpoint {
    /// The endpoint's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::WebhookEndpoint, self.0.id)
    }
    /// The URL messages are posted to.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// A note for people.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The event types it receives (empty: every type it may read).
    async fn event_types(&self) -> Vec<String> {
        self.0
            .event_types
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect()
    }
    /// The agency or sub-account it belongs to.
    async fn scope_id(&self) -> ID {
        scope_gid(service::scope_of(&self.0))
    }
    /// An agency endpoint's filter: it receives only this sub-account's events.
    async fn sub_account_id(&self) -> Option<ID> {
        self.0
            .filter_sub_account_id
            .map(|id| gid(NodeKind::SubAccount, id))
    }
    /// Whether it receives messages.
    async fn status(&self) -> EndpointStatus {
        self.0.status
    }
    /// Why it is disabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    /// Since when every delivery has failed (after 5 days it is disabled).
    async fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.0.failing_since
    }
    /// Until when the secret it had before the last rotation still signs beside the new one.
    async fn previous_secret_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.previous_secret_expires_at
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Its messages, newest first.
    #[allow(clippy::too_many_arguments)]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only messages in this status.")] status: Option<MessageStatus>,
        #[graphql(desc = "Return the first n messages (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return messages after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n messages (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return messages before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<WebhookMessageConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) = service::message::list(
            &**tx,
            &rc.actor,
            self.0.id,
            status,
            page,
            wants_total_count(ctx),
        )
        .await?;
        Ok(WebhookMessageConnection::build(
            rows.into_iter().map(WebhookMessage).collect(),
            info,
            total,
            |m| m.0.id,
        ))
    }
}

/// One event sent to one endpoint, with its delivery log.
#[derive(Clone)]
pub struct WebhookMessage(pub message::Model);

/// One event sent to one endpoint, with its delivery log.
#[Object]
impl WebhookMessage {
    /// The message's global id: the `webhook-id` header of its deliveries.
    pub async fn id(&self) -> ID {
        gid(NodeKind::WebhookMessage, self.0.id)
    }
    /// The event's type.
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// The event's global id.
    async fn event_id(&self) -> ID {
        gid(NodeKind::Event, self.0.event_id)
    }
    /// The body posted, as JSON.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Where it stands.
    async fn status(&self) -> MessageStatus {
        self.0.status
    }
    /// How many attempts were made.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the endpoint answered 2xx.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// Every attempt, first to last.
    async fn log(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WebhookAttempt>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(service::message::attempts(&**tx, &self.0)
            .await?
            .into_iter()
            .map(WebhookAttempt)
            .collect())
    }
}

/// One delivery attempt of a message.
pub struct WebhookAttempt(attempt::Model);

/// One delivery attempt of a message.
#[Object]
impl WebhookAttempt {
    /// Which attempt (from 1).
    async fn attempt(&self) -> i32 {
        self.0.attempt
    }
    /// The HTTP status the endpoint answered with, if it answered.
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code
    }
    /// What went wrong, if it did.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// How long the endpoint took, in milliseconds.
    async fn latency_ms(&self) -> i32 {
        self.0.latency_ms
    }
    /// When it was made.
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

kernel::connection_types!(
    WebhookEndpointConnection,
    WebhookEndpointEdge,
    WebhookEndpoint,
    "webhook endpoints"
);
kernel::connection_types!(
    WebhookMessageConnection,
    WebhookMessageEdge,
    WebhookMessage,
    "webhook messages"
);
kernel::payload!(WebhookEndpointPayload, endpoint: WebhookEndpoint, "The endpoint.");
kernel::payload!(WebhookMessagePayload, message: WebhookMessage, "The message.");
kernel::payload!(WebhookRedeliverPayload, requeued: u64, "How many messages were queued again.");

/// The result of creating an endpoint or rotating its secret: the secret is shown only here.
#[derive(SimpleObject)]
pub struct WebhookEndpointSecretPayload {
    /// The endpoint. Null when `userErrors` is not empty.
    pub endpoint: Option<WebhookEndpoint>,
    /// Its signing secret (`whsec_…`), shown only now: verify deliveries with it.
    pub secret: Option<String>,
    /// Problems with the input that a person can fix; empty on success.
    pub user_errors: Vec<UserError>,
}

impl Payload for WebhookEndpointSecretPayload {
    type Value = (WebhookEndpoint, String);
    fn ok((endpoint, secret): Self::Value) -> Self {
        Self {
            endpoint: Some(endpoint),
            secret: Some(secret),
            user_errors: Vec::new(),
        }
    }
    fn user_errors(errors: Vec<UserError>) -> Self {
        Self {
            endpoint: None,
            secret: None,
            user_errors: errors,
        }
    }
}

/// Input of `webhookEndpointCreate`.
#[derive(InputObject)]
pub struct WebhookEndpointCreateInput {
    /// The agency or sub-account whose events it receives.
    pub scope_id: ID,
    /// The HTTPS URL to post to.
    pub url: String,
    /// A note for people (up to 500 characters).
    pub description: Option<String>,
    /// Event types to receive (`contact.created`, …; at most 100). Empty or absent: every type.
    pub event_types: Option<Vec<String>>,
    /// For an agency's endpoint: receive only this sub-account's events.
    pub sub_account_id: Option<ID>,
}

/// Input of `webhookEndpointUpdate` (absent fields are unchanged).
#[derive(InputObject)]
pub struct WebhookEndpointUpdateInput {
    /// The HTTPS URL to post to.
    pub url: Option<String>,
    /// A note for people (empty to clear).
    pub description: Option<String>,
    /// Event types to receive (empty: every type).
    pub event_types: Option<Vec<String>>,
    /// Turn it on or off (on again also clears a disabling for failures).
    pub enabled: Option<bool>,
}

fn settings(ctx: &Context<'_>) -> Settings {
    ctx.data::<Settings>().copied().unwrap_or(Settings {
        allow_private: false,
    })
}

/// Webhook queries.
#[derive(Default)]
pub struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// The webhook endpoints of an agency (its own) or of a sub-account, oldest first. Needs
    /// `WEBHOOKS_MANAGE` there.
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the agency or sub-account.")] scope_id: ID,
        #[graphql(desc = "Return the first n endpoints (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return endpoints after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n endpoints (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return endpoints before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<WebhookEndpointConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &scope_id).await?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) =
            service::endpoint::list(&**tx, &rc.actor, scope, page, wants_total_count(ctx)).await?;
        Ok(WebhookEndpointConnection::build(
            rows.into_iter().map(WebhookEndpoint).collect(),
            info,
            total,
            |e| e.0.id,
        ))
    }
}

/// Webhook mutations.
#[derive(Default)]
pub struct WebhooksMutation;

#[Object]
impl WebhooksMutation {
    /// Subscribes an HTTPS endpoint to an agency's or a sub-account's events. Needs
    /// `WEBHOOKS_MANAGE` there. The signing secret is in the payload, and only there.
    async fn webhook_endpoint_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The scope, the URL and what to receive.")]
        input: WebhookEndpointCreateInput,
    ) -> async_graphql::Result<WebhookEndpointSecretPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &input.scope_id).await?;
        let filter = match &input.sub_account_id {
            Some(id) => Some(kernel::db::resolve_scope(ctx, id).await?),
            None => None,
        };
        service::endpoint::create(
            &**tx,
            &rc.actor,
            settings(ctx),
            scope,
            EndpointFields {
                url: Some(input.url),
                description: input.description,
                event_types: input.event_types,
                filter_sub_account: filter,
                enabled: None,
            },
        )
        .await
        .map(|(e, s)| (WebhookEndpoint(e), s))
        .into_payload()
    }

    /// Changes an endpoint. Needs `WEBHOOKS_MANAGE` in its scope.
    async fn webhook_endpoint_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: WebhookEndpointUpdateInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::WebhookEndpoint)?;
        service::endpoint::update(
            &**tx,
            &rc.actor,
            settings(ctx),
            id,
            EndpointFields {
                url: input.url,
                description: input.description,
                event_types: input.event_types,
                filter_sub_account: None,
                enabled: input.enabled,
            },
        )
        .await
        .map(WebhookEndpoint)
        .into_payload()
    }

    /// Gives an endpoint a new signing secret, shown only in the payload. The old one keeps
    /// signing beside it for 24 hours, so the receiver can switch without losing a message.
    async fn webhook_endpoint_rotate_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's global id.")] id: ID,
    ) -> async_graphql::Result<WebhookEndpointSecretPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::WebhookEndpoint)?;
        service::endpoint::rotate_secret(&**tx, &rc.actor, id)
            .await
            .map(|(e, s)| (WebhookEndpoint(e), s))
            .into_payload()
    }

    /// Deletes an endpoint with its messages and their log.
    async fn webhook_endpoint_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's global id.")] id: ID,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::WebhookEndpoint)?;
        service::endpoint::delete(&**tx, &rc.actor, id)
            .await
            .map(WebhookEndpoint)
            .into_payload()
    }

    /// Sends a message again (a new series of attempts), whatever its status.
    async fn webhook_message_redeliver(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The message's global id.")] id: ID,
    ) -> async_graphql::Result<WebhookMessagePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::WebhookMessage)?;
        service::message::redeliver(&**tx, &rc.actor, id)
            .await
            .map(WebhookMessage)
            .into_payload()
    }

    /// Sends again every message of an endpoint that failed since a time (at most 1,000).
    async fn webhook_endpoint_redeliver_failed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's global id.")] id: ID,
        #[graphql(desc = "Failed messages made at or after this time.")] since: DateTime<Utc>,
    ) -> async_graphql::Result<WebhookRedeliverPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::WebhookEndpoint)?;
        service::message::redeliver_failed(&**tx, &rc.actor, id, since)
            .await
            .into_payload()
    }
}
