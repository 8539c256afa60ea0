//! The audit log in GraphQL: a scope's `auditLog`.

use crate::entity as audit_log;
use crate::service::{self, Filter};
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use kernel::connection::{Page, wants_total_count};
use kernel::id::{GlobalId, NodeKind, gid};

/// One mutation as the audit log keeps it: who, as whom, where, what, and how it ended.
#[derive(Clone)]
pub struct AuditEntry(pub audit_log::Model);

/// One mutation as the audit log keeps it: who, as whom, where, what, and how it ended.
#[Object]
impl AuditEntry {
    /// The entry's id (a UUID; entries are not nodes).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// Who acted: `user`, `api_key`, `system` or `anonymous`.
    async fn actor_kind(&self) -> &str {
        &self.0.actor_kind
    }
    /// The user's or API key's global id (none for `system` and `anonymous`).
    async fn actor_id(&self) -> Option<ID> {
        let kind = match self.0.actor_kind.as_str() {
            "user" => NodeKind::User,
            "api_key" => NodeKind::ApiKey,
            _ => return None,
        };
        self.0.actor_id.map(|id| gid(kind, id))
    }
    /// For an API key, the user it acts for (its creator): its global id.
    async fn on_behalf_of(&self) -> Option<ID> {
        self.0.on_behalf_of.map(|id| gid(NodeKind::User, id))
    }
    /// The sub-account it happened in, if one: its global id.
    async fn sub_account_id(&self) -> Option<ID> {
        self.0
            .sub_account_id
            .map(|id| gid(NodeKind::SubAccount, id))
    }
    /// The mutation (`contactUpdate`).
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// Global ids of what it named and what it changed (at most 20).
    async fn targets(&self) -> Vec<ID> {
        strings(&self.0.targets).into_iter().map(ID).collect()
    }
    /// `OK`; `USER_ERRORS` when it answered with user errors and changed nothing; or the code
    /// of the error it failed with (`NOT_FOUND`, `FORBIDDEN`, …).
    async fn result(&self) -> &str {
        &self.0.result
    }
    /// The codes of its user errors (`TAKEN`, `INVALID`, …), empty otherwise.
    async fn user_errors(&self) -> Vec<String> {
        strings(&self.0.user_errors)
    }
    /// The client's IP address.
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    /// The request's id (`X-Request-Id`), as in the server's logs.
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

kernel::connection_types!(
    AuditEntryConnection,
    AuditEntryEdge,
    AuditEntry,
    "audit log entries"
);

/// Which audit log entries to list.
#[derive(InputObject, Default)]
pub struct AuditFilterInput {
    /// Only what this user or API key did (its global id).
    pub actor_id: Option<ID>,
    /// Only this mutation (`contactUpdate`).
    pub operation: Option<String>,
}

/// Audit log queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// A scope's audit log, newest first: every mutation made in an agency (its sub-accounts'
    /// too) or in a sub-account, by anyone, whatever its result; for the platform's admins
    /// (scope: the platform), the mutations of no agency (sign-ins, registrations). Needs
    /// `AUDIT_READ` in the scope.
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the platform, an agency or a sub-account.")]
        scope_id: ID,
        #[graphql(desc = "Which entries.")] filter: Option<AuditFilterInput>,
        #[graphql(desc = "Return the first n entries (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return entries after this cursor (older ones).")] after: Option<String>,
        #[graphql(desc = "Return the last n entries (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return entries before this cursor (newer ones).")] before: Option<String>,
    ) -> async_graphql::Result<AuditEntryConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &scope_id).await?;
        service::require_readable(&rc.actor, scope)?;
        let page = Page::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let actor_id = f
            .actor_id
            .map(|id| {
                GlobalId::parse(&id)
                    .ok()
                    .filter(|g| matches!(g.kind, NodeKind::User | NodeKind::ApiKey))
                    .map(|g| g.uuid)
                    .ok_or_else(|| {
                        kernel::Error::bad_input(
                            Some("filter.actorId"),
                            "name a user or an API key by its global id",
                        )
                    })
            })
            .transpose()?;
        if f.operation.as_ref().is_some_and(|o| o.len() > 100) {
            return Err(kernel::Error::bad_input(
                Some("filter.operation"),
                "an operation is at most 100 characters",
            )
            .into());
        }
        let (rows, info, total) = service::list(
            &**tx,
            &rc.actor,
            scope,
            Filter {
                actor_id,
                operation: f.operation,
            },
            page,
            wants_total_count(ctx),
        )
        .await?;
        Ok(AuditEntryConnection::build(
            rows.into_iter().map(AuditEntry).collect(),
            info,
            total,
            |e| e.0.id,
        ))
    }
}
