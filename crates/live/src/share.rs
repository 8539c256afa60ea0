//! Shared live results: the WebSocket subscriptions to the same document, operation and
//! variables, naming the same tenant (agency and sub-account headers), share one execution on
//! this replica, whoever subscribed. Each event is resolved and serialised once for the whole
//! group, and each member receives the same payload with its own subscription id spliced in.
//!
//! What is not shared is access. The members of one credential (and tenant headers) form a
//! *slot* with its own actor, and the group applies to each slot, item by item and in order,
//! the rules a subscription alone applies to itself:
//! - an event that may change the slot's access (`subscriptions::touches_access`) makes it
//!   authenticate its credential again and repeat its start-up check. The check runs in a task
//!   of its own, so the rest of the group is not held up; the slot's items wait for it, in
//!   order, and are then handed on as far as the new actor may read them. If the check fails,
//!   each of the slot's subscriptions receives the error a subscription alone would, then
//!   `complete`;
//! - an item reaches a slot's subscriptions only if its actor may read it
//!   (`subscriptions::may_read`). An item no slot may read is not resolved at all, unless a
//!   slot is checking (it holds every item until it knows).
//!
//! This is sound because what an item resolves to does not depend on who subscribed:
//! `LiveEvent` and `Notification` read only the item (the test `resolution_reads_only_the_item`
//! lists their fields). The group's execution checks no one: it listens, and taps the item
//! behind each result ([`Group::tap`]) for the delivery to check against each slot.
//!
//! A subscription runs its own start-up check before it joins (the probe in `ws`), so one to
//! something deleted or unreadable is refused exactly as alone. Joining a slot that is checked
//! and current, it receives at once. Otherwise its slot is new (or checking), and it waits
//! until the slot has passed its check from inside the group: an access change the group saw
//! before the slot existed is then not missed, and one seen meanwhile makes it check again.
//! Only then does its client hear that it listens (or once `ws` stops waiting, after 10 s).
//!
//! A slot holds at most the bus's buffer of items while it checks; a subscription whose
//! connection cannot keep up (its queue, as long as the bus's buffer, is full) is ended with
//! `LAGGED` and leaves; the others are not held back.
//! An ending error of the group (`LAGGED`, a gap) reaches every member as its last message
//! (items a checking slot holds are dropped). The group ends when its last member leaves, and
//! takes no one once its stream has ended with an error.
//!
//! Architecture Invariant: a group's members share tenant headers, document, operation and
//! variables, and nothing else; an item reaches a member only through its own credential's
//! actor, re-checked as a subscription alone re-checks its own, in the bus's order.

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

/// The most items a slot holds while it checks (then its subscriptions end with `LAGGED`, as
/// a subscription alone that far behind would).
const HELD_MAX: usize = crate::bus::CAPACITY;

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
    /// Listening: a slot that has passed its check misses nothing committed from then on.
    Running,
    /// Done (its stream ended or failed); it takes no members.
    Ended,
}

/// One subscription in a group: where its messages go.
struct Member {
    key: u64,
    /// The subscription id, as a JSON string.
    id_json: String,
    id: String,
    generation: u64,
    out: mpsc::Sender<Out>,
}

impl Member {
    /// Hands it a `next` payload; false if it is gone, or fell behind and was ended.
    fn send(&self, payload: &str) -> bool {
        let text = next_text(&self.id_json, payload);
        match self
            .out
            .try_send(Out::Text(self.id.clone(), self.generation, text))
        {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(_)) => {
                finish(self, Some(&lagged()));
                false
            }
        }
    }
}

/// The subscriptions of one credential (and tenant headers) in a group: one actor, one check.
struct Slot {
    /// This slot, among all the group has had (a slot of the same credential made later is
    /// another: a check finds its own slot or none).
    id: u64,
    who: SharingKey,
    session: Arc<LiveSession>,
    /// The actor items are checked against; `None` until its first check passes.
    actor: Option<Actor>,
    /// A check is running (its first, or after an access change): items wait in `held`.
    checking: bool,
    /// Another access change came while it checked: it checks again.
    again: bool,
    /// Items that came while it checked, in order, with their payloads.
    held: VecDeque<(Live, Arc<str>)>,
    /// `true` once no check is running (or the slot is gone).
    settled: watch::Sender<bool>,
    members: Vec<Member>,
}

impl Slot {
    /// Hands `item` to every member if the actor may read it; drops members that are gone.
    fn deliver(&mut self, item: &Live, payload: &str) {
        match &self.actor {
            Some(actor) if crate::subscriptions::may_read(actor, item) => {}
            _ => return,
        }
        self.members.retain(|x| x.send(payload));
    }

