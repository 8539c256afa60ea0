//! Shared live results: the WebSocket subscriptions to the same document, operation and
//! variables, naming the same tenant (agency and sub-account headers), share one execution on
//! this replica, whoever subscribed. Each event is resolved and serialised once for the whole
//! group, and each member receives the same payload with its own subscription id spliced in.
//!
//! What is not shared is access. Each member keeps its own credential and actor, and the group
//! applies to each member, item by item, the rules a subscription alone applies to itself:
//! - an event that may change the member's access (`subscriptions::touches_access`, with the
//!   member's actor) re-authenticates its credential and repeats its start-up check before
//!   anything later is delivered; a member that now fails receives the error a subscription
//!   alone would (then `complete`) and leaves, and the others go on. Members of one credential
//!   are re-checked once for all of them;
//! - an item reaches a member only if the member's actor may read it
//!   (`subscriptions::may_read`).
//!
//! This is sound because what an item resolves to does not depend on who subscribed:
//! `LiveEvent` and `Notification` read only the item (the test `resolution_reads_only_the_item`
//! lists their fields). The group's execution checks no one: it listens, and taps the item
//! behind each result ([`Group::tap`]) for the delivery to check against each member.
//!
//! A member runs its own start-up check before it joins (the probe in `ws`), so a subscription
//! to something deleted or unreadable is refused exactly as alone. It then joins *checking in*:
//! it receives nothing until it has passed its check again from inside the group, so an access
//! change the group applied before it joined is not missed (one seen while it checks makes it
//! check again). Only then does its client hear that it listens. A member whose connection
//! cannot keep up (its queue, as long as the bus's buffer, is full) is ended with `LAGGED` and
//! leaves; the others are not held back. The group ends when its last member leaves, and takes
//! no one once its stream has delivered an error (its end).
//!
//! Architecture Invariant: a group's members share tenant headers, document, operation and
//! variables, and nothing else; an item reaches a member only through that member's own actor,
//! re-checked as a subscription alone re-checks its own.

use crate::bus::Live;
use crate::subscriptions::{Check, LiveSession, SharingKey};
use crate::ws::Out;
use async_graphql::{Executor, PathSegment, Pos, Request, ServerError, Value, Variables};
use futures_util::StreamExt;
use kernel::auth::Actor;
use kernel::event::entity as event;
use prometheus_client::metrics::counter::Counter;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::AbortHandle;

/// How many credentials a group re-checks at once after an access change.
const RECHECKS_AT_ONCE: usize = 8;

/// What identifies a group: the tenant named and the request (not who subscribed).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) struct Key {
    agency: Option<String>,
    sub_account: Option<String>,
    query: String,
    operation: Option<String>,
    variables: String,
}

impl Key {
    /// The key of `request`, subscribed on `session`; `None` if its variables cannot be
    /// written out (such a subscription runs alone).
    pub(crate) fn of(session: &LiveSession, request: &Request) -> Option<Self> {
        let (agency, sub_account) = session.tenant_headers();
        Some(Self {
            agency,
            sub_account,
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        })
    }

    /// The request a new group runs.
    fn request(&self, variables: Variables) -> Request {
        let mut r = Request::new(self.query.clone()).variables(variables);
        if let Some(op) = &self.operation {
            r = r.operation_name(op.clone());
        }
        r
    }
}

/// How far a group has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Starting its execution.
    Starting,
    /// Listening: a member that has checked in misses nothing committed from then on.
    Running,
    /// Done (its stream ended or failed); it takes no members.
    Ended,
}

/// One subscription in a group: whose it is and where its messages go.
struct Member {
    key: u64,
    /// The subscription id, as a JSON string.
    id_json: String,
    id: String,
    generation: u64,
    out: mpsc::Sender<Out>,
    session: Arc<LiveSession>,
    /// Its credential and tenant headers (members with the same are re-checked together).
    who: SharingKey,
    /// The actor items are checked against; `None` while it checks in (it receives nothing).
    actor: Option<Actor>,
    /// An access change went by while it checked in: it checks again.
    dirty: bool,
}

#[derive(Default)]
struct Members {
    list: Vec<Member>,
    ended: bool,
}

/// The subscription field a group runs, as its execution announced it ([`Group::listen`]).
struct Field {
    check: Check,
    pos: Pos,
    /// Its response key (the alias, if any): where a member's error points.
    name: String,
}

