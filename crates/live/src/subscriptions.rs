//! Live subscriptions: `notificationAdded`, `pipelineChanged`, `contactChanged` and
//! `activityAdded`, served over `/graphql/ws` (see `ws`) and `/graphql/stream` (see `sse`).
//!
//! A subscription is checked when it starts, through the owning crate's service, exactly as the
//! matching query would be (another tenant's pipeline is `NOT_FOUND`). It then receives from
//! the bus only what its actor may read: events of its tenant about subjects its permissions
//! in the event's scope cover (the activity feed's rule), notifications addressed to its user
//! in scopes they still hold. When an event touches access in its tenant (a membership, an
//! invitation, an API key, the agency or a sub-account), the subscription authenticates its
//! credential again, reloads its memberships and repeats its start-up check; if that now fails
//! it ends with the error (`NOT_FOUND`, `UNAUTHENTICATED`, ...) and receives nothing more.
//!
//! Architecture Invariant: a subscription never delivers an event its actor could not read
//! through the `activity` query at that moment.

use crate::activity::{readable_scope, subject_permission};
use crate::bus::{Bus, Live};
use crate::notifications::Notification;
use async_graphql::{Context, ErrorExtensions, ID, Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use kernel::auth::{Actor, Permission, Scope};
use kernel::context::TenantContext;
use kernel::error::Error;
use kernel::event::EventType;
use kernel::event::entity as event;
use kernel::id::{GlobalId, NodeKind, gid};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use std::sync::Arc;
use tokio::sync::broadcast;
use uuid::Uuid;

/// One authenticated live connection: who, in which tenant, until when.
pub struct LiveSession {
    db: DatabaseConnection,
    bus: Arc<Bus>,
    identity: Arc<identity::Identity>,
    credential: String,
    agency: Option<String>,
    sub_account: Option<String>,
    /// The actor as of `connection_init`.
    pub actor: Actor,
    /// When the credential stops being valid, if it does.
    pub expires_at: Option<DateTime<Utc>>,
}

impl LiveSession {
    /// Authenticates `credential` (an access token or an API key) and resolves the tenant
    /// named as the HTTP headers would name it.
    pub async fn establish(
        db: DatabaseConnection,
        bus: Arc<Bus>,
        identity: Arc<identity::Identity>,
        credential: String,
        agency: Option<String>,
        sub_account: Option<String>,
    ) -> Result<Self, Error> {
        let (actor, _, expires_at) = authenticate(
            &db,
            &identity,
            &credential,
            agency.as_deref(),
            sub_account.as_deref(),
        )
        .await?;
        Ok(Self {
            db,
            bus,
            identity,
            credential,
            agency,
            sub_account,
            actor,
            expires_at,
        })
    }

    /// The actor as it is now (credential checked again, memberships reloaded).
    async fn refresh(&self) -> Result<Actor, Error> {
        Ok(authenticate(
            &self.db,
            &self.identity,
            &self.credential,
            self.agency.as_deref(),
            self.sub_account.as_deref(),
        )
        .await?
        .0)
    }

    /// Who this connection acts as: its credential and the tenant it names. Members of a
    /// shared group (`crate::share`) with the same key are re-checked once for all of them.
    pub(crate) fn sharing_key(&self) -> SharingKey {
        (
            self.credential.clone(),
            self.agency.clone(),
            self.sub_account.clone(),
        )
    }

    /// The agency and sub-account this connection names (as the HTTP headers would).
    pub(crate) fn tenant_headers(&self) -> (Option<String>, Option<String>) {
        (self.agency.clone(), self.sub_account.clone())
    }

    /// A transaction seeing what `actor`'s tenant may see (row-level security set).
    async fn begin(&self, actor: &Actor) -> Result<DatabaseTransaction, Error> {
        let stamp = self.identity.credentials.stamp();
        let tx = self.db.begin().await?;
        tenancy::resolve_tenant(
            &tx,
            &self.identity.credentials,
            stamp,
            actor,
            self.agency.as_deref(),
            self.sub_account.as_deref(),
        )
        .await?;
        Ok(tx)
    }
}

/// Authenticates and resolves the tenant as the HTTP edge does, in a short transaction.
async fn authenticate(
    db: &DatabaseConnection,
    identity: &identity::Identity,
    credential: &str,
    agency: Option<&str>,
    sub_account: Option<&str>,
) -> Result<(Actor, Option<TenantContext>, Option<DateTime<Utc>>), Error> {
    let stamp = identity.credentials.stamp();
    let tx = db.begin().await?;
    // The session must still be live, not only its token's signature (a signed-out or
    // password-changed session ends here, as on every request).
    let (principal, expires_at) =
        identity::authenticate_until(&tx, identity, stamp, credential).await?;
    let (actor, tenant) = tenancy::act(
        &tx,
        &identity.credentials,
        stamp,
        principal,
        agency,
        sub_account,
        kernel::db::Settings::default(),
    )
    .await?;
    tx.commit().await?;
    Ok((actor, tenant, expires_at))
}

/// Told once a subscription listens (or dropped when it fails to start): the connection
/// answers the client's next message only then, so a `pong` after a `subscribe` means the
/// subscription misses nothing committed from then on.
pub struct Started(pub std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>);

impl Started {
    fn fire(&self) {
        if let Some(tx) = self.0.lock().ok().and_then(|mut g| g.take()) {
            let _ = tx.send(());
        }
    }
}

/// A credential and the agency and sub-account it names ([`LiveSession::sharing_key`]).
pub(crate) type SharingKey = (String, Option<String>, Option<String>);

/// Marks a subscription's probe (`crate::ws`): it runs the start-up check and then ends
/// without listening (its group listens instead, `crate::share`).
pub struct Probe;

/// What a subscription checks when it starts and whenever access may have changed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Check {
    /// A signed-in user (notifications).
    User,
    /// A pipeline the actor may read.
    Pipeline(Uuid),
    /// A live sub-account where the actor holds a permission.
    SubAccount(Uuid, Permission),
    /// A feed scope (see `activity::readable_scope`).
    Feed(GlobalId),
}