    /// Ends every member: the last `next` payload, if any, then `complete`.
    fn finish(&mut self, payload: Option<&str>) {
        for x in self.members.drain(..) {
            finish(&x, payload);
        }
        self.settled.send_replace(true);
    }
}

#[derive(Default)]
struct Members {
    slots: Vec<Slot>,
    /// The id of the next slot made.
    next_slot: u64,
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

/// How a new member got in ([`Group::admit`]).
enum Admitted {
    /// Into a slot that is checked and current: it receives at once.
    Ready,
    /// Into a slot whose check is running: it receives once that settles.
    Waiting(watch::Receiver<bool>),
    /// Into a new slot (its id), whose first check is still to run.
    New(u64, watch::Receiver<bool>),
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

    /// Adds `member` of `session` to its credential's slot (a new one if it has none), unless
    /// the group has ended (then gives it back).
    fn admit(&self, session: &Arc<LiveSession>, member: Member) -> Result<Admitted, Box<Member>> {
        let mut m = self.members();
        if m.ended {
            return Err(Box::new(member));
        }
        let who = session.sharing_key();
        if let Some(slot) = m.slots.iter_mut().find(|s| s.who == who) {
            slot.members.push(member);
            return Ok(if slot.checking {
                Admitted::Waiting(slot.settled.subscribe())
            } else {
                Admitted::Ready
            });
        }
        let (settled, rx) = watch::channel(false);
        let id = m.next_slot;
        m.next_slot += 1;
        m.slots.push(Slot {
            id,
            who,
            session: session.clone(),
            actor: None,
            checking: true,
            again: false,
            held: VecDeque::new(),
            settled,
            members: vec![member],
        });
        Ok(Admitted::New(id, rx))
    }

    /// Told by the execution, before it listens, which field it runs.
    pub(crate) fn listen(&self, check: Check, pos: Pos, name: String) {
        let _ = self.field.set(Field { check, pos, name });
    }

    /// Whether any slot may want `item`: one that may read it, or one checking (which holds
    /// it until it knows). An item no one wants is not resolved.
    pub(crate) fn wanted(&self, item: &Live) -> bool {
        self.members().slots.iter().any(|s| {
            s.checking
                || s.actor
                    .as_ref()
                    .is_some_and(|a| crate::subscriptions::may_read(a, item))
        })
    }

    /// Told by the execution which item its next result is about (`None`: an ending error).
    pub(crate) fn tap(&self, item: Option<Live>) {
        self.tapped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(item);
    }

    /// Before the execution goes on past `e`: every slot whose access `e` may have changed
    /// checks again (its items wait meanwhile), as a subscription alone re-checks itself.
    pub(crate) fn recheck(self: &Arc<Self>, e: &event::Model) {
        if !crate::subscriptions::about_access(e) {
            return;
        }
        let Some(field) = self.field.get() else {
            return;
        };
        let mut due = Vec::new();
        for slot in &mut self.members().slots {
            // Whom an event concerns (tenant, user) is the credential's, whatever its actor.
            let actor = slot.actor.as_ref().unwrap_or(&slot.session.actor);
            if !crate::subscriptions::touches_access(actor, field.check, e) {
                continue;
            }
            if slot.checking {
                slot.again = true;
            } else {
                slot.checking = true;
                slot.settled.send_replace(false);
                due.push(slot.id);
            }
        }
        for id in due {
            tokio::spawn(self.clone().check(id));
        }
    }

