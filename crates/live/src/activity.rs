//! The activity feed: the event log of a sub-account or an agency, read by those who may read
//! each event's subject (a contact's events need `CONTACTS_READ` there, a ticket's
//! `PIPELINES_READ`, a membership's `MEMBERS_MANAGE`, …). Events of subjects no permission maps
//! to are never shown. Newest first.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use graph::{Node, load};
use kernel::auth::{Actor, PermissionSet, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::Error;
use kernel::event::entity as event;
use kernel::id::{GlobalId, NodeKind, gid};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use uuid::Uuid;

pub use kernel::event::subject_read_permission as subject_permission;

/// Every subject type a permission set may read events of.
fn readable(perms: PermissionSet) -> Vec<&'static str> {
    NodeKind::ALL
        .into_iter()
        .map(NodeKind::type_name)
        .filter(|t| subject_permission(t).is_some_and(|p| perms.contains(p)))
        .collect()
}

/// What to show.
#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    /// Only these event types (`contact.created`, …).
    pub types: Vec<String>,
    /// Only events about this object.
    pub subject_id: Option<Uuid>,
}

/// Checks that the actor may read the feed of `scope` (a live sub-account or the agency of the
/// request's tenant where they hold some permission): the scope, or `NOT_FOUND`.
pub async fn readable_scope(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: GlobalId,
) -> Result<Scope, Error> {
    actor.require_authenticated()?;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    match scope.kind {
        NodeKind::SubAccount => {
            let live = tenancy::entity::sub_account::Entity::find_by_id((agency_id, scope.uuid))
                .one(db)
                .await?
                .is_some_and(|s| s.deleted_at.is_none());
            let at = Scope::SubAccount {
                agency_id,
                id: scope.uuid,
            };
            if !live || actor.permissions_in(at).is_empty() {
                return Err(Error::NotFound);
            }
            Ok(at)
        }
        NodeKind::Agency if scope.uuid == agency_id => {
            if actor.permissions_in(Scope::Agency(agency_id)).is_empty() {
                return Err(Error::NotFound);
            }
            Ok(Scope::Agency(agency_id))
        }
        NodeKind::Agency => Err(Error::NotFound),
        _ => Err(Error::bad_input(
            Some("scopeId"),
            "name an agency or a sub-account",
        )),
    }
}

/// Most event types in one filter.
pub const MAX_TYPES: usize = 20;