impl Field {
    /// The `next` payload of a subscription alone that fails with `err` (then `complete`s).
    fn error(&self, err: kernel::Error) -> String {
        let e: async_graphql::Error = err.into();
        let mut errors = vec![
            e.into_server_error(self.pos)
                .with_path(vec![PathSegment::Field(self.name.clone())]),
        ];
        crate::wire::finish_errors(&mut errors, "-");
        serde_json::to_string(&async_graphql::Response::from_errors(errors)).unwrap_or_default()
    }
}

/// A group of subscriptions sharing one execution; its execution finds it in its context.
pub(crate) struct Group {
    members: Mutex<Members>,
    phase: watch::Sender<Phase>,
    task: Mutex<Option<AbortHandle>>,
    field: OnceLock<Field>,
    /// The item behind each result the execution yielded and the delivery has not taken yet
    /// (`None` for an error that ends the stream, for every member).
    tapped: Mutex<VecDeque<Option<Live>>>,
}

impl Group {
    fn members(&self) -> MutexGuard<'_, Members> {
        self.members.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `member` unless the group has ended (then gives it back).
    fn admit(&self, member: Member) -> Option<Member> {
        let mut m = self.members();
        if m.ended {
            return Some(member);
        }
        m.list.push(member);
        None
    }

    /// Told by the execution, before it listens, which field it runs.
    pub(crate) fn listen(&self, check: Check, pos: Pos, name: String) {
        let _ = self.field.set(Field { check, pos, name });
    }

    /// Told by the execution which item its next result is about (`None`: an ending error).
    pub(crate) fn tap(&self, item: Option<Live>) {
        self.tapped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(item);
    }

