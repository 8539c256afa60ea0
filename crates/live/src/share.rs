//! Shared live results: the WebSocket subscriptions of one credential (with the same tenant
//! headers) to the same document, operation and variables share one execution on this
//! replica. Each event is checked, resolved and serialised once for the whole group, and
//! each member receives the same payload with its own subscription id spliced in.
//!
//! Why the credential is part of the key: everything a subscription's stream decides (the
//! start-up check, which events its actor may read, the access re-checks after a change,
//! ending with `NOT_FOUND` or `UNAUTHENTICATED`) is a function of the credential, the tenant
//! headers and the request. Members of a group would each have computed the same stream, so
//! sharing it changes nothing they receive. Subscribers with other credentials, even of the
//! same user, run in groups of their own.
//!
//! A member joins only after its own start-up check has passed (the probe in `ws`), so a
//! subscription to something deleted or no longer readable is refused exactly as alone. A
//! member whose connection cannot keep up (its queue, as long as the bus's buffer, is full) is
//! ended with `LAGGED` and leaves; the others are not held back. The group ends when its last
//! member leaves, and takes no one once its stream has delivered an error (its end).
//!
//! Architecture Invariant: a group's members share one credential, tenant headers, document,
//! operation and variables.

use crate::ws::Out;
use async_graphql::{Executor, Request, ServerError, Value, Variables};
use futures_util::StreamExt;
use prometheus_client::metrics::counter::Counter;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::AbortHandle;

/// What identifies a group: who (credential and tenant headers) and what (the request).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) struct Key {
    who: crate::subscriptions::SharingKey,
    query: String,
    operation: Option<String>,
    variables: String,
}

impl Key {
    /// The key of `request`, subscribed by `who` (`LiveSession::sharing_key`); `None` if its
    /// variables cannot be written out (such a subscription runs alone).
    pub(crate) fn of(who: crate::subscriptions::SharingKey, request: &Request) -> Option<Self> {
        Some(Self {
            who,
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
    /// Checking access before it listens.
    Starting,
    /// Listening: a member that joins now misses nothing committed from then on.
    Running,
    /// Done (its stream ended or failed); it takes no members.
    Ended,
}

/// One subscription in a group: where its messages go.
#[derive(Clone)]
struct Member {
    key: u64,
    /// The subscription id, as a JSON string.
    id_json: String,
    id: String,
    generation: u64,
    out: mpsc::Sender<Out>,
}

#[derive(Default)]
struct Members {
    list: Vec<Member>,
    ended: bool,
}

struct Group {
    members: Mutex<Members>,
    phase: watch::Sender<Phase>,
    task: Mutex<Option<AbortHandle>>,
}

impl Group {
    /// Adds `member` unless the group has ended.
    fn admit(&self, member: &Member) -> bool {
        let mut m = self.members.lock().unwrap_or_else(|p| p.into_inner());
        if m.ended {
            return false;
        }
        m.list.push(member.clone());
        true
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
            let mut m = self.group.members.lock().unwrap_or_else(|p| p.into_inner());
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
        let members = groups
            .values()
            .map(|g| g.members.lock().map(|m| m.list.len()).unwrap_or(0))
            .sum();
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
        session: Arc<crate::LiveSession>,
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
        let (group, start) = {
            let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
            match groups.get(&key).filter(|g| g.admit(&entry)) {
                Some(g) => (g.clone(), false),
                None => {
                    // No group, or one that has ended and takes no one: a new one.
                    let g = Arc::new(Group {
                        members: Mutex::new(Members {
                            list: vec![entry],
                            ended: false,
                        }),
                        phase: watch::Sender::new(Phase::Starting),
                        task: Mutex::default(),
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
            let stream =
                schema.execute_stream(key.request(variables).data(session).data(started), None);
            let task = tokio::spawn(run(group.clone(), stream, started_rx, self.renders.clone()));
            *group.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
        }
        let mut phase = group.phase.subscribe();
        let _ = tokio::time::timeout(
            Duration::from_secs(10),
            phase.wait_for(|p| *p != Phase::Starting),
        )
        .await;
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
        let Ok(payload) = serde_json::to_string(&resp) else {
            continue;
        };
        renders.inc();
        // An error from the subscription field ends its stream: no one joins from here on.
        deliver(group, &payload, !resp.errors.is_empty());
    }
}

/// Sends one result to every member (and, if `last`, takes no more members); a member whose
/// connection's queue is full is ended with `LAGGED`, as a subscription alone that fell behind
/// the bus is.
fn deliver(group: &Group, payload: &str, last: bool) {
    let mut m = group.members.lock().unwrap_or_else(|p| p.into_inner());
    if last {
        m.ended = true;
    }
    m.list.retain(|x| {
        let text = format!(
            "{{\"id\":{},\"type\":\"next\",\"payload\":{payload}}}",
            x.id_json
        );
        match x.out.try_send(Out::Text(x.id.clone(), x.generation, text)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(_)) => {
                let (out, id, generation) = (x.out.clone(), x.id.clone(), x.generation);
                let text = format!(
                    "{{\"id\":{},\"type\":\"next\",\"payload\":{}}}",
                    x.id_json,
                    lagged()
                );
                tokio::spawn(async move {
                    if out
                        .send(Out::Text(id.clone(), generation, text))
                        .await
                        .is_ok()
                    {
                        let _ = out.send(Out::Done(id, generation)).await;
                    }
                });
                false
            }
        }
    });
}

/// Ends the group: every member gets `errors` (a request error) or `complete`.
fn end(group: &Group, errors: Option<Vec<ServerError>>) {
    let members = {
        let mut m = group.members.lock().unwrap_or_else(|p| p.into_inner());
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