/// A page of the feed of a sub-account or agency of the request's tenant.
pub async fn feed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: GlobalId,
    filter: FeedFilter,
    page: Page,
    with_total: bool,
) -> Result<(Vec<event::Model>, PageInfo, u64), Error> {
    actor.require_authenticated()?;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    if filter.types.len() > MAX_TYPES || filter.types.iter().any(|t| t.len() > 64) {
        return Err(Error::bad_input(
            Some("filter.types"),
            format!("at most {MAX_TYPES} event types"),
        ));
    }
    let mut visible = Condition::any();
    match readable_scope(db, actor, scope).await? {
        Scope::SubAccount { id, .. } => {
            let perms = actor.permissions_in(Scope::SubAccount { agency_id, id });
            visible = visible.add(
                Condition::all()
                    .add(event::Column::SubAccountId.eq(id))
                    .add(event::Column::SubjectType.is_in(readable(perms))),
            );
        }
        _ => {
            let perms = actor.permissions_in(Scope::Agency(agency_id));
            visible = visible.add(
                Condition::all()
                    .add(event::Column::SubAccountId.is_null())
                    .add(event::Column::SubjectType.is_in(readable(perms))),
            );
            // Each sub-account's events, as far as the actor may read there; sub-accounts
            // with the same readable types share one condition.
            // Live sub-accounts only, as the sub-account feed: a deleted one's events leave the
            // view with it.
            let subs = tenancy::entity::sub_account::Entity::find()
                .filter(tenancy::entity::sub_account::Column::AgencyId.eq(agency_id))
                .filter(tenancy::entity::sub_account::Column::DeletedAt.is_null())
                .all(db)
                .await?;
            let mut groups: BTreeMap<Vec<&'static str>, Vec<Uuid>> = BTreeMap::new();
            for s in subs {
                let types = readable(actor.permissions_in(Scope::SubAccount {
                    agency_id,
                    id: s.id,
                }));
                if !types.is_empty() {
                    groups.entry(types).or_default().push(s.id);
                }
            }
            for (types, subs) in groups {
                visible = visible.add(
                    Condition::all()
                        .add(event::Column::SubAccountId.is_in(subs))
                        .add(event::Column::SubjectType.is_in(types)),
                );
            }
        }
    }
    let mut q = event::Entity::find()
        .filter(event::Column::AgencyId.eq(agency_id))
        .filter(visible);
    if !filter.types.is_empty() {
        q = q.filter(event::Column::EventType.is_in(filter.types));
    }
    if let Some(s) = filter.subject_id {
        q = q.filter(event::Column::SubjectId.eq(s));
    }
    let total = if with_total {
        sea_orm::PaginatorTrait::count(q.clone(), db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, event::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |e| e.id);
    Ok((rows, info, total))
}

/// Something that happened: a change to an object, recorded with the change.
#[derive(Clone)]
pub struct Event(pub event::Model);

/// Something that happened: a change to an object, recorded with the change.
#[Object]
impl Event {
    /// The event's global id.
    async fn id(&self) -> ID {
        gid(NodeKind::Event, self.0.id)
    }
    /// What happened, such as `contact.created` or `ticket.moved`.
    async fn r#type(&self) -> &str {
        &self.0.event_type
    }
    /// The GraphQL type of the object it happened to.
    async fn subject_type(&self) -> &str {
        &self.0.subject_type
    }
    /// The global id of the object it happened to (it may since have been deleted).
    async fn subject_id(&self) -> Option<ID> {
        NodeKind::from_type_name(&self.0.subject_type).map(|k| gid(k, self.0.subject_id))
    }
    /// The object it happened to, if it still exists and you may see it.
    async fn subject(&self, ctx: &Context<'_>) -> Option<Node> {
        let id =
            NodeKind::from_type_name(&self.0.subject_type).map(|k| gid(k, self.0.subject_id))?;
        load(ctx, &id).await.ok()
    }
    /// Who did it: `user`, `api_key`, `system` or `anonymous`.
    async fn actor_kind(&self) -> &str {
        &self.0.actor_kind
    }
    /// The user who did it, when it was a signed-in user who belongs to the agency (platform
    /// or reseller staff acting from above are not named).
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        let Some(id) = self.0.actor_id.filter(|_| self.0.actor_kind == "user") else {
            return Ok(None);
        };
        let (tx, _) = kernel::db::request(ctx)?;
        // The tenant's membership rows say whether they belong to it: no opening needed.
        let member = tenancy::visible_memberships_of(&**tx, id)
            .await?
            .iter()
            .any(|m| m.scope.agency_id().is_some() && m.scope.agency_id() == self.0.agency_id);
        if !member {
            return Ok(None);
        }
        Ok(kernel::loader::get::<identity::UserLoader>(ctx)?
            .load_one(id)
            .await?
            .map(identity::User))
    }
    /// Details, as a JSON object (ids in it are global ids).
    async fn payload(&self) -> String {
        self.0.payload.to_string()
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
}

kernel::connection_types!(EventConnection, EventEdge, Event, "events");

/// Which events to show.
#[derive(InputObject, Default)]
pub struct ActivityFilterInput {
    /// Only these event types, such as `contact.created` (at most 20).
    pub types: Option<Vec<String>>,
    /// Only events about this object.
    pub subject_id: Option<ID>,
}

/// The activity feed query.
#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// What happened in a sub-account or an agency of the tenant you act in, newest first:
    /// only events about objects you may read there (an agency's feed includes its
    /// sub-accounts' events as far as you may read each).
    #[allow(clippy::too_many_arguments)]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A sub-account's or an agency's global id.")] scope_id: ID,
        #[graphql(desc = "Which events.")] filter: Option<ActivityFilterInput>,
        #[graphql(desc = "Return the first n events (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return events after (older than) this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n events (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return events before (newer than) this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<EventConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = GlobalId::parse(&scope_id)?;
        let f = filter.unwrap_or_default();
        let subject_id = f
            .subject_id
            .map(|s| GlobalId::parse(&s).map(|g| g.uuid))
            .transpose()?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) = feed(
            &**tx,
            &rc.actor,
            scope,
            FeedFilter {
                types: f.types.unwrap_or_default(),
                subject_id,
            },
            page,
            kernel::connection::wants_total_count(ctx),
        )
        .await?;
        Ok(EventConnection::build(
            rows.into_iter().map(Event).collect(),
            info,
            total,
            |e| e.0.id,
        ))
    }
}
