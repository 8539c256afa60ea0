//! Notifications in GraphQL: the signed-in user's own, newest first, only of scopes they still
//! hold something in; the unread count; marking read.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kernel::auth::{Actor, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, IntoPayload};
use kernel::id::{GlobalId, NodeKind, gid};
use kernel::notify::entity as notification;
use kernel::payload;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

/// Where the actor may read notifications: agencies whose every sub-account they reach,
/// agencies where they hold only the agency level, and sub-accounts they were given.
struct Reach {
    whole: Vec<Uuid>,
    agency_level: Vec<Uuid>,
    subs: Vec<Uuid>,
}

fn reach(actor: &Actor) -> Reach {
    let mut r = Reach {
        whole: Vec::new(),
        agency_level: Vec::new(),
        subs: Vec::new(),
    };
    for m in &actor.memberships {
        match m.scope {
            Scope::Agency(a) if m.all_sub_accounts => r.whole.push(a),
            Scope::Agency(a) => r.agency_level.push(a),
            Scope::SubAccount { id, .. } => r.subs.push(id),
            Scope::Platform | Scope::Reseller(_) => {}
        }
    }
    r
}

/// The notifications the actor may read: their own, of scopes they still hold something in
/// (a sub-account's only while they reach that sub-account).
fn visible(actor: &Actor) -> Result<Condition, Error> {
    let user = actor.require_user()?;
    let r = reach(actor);
    Ok(Condition::all()
        .add(notification::Column::UserId.eq(user))
        .add(
            Condition::any()
                .add(notification::Column::AgencyId.is_null())
                .add(notification::Column::AgencyId.is_in(r.whole))
                .add(
                    Condition::all()
                        .add(notification::Column::AgencyId.is_in(r.agency_level))
                        .add(notification::Column::SubAccountId.is_null()),
                )
                .add(notification::Column::SubAccountId.is_in(r.subs)),
        ))
}

/// The same rule as [`visible`], for one notification in memory (live subscribers).
pub fn readable(actor: &Actor, n: &notification::Model) -> bool {
    if actor.user_id() != Some(n.user_id) {
        return false;
    }
    let Some(agency) = n.agency_id else {
        return true;
    };
    let r = reach(actor);
    r.whole.contains(&agency)
        || (r.agency_level.contains(&agency) && n.sub_account_id.is_none())
        || n.sub_account_id.is_some_and(|s| r.subs.contains(&s))
}

/// A page of the actor's notifications, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    unread_only: bool,
    page: Page,
    with_total: bool,
) -> Result<(Vec<notification::Model>, PageInfo, u64), Error> {
    let mut q = notification::Entity::find().filter(visible(actor)?);
    if unread_only {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, notification::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |n| n.id);
    Ok((rows, info, total))
}

/// Marks the actor's notifications read (`ids`, or all of them); returns how many changed.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: Option<Vec<Uuid>>,
) -> Result<u64, Error> {
    let mut q = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(visible(actor)?)
        .filter(notification::Column::ReadAt.is_null());
    if let Some(ids) = ids {
        if ids.is_empty() || ids.len() > 100 {
            return Err(Error::bad_input(Some("ids"), "pass 1 to 100 ids"));
        }
        q = q.filter(notification::Column::Id.is_in(ids));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// A short message to you about something that concerns you.
#[derive(Clone)]
pub struct Notification(pub notification::Model);

/// A short message to you about something that concerns you.
#[Object]
impl Notification {
    /// The notification's global id.
    async fn id(&self) -> ID {
        gid(NodeKind::Notification, self.0.id)
    }
    /// What it is about, such as `ticket.assigned`, `task.assigned` or `invitation.accepted`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The text to show.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// The global id of the object it is about (open it with `node(id:)`).
    async fn subject_id(&self) -> Option<ID> {
        let kind = NodeKind::from_type_name(self.0.subject_type.as_deref()?)?;
        self.0.subject_id.map(|id| gid(kind, id))
    }
    /// The sub-account or agency it concerns.
    async fn scope_id(&self) -> Option<ID> {
        kernel::id::row_scope_gid(self.0.agency_id, self.0.sub_account_id)
    }
    /// When you read it.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
    /// When it was sent.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

kernel::connection_types!(
    NotificationConnection,
    NotificationEdge,
    Notification,
    "notifications"
);

/// How many notifications changed.
#[derive(SimpleObject, Clone)]
pub struct MarkedRead {
    /// Notifications marked read by this call.
    pub count: u64,
}

payload!(NotificationsMarkReadPayload, marked: MarkedRead, "What was marked read.");

/// Notification queries.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your notifications, newest first (signed-in users only).
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only unread ones (default: false).")] unread_only: Option<bool>,
        #[graphql(desc = "Return the first n notifications (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return notifications after (older than) this cursor.")] after: Option<
            String,
        >,
        #[graphql(desc = "Return the last n notifications (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return notifications before (newer than) this cursor.")] before: Option<
            String,
        >,
    ) -> async_graphql::Result<NotificationConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) = list(
            &**tx,
            &rc.actor,
            unread_only.unwrap_or(false),
            page,
            kernel::connection::wants_total_count(ctx),
        )
        .await?;
        Ok(NotificationConnection::build(
            rows.into_iter().map(Notification).collect(),
            info,
            total,
            |n| n.0.id,
        ))
    }

    /// How many of your notifications are unread.
    async fn notification_unread_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        let (tx, rc) = kernel::db::request(ctx)?;
        Ok(notification::Entity::find()
            .filter(visible(&rc.actor)?)
            .filter(notification::Column::ReadAt.is_null())
            .count(&**tx)
            .await
            .map_err(Error::from)?)
    }
}

/// Notification mutations.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks some of your notifications read (1 to 100 ids; others' ids are ignored).
    async fn notifications_mark_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The notifications' global ids.")] ids: Vec<ID>,
    ) -> async_graphql::Result<NotificationsMarkReadPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let ids = ids
            .iter()
            .map(|i| GlobalId::parse_as(i, NodeKind::Notification))
            .collect::<Result<Vec<_>, _>>()?;
        mark_read(&**tx, &rc.actor, Some(ids))
            .await
            .map(|count| MarkedRead { count })
            .into_payload()
    }

    /// Marks all your notifications read.
    async fn notifications_mark_all_read(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<NotificationsMarkReadPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        mark_read(&**tx, &rc.actor, None)
            .await
            .map(|count| MarkedRead { count })
            .into_payload()
    }
}