    /// Checks slot `id`: its credential authenticated again and its start-up check
    /// repeated, again while access changes come meanwhile. Passing, it takes the new actor and
    /// hands on the items it held as far as that actor may read them; failing, each of its
    /// subscriptions receives the error and `complete`, and the slot leaves.
    async fn check(self: Arc<Self>, id: u64) {
        let Some(field) = self.field.get() else {
            return;
        };
        loop {
            let session = {
                let mut m = self.members();
                let Some(slot) = m.slots.iter_mut().find(|s| s.id == id) else {
                    return;
                };
                slot.again = false;
                slot.session.clone()
            };
            let checked = crate::subscriptions::recheck(&session, field.check).await;
            let mut m = self.members();
            let Some(i) = m.slots.iter().position(|s| s.id == id) else {
                return;
            };
            let slot = &mut m.slots[i];
            if slot.again {
                continue;
            }
            match checked {
                Ok(actor) => {
                    slot.actor = Some(actor);
                    slot.checking = false;
                    for (item, payload) in std::mem::take(&mut slot.held) {
                        slot.deliver(&item, &payload);
                    }
                    slot.settled.send_replace(true);
                    if slot.members.is_empty() {
                        m.slots.remove(i);
                    }
                }
                Err(e) => {
                    let mut slot = m.slots.remove(i);
                    drop(m);
                    slot.finish(Some(&field.error(e)));
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
            for slot in &mut m.slots {
                slot.members.retain(|x| x.key != self.member);
            }
            m.slots.retain(|s| !s.members.is_empty());
            if !m.slots.is_empty() {
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
        let members = groups
            .values()
            .map(|g| {
                g.members()
                    .slots
                    .iter()
                    .map(|s| s.members.len())
                    .sum::<usize>()
            })
            .sum();
        (groups.len(), members)
    }

    /// Adds subscription `id` of a connection (`out`, `generation`) on `session` to the group
    /// of `key`, starting one if none is open, and returns once the subscription receives: its
    /// slot has passed its check (or failed it, or the group failed; the error then reaches
    /// the member through `out`).
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
        };
        let (group, admitted, start) = {
            let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
            let refused = match groups.get(&key) {
                Some(g) => match g.admit(&session, entry) {
                    Ok(admitted) => Ok((g.clone(), admitted)),
                    Err(entry) => Err(*entry),
                },
                None => Err(entry),
            };
            match refused {
                Ok((g, admitted)) => (g, admitted, false),
                Err(entry) => {
                    // No group, or one that has ended and takes no one: a new one.
                    let g = Arc::new(Group {
                        members: Mutex::default(),
                        phase: watch::Sender::new(Phase::Starting),
                        task: Mutex::default(),
                        field: OnceLock::new(),
                        tapped: Mutex::default(),
                    });
                    let Ok(admitted) = g.admit(&session, entry) else {
                        unreachable!("a new group takes its first member");
                    };
                    groups.insert(key.clone(), g.clone());
                    (g, admitted, true)
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
                    .data(session.clone())
                    .data(started)
                    .data(group.clone()),
                None,
            );
            let task = tokio::spawn(run(group.clone(), stream, started_rx, self.renders.clone()));
            *group.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
        }
        if let Admitted::New(id, _) = &admitted {
            // The slot's first check, once the group listens: in a task of the group's, as
            // the slot's other members wait on it too (this one may leave meanwhile).
            let (g, id, mut phase) = (group.clone(), *id, group.phase.subscribe());
            tokio::spawn(async move {
                let running = matches!(
                    phase.wait_for(|p| *p != Phase::Starting).await.map(|p| *p),
                    Ok(Phase::Running)
                );
                if running {
                    g.check(id).await;
                }
            });
        }
        // Until the group listens (or has ended, its end already sent to this member).
        let mut phase = group.phase.subscribe();
        let running = matches!(
            phase.wait_for(|p| *p != Phase::Starting).await.map(|p| *p),
            Ok(Phase::Running)
        );
        if running {
            let settled = match admitted {
                Admitted::Ready => None,
                Admitted::Waiting(rx) | Admitted::New(_, rx) => Some(rx),
            };
            if let Some(mut rx) = settled {
                let _ = rx.wait_for(|s| *s).await;
            }
        }
        membership
    }
}

/// A group's execution: one stream, its results handed to the members that may read them.
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
        deliver(group, payload, item.as_ref());
    }
}

/// Hands one result to every slot: at once to those that may read `item`, held by those
/// checking; an ending error (`item` `None`) to every member as its last message, after which
/// the group takes no one.
fn deliver(group: &Group, payload: String, item: Option<&Live>) {
    let mut m = group.members();
    let Some(item) = item else {
        // The stream's end: every member hears the error last (a checking slot's held items
        // are dropped), then `complete`.
        m.ended = true;
        let slots = std::mem::take(&mut m.slots);
        drop(m);
        for mut slot in slots {
            slot.finish(Some(&payload));
        }
        return;
    };
    let payload: Arc<str> = payload.into();
    m.slots.retain_mut(|slot| {
        if !slot.checking {
            slot.deliver(item, &payload);
        } else if slot.held.len() >= HELD_MAX {
            slot.finish(Some(&lagged()));
        } else {
            slot.held.push_back((item.clone(), payload.clone()));
        }
        !slot.members.is_empty()
    });
}

/// A `next` message of subscription `id_json` (its id as JSON) carrying `payload`.
fn next_text(id_json: &str, payload: &str) -> String {
    const HEAD: &str = "{\"id\":";
    const MIDDLE: &str = ",\"type\":\"next\",\"payload\":";
    // Sized at once: one allocation per member and event, no growing.
    let mut text =
        String::with_capacity(HEAD.len() + id_json.len() + MIDDLE.len() + payload.len() + 1);
    text.push_str(HEAD);
    text.push_str(id_json);
    text.push_str(MIDDLE);
    text.push_str(payload);
    text.push('}');
    text
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
    let slots = {
        let mut m = group.members();
        m.ended = true;
        std::mem::take(&mut m.slots)
    };
    group.phase.send_replace(Phase::Ended);
    for slot in slots {
        slot.settled.send_replace(true);
        for x in slot.members {
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