impl Check {
    async fn verify(self, s: &LiveSession, actor: &Actor) -> Result<(), Error> {
        if let Check::User = self {
            actor.require_user()?;
            return Ok(());
        }
        let tx = s.begin(actor).await?;
        match self {
            Check::User => {}
            Check::Pipeline(id) => {
                kanban::service::pipeline::get(&tx, actor, id).await?;
            }
            Check::SubAccount(id, permission) => {
                let (_, sub) = tenancy::service::sub_account::get(&tx, actor, id).await?;
                let scope = Scope::SubAccount {
                    agency_id: sub.agency_id,
                    id: sub.id,
                };
                if sub.deleted_at.is_some() || !actor.can(permission, scope) {
                    return Err(Error::NotFound);
                }
            }
            Check::Feed(scope) => {
                readable_scope(&tx, actor, scope).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The actor `session` acts as now, if it still passes `check`: what a subscription does when
/// it starts and after an event that may have changed its access (a shared group's slot too,
/// when it joins and after such an event, `crate::share`).
pub(crate) async fn recheck(session: &LiveSession, check: Check) -> Result<Actor, Error> {
    let actor = session.refresh().await?;
    check.verify(session, &actor).await?;
    Ok(actor)
}

/// Whether the actor may read this item: an event by [`may_see`], a notification by
/// `notifications::readable`. Every subscription delivers an item only if this holds for its
/// actor at that moment (a shared group's members each for their own).
pub(crate) fn may_read(actor: &Actor, item: &Live) -> bool {
    match item {
        Live::Event(e) => may_see(actor, e),
        Live::Notification(n) => crate::notifications::readable(actor, n),
        Live::Gap | Live::Shutdown => false,
    }
}

/// Whether the actor may read this event (the activity feed's rule): it happened in the
/// actor's tenant, about a subject the actor's permissions in the event's scope cover.
pub fn may_see(actor: &Actor, e: &event::Model) -> bool {
    let Some(agency_id) = e.agency_id.filter(|a| Some(*a) == actor.tenant) else {
        return false;
    };
    let scope = match e.sub_account_id {
        Some(id) => Scope::SubAccount { agency_id, id },
        None => Scope::Agency(agency_id),
    };
    subject_permission(&e.subject_type).is_some_and(|p| actor.can(p, scope))
}

/// Whether an event is of a kind that may change someone's access: a change to a membership,
/// invitation, API key, agency or sub-account, or the end of a session. [`touches_access`]
/// holds only for such events.
pub(crate) fn about_access(e: &event::Model) -> bool {
    matches!(
        e.subject_type.as_str(),
        "Membership" | "Invitation" | "ApiKey" | "Agency" | "SubAccount"
    ) || matches!(
        EventType::parse(&e.event_type),
        Some(
            EventType::SessionRevoked
                | EventType::SessionReuseDetected
                | EventType::UserPasswordChanged
                | EventType::UserPasswordReset
        )
    )
}

/// Whether an event may have changed what the actor can reach: a change to access in the
/// actor's tenant, or (for notifications, which span agencies) a membership of the actor's
/// user anywhere.
pub(crate) fn touches_access(actor: &Actor, check: Check, e: &event::Model) -> bool {
    if ends_a_session_of(actor, e) {
        return true;
    }
    let access = matches!(
        e.subject_type.as_str(),
        "Membership" | "Invitation" | "ApiKey" | "Agency" | "SubAccount"
    );
    if !access {
        return false;
    }
    if e.agency_id.is_some() && e.agency_id == actor.tenant {
        return true;
    }
    matches!(check, Check::User)
        && e.subject_type == "Membership"
        && actor.user_id().is_some_and(|u| {
            e.payload.get("userId").and_then(|v| v.as_str()) == Some(u.to_string().as_str())
        })
}

/// Whether an event may have ended the actor's session: a sign-out, a replayed refresh token,
/// a password change or reset of the actor's user.
fn ends_a_session_of(actor: &Actor, e: &event::Model) -> bool {
    let Some(user) = actor.user_id() else {
        return false;
    };
    match EventType::parse(&e.event_type) {
        Some(EventType::SessionRevoked | EventType::SessionReuseDetected) => {
            e.payload.get("userId").and_then(|v| v.as_str()) == Some(user.to_string().as_str())
        }
        Some(EventType::UserPasswordChanged | EventType::UserPasswordReset) => e.subject_id == user,
        _ => false,
    }
}

fn live_error(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
}

struct Follow<F> {
    session: Arc<LiveSession>,
    /// The actor items are checked against; `None` in a shared group's execution, whose
    /// members each have their own.
    actor: Option<Actor>,
    rx: broadcast::Receiver<Live>,
    check: Check,
    select: F,
    /// The shared group this execution serves (`crate::share`), if any.
    group: Option<Arc<crate::share::Group>>,
    done: bool,
}

impl<F> Follow<F> {
    /// Ends the stream with `e` (a shared group's members all receive it).
    fn fail<T>(mut self, e: async_graphql::Error) -> Option<(async_graphql::Result<T>, Self)> {
        self.done = true;
        if let Some(g) = &self.group {
            g.tap(None);
        }
        Some((Err(e), self))
    }
}

/// Checks `check`, then streams what `select` picks from the bus, as far as the actor may read
/// it at that moment ([`may_read`]).
///
/// In a shared group's execution (`crate::share`) nothing is checked here: the group applies
/// each member's own check and [`may_read`] instead, and this stream taps the item behind each
/// result for it.
async fn follow<T, F>(
    ctx: &Context<'_>,
    session: Arc<LiveSession>,
    check: Check,
    select: F,
) -> Result<impl Stream<Item = async_graphql::Result<T>> + Send + 'static, Error>
where
    T: Send + 'static,
    F: Fn(&Live) -> Option<T> + Send + Sync + 'static,
{
    // Receive first, then check: nothing committed after the check can be missed.
    if !session.bus.ready(std::time::Duration::from_secs(10)).await {
        return Err(Error::internal("the live bus is not listening yet"));
    }
    let rx = session.bus.subscribe();
    let group = ctx.data_opt::<Arc<crate::share::Group>>().cloned();
    let actor = match &group {
        Some(g) => {
            g.listen(
                check,
                ctx.item.pos,
                ctx.item.node.response_key().node.to_string(),
            );
            None
        }
        // The actor as it is now, not as it was at `connection_init`: a revoked key or
        // membership cannot subscribe again on an old connection.
        None => Some(recheck(&session, check).await?),
    };
    if let Some(started) = ctx.data_opt::<Arc<Started>>() {
        started.fire();
    }
    let state = Follow {
        actor,
        session,
        rx,
        check,
        select,
        group,
        // A probe ends here, its check passed.
        done: ctx.data_opt::<Probe>().is_some(),
    };
    Ok(futures_util::stream::unfold(state, |mut f| async move {
        if f.done {
            return None;
        }
        loop {
            let item = match f.rx.recv().await {
                Ok(item) => item,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    return f.fail(live_error(
                        format!(
                            "this subscription fell {n} events behind and was ended; subscribe again and refetch"
                        ),
                        "LAGGED",
                    ));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            match &item {
                Live::Shutdown => return None,
                Live::Gap => {
                    return f.fail(live_error(
                        "the server may have missed events while disconnected from the database; subscribe again and refetch",
                        "LAGGED",
                    ));
                }
                Live::Event(e) => {
                    if let Some(g) = &f.group {
                        // Each slot whose access it may touch checks again, holding what
                        // comes after it until then.
                        g.recheck(e);
                    } else if f
                        .actor
                        .as_ref()
                        .is_some_and(|a| touches_access(a, f.check, e))
                    {
                        match recheck(&f.session, f.check).await {
                            Ok(actor) => f.actor = Some(actor),
                            Err(e) => return f.fail(e.into()),
                        }
                    }
                }
                Live::Notification(_) => {}
            }
            match &f.group {
                // The group hands it on as far as each slot's actor may read it.
                Some(g) if g.wanted(&item) => {
                    if let Some(out) = (f.select)(&item) {
                        g.tap(Some(item));
                        return Some((Ok(out), f));
                    }
                }
                Some(_) => {}
                None if f.actor.as_ref().is_some_and(|a| may_read(a, &item)) => {
                    if let Some(out) = (f.select)(&item) {
                        return Some((Ok(out), f));
                    }
                }
                None => {}
            }
        }
    }))
}

fn session(ctx: &Context<'_>) -> Result<Arc<LiveSession>, Error> {
    ctx.data_opt::<Arc<LiveSession>>().cloned().ok_or_else(|| {
        Error::bad_input(
            None,
            "subscriptions are served over WebSocket at /graphql/ws (graphql-transport-ws)",
        )
    })
}

/// Something that just happened, delivered live. To read the object as it is now, query it
/// with `node(id:)`.
#[derive(Clone)]
pub struct LiveEvent(pub Arc<event::Model>);

/// Something that just happened, delivered live. To read the object as it is now, query it
/// with `node(id:)`.
#[Object]
impl LiveEvent {
    /// The event's global id (the same as in the `activity` feed).
    async fn id(&self) -> ID {
        gid(NodeKind::Event, self.0.id)
    }
    /// What happened, such as `ticket.moved` or `contact.updated`.
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
    /// The sub-account it happened in, or the agency for agency-level events.
    async fn scope_id(&self) -> Option<ID> {
        kernel::id::row_scope_gid(self.0.agency_id, self.0.sub_account_id)
    }
    /// Who did it: `user`, `api_key`, `system` or `anonymous`.
    async fn actor_kind(&self) -> &str {
        &self.0.actor_kind
    }
    /// Details, as a JSON object (ids in it are global ids; ticket and lane events carry
    /// `pipelineId`).
    async fn payload(&self) -> String {
        self.0.payload.to_string()
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
}

/// Event subjects that belong to a pipeline's board.
const BOARD_SUBJECTS: [&str; 4] = ["Pipeline", "Lane", "Ticket", "TicketNote"];

/// Live subscriptions, over `/graphql/ws` (graphql-transport-ws).
#[derive(Default)]
pub struct SubscriptionRoot;

/// Live subscriptions, over `/graphql/ws` (graphql-transport-ws): authenticate in
/// `connection_init` with `{"authorization": "Bearer <token>"}` (and `canopy-agency` to act
/// in an agency). Each delivers only what you may read; a subscription whose access is revoked
/// ends with an error.
#[Subscription]
impl SubscriptionRoot {
    /// Your notifications as they are created (only of scopes you still hold something in).
    /// Needs a signed-in user.
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Notification>>> {
        let s = session(ctx)?;
        Ok(follow(ctx, s, Check::User, |item| match item {
            Live::Notification(n) => Some(Notification((**n).clone())),
            _ => None,
        })
        .await?)
    }

    /// Changes to a pipeline's board as they happen: the pipeline itself, its lanes, its
    /// tickets (created, updated, moved, closed, reopened, deleted) and their notes. Needs
    /// `PIPELINES_READ` in the pipeline's sub-account.
    async fn pipeline_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline's global id.")] pipeline_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LiveEvent>>> {
        let s = session(ctx)?;
        let id = GlobalId::parse_as(&pipeline_id, NodeKind::Pipeline)?;
        let wanted = gid(NodeKind::Pipeline, id).to_string();
        Ok(follow(ctx, s, Check::Pipeline(id), move |item| match item {
            Live::Event(e)
                if BOARD_SUBJECTS.contains(&e.subject_type.as_str())
                    && (e.subject_id == id
                        || e.payload.get("pipelineId").and_then(|v| v.as_str())
                            == Some(wanted.as_str())) =>
            {
                Some(LiveEvent(e.clone()))
            }
            _ => None,
        })
        .await?)
    }

    /// Changes to the contacts of a sub-account as they happen (created, updated, tagged,
    /// merged, deleted, restored, imported). Needs `CONTACTS_READ` there.
    async fn contact_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LiveEvent>>> {
        let s = session(ctx)?;
        let id = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(follow(
            ctx,
            s,
            Check::SubAccount(id, Permission::ContactsRead),
            move |item| match item {
                Live::Event(e) if e.subject_type == "Contact" && e.sub_account_id == Some(id) => {
                    Some(LiveEvent(e.clone()))
                }
                _ => None,
            },
        )
        .await?)
    }

    /// The activity feed of a sub-account or an agency as it grows: the events the `activity`
    /// query would show you, as they are recorded.
    async fn activity_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A sub-account's or an agency's global id.")] scope_id: ID,
        #[graphql(desc = "Which events.")] filter: Option<crate::activity::ActivityFilterInput>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LiveEvent>>> {
        let s = session(ctx)?;
        let scope = GlobalId::parse(&scope_id)?;
        let f = filter.unwrap_or_default();
        let types = f.types.unwrap_or_default();
        if types.len() > crate::activity::MAX_TYPES || types.iter().any(|t| t.len() > 64) {
            return Err(Error::bad_input(
                Some("filter.types"),
                format!("at most {} event types", crate::activity::MAX_TYPES),
            )
            .into());
        }
        let subject = f
            .subject_id
            .map(|s| GlobalId::parse(&s).map(|g| g.uuid))
            .transpose()?;
        Ok(follow(ctx, s, Check::Feed(scope), move |item| match item {
            Live::Event(e)
                if (scope.kind != NodeKind::SubAccount || e.sub_account_id == Some(scope.uuid))
                    && (types.is_empty() || types.contains(&e.event_type))
                    && subject.is_none_or(|s| s == e.subject_id) =>
            {
                Some(LiveEvent(e.clone()))
            }
            _ => None,
        })
        .await?)
    }
}