    /// Before the execution goes on past `e`: every member whose access `e` may have changed
    /// is re-checked (once per credential), as a subscription alone re-checks itself. One that
    /// fails receives its error and leaves; one still checking in checks again.
    pub(crate) async fn recheck(&self, e: &event::Model) {
        if !crate::subscriptions::about_access(e) {
            return;
        }
        let Some(field) = self.field.get() else {
            return;
        };
        let mut due: HashMap<SharingKey, Arc<LiveSession>> = HashMap::new();
        for x in &mut self.members().list {
            match &x.actor {
                None => x.dirty = true,
                Some(a) if crate::subscriptions::touches_access(a, field.check, e) => {
                    due.entry(x.who.clone())
                        .or_insert_with(|| x.session.clone());
                }
                Some(_) => {}
            }
        }
        if due.is_empty() {
            return;
        }
        // Each credential's new actor, or the `next` payload of its error.
        let results: HashMap<SharingKey, Result<Actor, String>> = futures_util::stream::iter(due)
            .map(|(who, session)| async move {
                let checked = crate::subscriptions::recheck(&session, field.check).await;
                (who, checked.map_err(|e| field.error(e)))
            })
            .buffer_unordered(RECHECKS_AT_ONCE)
            .collect()
            .await;
        let mut failed = Vec::new();
        {
            let mut m = self.members();
            let mut i = 0;
            while i < m.list.len() {
                let x = &mut m.list[i];
                match (x.actor.is_some(), results.get(&x.who)) {
                    (true, Some(Ok(actor))) => x.actor = Some(actor.clone()),
                    (true, Some(Err(_))) => {
                        failed.push(m.list.remove(i));
                        continue;
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        for x in failed {
            if let Some(Err(payload)) = results.get(&x.who) {
                finish(&x, Some(payload.as_str()));
            }
        }
    }

    /// A member that has joined checks in: its start-up check again, from inside the group,
    /// until no access change went by meanwhile. Then it receives; or, failing, it gets the
    /// error and leaves.
    async fn check_in(&self, member: u64) {
        let Some(field) = self.field.get() else {
            return;
        };
        loop {
            let session = {
                let mut m = self.members();
                let Some(x) = m.list.iter_mut().find(|x| x.key == member) else {
                    return;
                };
                x.dirty = false;
                x.session.clone()
            };
            let checked = crate::subscriptions::recheck(&session, field.check).await;
            let mut m = self.members();
            let Some(i) = m.list.iter().position(|x| x.key == member) else {
                return;
            };
            if m.list[i].dirty {
                continue;
            }
            match checked {
                Ok(actor) => m.list[i].actor = Some(actor),
                Err(e) => {
                    let x = m.list.remove(i);
                    drop(m);
                    finish(&x, Some(&field.error(e)));
                }
            }
            return;
        }
    }
}

/// The groups of this replica.
pub struct Hub {
    groups: Mutex<HashMap<Key, Arc<Group>>>,
    next_member: AtomicU64,
    /// Results resolved and serialised for a group (`canopy_live_renders_total`).
    renders: Counter,
}

/// A member's place in its group; dropping it leaves (and ends the group if it was the last).
pub(crate) struct Membership {
    hub: Arc<Hub>,
    key: Key,
    group: Arc<Group>,
    member: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        // The members' lock alone first (a delivery may hold it for a while), the hub's after.
        let task = {
            let mut m = self.group.members();
            m.list.retain(|x| x.key != self.member);
            if !m.list.is_empty() {
                return;
            }
            m.ended = true;
            self.group
                .task
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
        };
        // The last member left: the group takes no one now, and its task stops.
        self.group.phase.send_replace(Phase::Ended);
        if let Some(task) = task {
            task.abort();
        }
        let mut groups = self.hub.groups.lock().unwrap_or_else(|p| p.into_inner());
        if groups
            .get(&self.key)
            .is_some_and(|g| Arc::ptr_eq(g, &self.group))
        {
            groups.remove(&self.key);
        }
    }
}

impl Hub {
    /// A hub counting its renders in `renders`.
    pub fn new(renders: Counter) -> Arc<Self> {
        Arc::new(Self {
            groups: Mutex::default(),
            next_member: AtomicU64::new(1),
            renders,
        })
    }

    /// Groups and their members now.
    pub fn counts(&self) -> (usize, usize) {
        let groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
        let members = groups.values().map(|g| g.members().list.len()).sum();
        (groups.len(), members)
    }

    /// Adds subscription `id` of a connection (`out`, `generation`) to the group of `key`,
    /// starting one with `session` if none is open, and returns once the group listens or
    /// has failed (its error then reaches the member through `out`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn join<E: Executor>(
        self: &Arc<Self>,
        key: Key,
        variables: Variables,
        schema: &E,
        session: Arc<LiveSession>,
        id: String,
        generation: u64,
        out: mpsc::Sender<Out>,
    ) -> Membership {
        let member = self.next_member.fetch_add(1, Ordering::Relaxed);
        let entry = Member {
            key: member,
            id_json: serde_json::to_string(&id).unwrap_or_default(),
            id,
            generation,
            out,
            who: session.sharing_key(),
            session: session.clone(),
            actor: None,
            dirty: false,
        };
        let (group, start) = {
            let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
            let refused = match groups.get(&key) {
                Some(g) => match g.admit(entry) {
                    None => Ok(g.clone()),
                    Some(entry) => Err(entry),
                },
                None => Err(entry),
            };
            match refused {
                Ok(g) => (g, false),
                Err(entry) => {
                    // No group, or one that has ended and takes no one: a new one.
                    let g = Arc::new(Group {
                        members: Mutex::new(Members {
                            list: vec![entry],
                            ended: false,
                        }),
                        phase: watch::Sender::new(Phase::Starting),
                        task: Mutex::default(),
                        field: OnceLock::new(),
                        tapped: Mutex::default(),
                    });
                    groups.insert(key.clone(), g.clone());
                    (g, true)
                }
            }
        };
        let membership = Membership {
            hub: self.clone(),
            key: key.clone(),
            group: group.clone(),
            member,
        };
        if start {
            let (started_tx, started_rx) = oneshot::channel();
            let started = Arc::new(crate::subscriptions::Started(Mutex::new(Some(started_tx))));
            let stream = schema.execute_stream(
                key.request(variables)
                    .data(session)
                    .data(started)
                    .data(group.clone()),
                None,
            );
            let task = tokio::spawn(run(group.clone(), stream, started_rx, self.renders.clone()));
            *group.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
        }
        // Until the group listens (or has ended, its end already sent to this member).
        let mut phase = group.phase.subscribe();
        let running = matches!(
            phase.wait_for(|p| *p != Phase::Starting).await.map(|p| *p),
            Ok(Phase::Running)
        );
        if running {
            group.check_in(member).await;
        }
        membership
    }
}

/// A group's execution: one stream, its results sent to every member.
async fn run(
    group: Arc<Group>,
    stream: impl futures_util::Stream<Item = async_graphql::Response> + Send,
    started: oneshot::Receiver<()>,
    renders: Counter,
) {
    // However the task stops (its stream ended, or it panicked), its members hear the end;
    // aborted because its last member left, it has no one to tell.
    struct Ending(Arc<Group>);
    impl Drop for Ending {
        fn drop(&mut self) {
            end(&self.0, None);
        }
    }
    let ending = Ending(group);
    let group = &ending.0;
    let mut stream = std::pin::pin!(stream);
    let mut started = Some(started);
    let mut first = true;
    loop {
        let item = tokio::select! {
            r = async {
                match started.as_mut() {
                    Some(rx) => rx.await,
                    None => std::future::pending().await,
                }
            }, if started.is_some() => {
                started = None;
                if r.is_ok() {
                    group.phase.send_replace(Phase::Running);
                }
                continue;
            }
            item = stream.next() => item,
        };
        let Some(mut resp) = item else { break };
        crate::wire::finish_errors(&mut resp.errors, "-");
        // A request error (nothing executed) is the protocol's `error` message, and the end.
        if first
            && resp.data == Value::Null
            && !resp.errors.is_empty()
            && resp.errors.iter().all(|e| e.path.is_empty())
        {
            end(group, Some(resp.errors));
            return;
        }
        first = false;
        let tapped = group
            .tapped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front();
        let item = match tapped {
            Some(item) => item,
            // A result the stream did not tap is its failure to start: every member's.
            None if resp.data == Value::Null => None,
            // (Not produced: every item is tapped. Nothing unchecked is delivered.)
            None => continue,
        };
        let Ok(payload) = serde_json::to_string(&resp) else {
            continue;
        };
        renders.inc();
        // An error from the subscription field ends its stream: no one joins from here on.
        deliver(group, &payload, item.as_ref(), !resp.errors.is_empty());
    }
}

/// Sends one result to the members whose actor may read `item` (an ending error, `None`, to
/// every member), and if `last` takes no more members. A member whose connection's queue is
/// full is ended with `LAGGED`, as a subscription alone that fell behind the bus is.
fn deliver(group: &Group, payload: &str, item: Option<&Live>, last: bool) {
    let mut m = group.members();
    if last {
        m.ended = true;
    }
    m.list.retain(|x| {
        if let Some(item) = item {
            match &x.actor {
                Some(actor) if crate::subscriptions::may_read(actor, item) => {}
                // Not its to read, or still checking in.
                _ => return true,
            }
        }
        let text = next_text(&x.id_json, payload);
        match x.out.try_send(Out::Text(x.id.clone(), x.generation, text)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(_)) => {
                finish(x, Some(&lagged()));
                false
            }
        }
    });
}

/// A `next` message of subscription `id_json` (its id as JSON) carrying `payload`.
fn next_text(id_json: &str, payload: &str) -> String {
    format!("{{\"id\":{id_json},\"type\":\"next\",\"payload\":{payload}}}")
}

/// Ends one member that has left its group: its last `next` payload, if any, then `complete`,
/// in order (from a task of their own, as its connection's queue may be full).
fn finish(x: &Member, payload: Option<&str>) {
    let last = payload.map(|p| Out::Text(x.id.clone(), x.generation, next_text(&x.id_json, p)));
    let done = Out::Done(x.id.clone(), x.generation);
    let out = x.out.clone();
    tokio::spawn(async move {
        if let Some(last) = last
            && out.send(last).await.is_err()
        {
            return;
        }
        let _ = out.send(done).await;
    });
}

/// Ends the group: every member gets `errors` (a request error) or `complete`.
fn end(group: &Group, errors: Option<Vec<ServerError>>) {
    let members = {
        let mut m = group.members();
        m.ended = true;
        std::mem::take(&mut m.list)
    };
    group.phase.send_replace(Phase::Ended);
    for x in members {
        let msg = match &errors {
            Some(e) => Out::Error(x.id, x.generation, e.clone()),
            None => Out::Done(x.id, x.generation),
        };
        let out = x.out;
        if let Err(mpsc::error::TrySendError::Full(msg)) = out.try_send(msg) {
            tokio::spawn(async move {
                let _ = out.send(msg).await;
            });
        }
    }
}

/// The payload of a member whose connection fell behind (then `complete`).
fn lagged() -> String {
    serde_json::json!({
        "data": null,
        "errors": [{
            "message": "this subscription fell behind (its connection did not take messages fast enough) and was ended; subscribe again and refetch",
            "extensions": { "code": "LAGGED" },
        }],
    })
    .to_string()
}
