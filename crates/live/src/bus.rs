//! The live bus: committed events and notifications, published to this replica's subscribers.
//!
//! Nothing is published from inside a request: a follower reads what has been committed.
//! - PostgreSQL: a trigger announces every inserted event and notification on `canopy_live`
//!   (`NOTIFY` is sent at commit, in commit order, never for a rolled-back change); every
//!   replica `LISTEN`s, reads the announced rows by id and broadcasts them. When the listening
//!   connection drops, the follower reconnects and then re-reads the event and notification
//!   tables from shortly before the loss ([`CATCH_UP_MARGIN`] plus the request timeout, the
//!   longest a transaction lives), skipping what it already delivered. If the outage was longer
//!   than it can vouch for, it broadcasts [`Live::Gap`] so subscribers are told, not left to
//!   miss events silently.
//! - SQLite: one process writes, one transaction at a time, so rowids grow in commit order; the
//!   follower reads rows past the last rowid it saw when a request commits a mutation
//!   ([`Bus::poke`]), and every second for writers in other processes (the CLI).
//!
//! The follower also keeps the replica's credential cache true (`kernel::credentials`): it
//! clears what each revocation may have made stale (on PostgreSQL announced on
//! `canopy_credentials`, read without a row; on SQLite found by rowid), and trusts the cache
//! only while it follows: from listening (and catching up) until the connection is lost.
//!
//! Architecture Invariant: subscribers receive only committed data, and every subscriber
//! filters what it receives by what its own actor may read (see `subscriptions`).

use kernel::credentials::Credentials;
use kernel::event::entity as event;
use kernel::notify::entity as notification;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, broadcast, watch};
use uuid::Uuid;

/// How many messages a subscriber may fall behind before it is told it missed some.
pub const CAPACITY: usize = 16_384;
/// Added to the request timeout: how far back a reconnected follower re-reads.
pub const CATCH_UP_MARGIN: Duration = Duration::from_secs(30);
/// How long delivered ids are remembered (to skip them when catching up).
const REMEMBER: Duration = Duration::from_secs(600);
/// How long the listening connection may be quiet before it is checked.
const KEEPALIVE: Duration = Duration::from_secs(30);
/// Most rows of each table re-read by one catch-up (beyond that, subscribers are told).
const CATCH_UP_LIMIT: u64 = 10_000;
/// Most ids fetched by one statement.
const BATCH: usize = 500;

/// One thing a subscriber may hear about.
#[derive(Clone, Debug)]
pub enum Live {
    /// A committed event.
    Event(Arc<event::Model>),
    /// A committed notification.
    Notification(Arc<notification::Model>),
    /// The follower may have missed events (a long outage): subscribers should resubscribe
    /// and refetch.
    Gap,
    /// The server is shutting down.
    Shutdown,
}

/// The bus of one replica.
pub struct Bus {
    tx: broadcast::Sender<Live>,
    poke: Notify,
    stop: watch::Sender<bool>,
    ready: watch::Sender<bool>,
    /// How late each item is broadcast (`canopy_live_lag_seconds`).
    lag: prometheus_client::metrics::histogram::Histogram,
    /// The replica's credential cache, cleared by revocations and trusted while following.
    credentials: Arc<Credentials>,
}

impl Bus {
    /// Starts the follower on a pool of its own (its reads are not the requests'), see the
    /// module docs.
    pub fn start(
        config: &kernel::Config,
        lag: prometheus_client::metrics::histogram::Histogram,
        credentials: Arc<Credentials>,
    ) -> Arc<Self> {
        let (tx, _) = broadcast::channel(CAPACITY);
        let (stop, _) = watch::channel(false);
        let (ready, _) = watch::channel(false);
        let bus = Arc::new(Self {
            tx,
            poke: Notify::new(),
            stop,
            ready,
            lag,
            credentials,
        });
        let follower = bus.clone();
        let config = config.clone();
        let margin = Duration::from_secs(config.request_timeout_secs) + CATCH_UP_MARGIN;
        tokio::spawn(async move {
            let mut stop = follower.stop.subscribe();
            let db = loop {
                match kernel::pool::connect_live_bus(&config, 2).await {
                    Ok(db) => break db,
                    Err(e) => tracing::warn!(error = %e, "live bus: cannot connect; retrying"),
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            };
            // Supervised: should the follower ever fail, subscribers are told (they may have
            // missed events) and it starts again.
            loop {
                let (bus, conn) = (follower.clone(), db.clone());
                let url = config.database_url().to_owned();
                let run = tokio::spawn(async move {
                    match conn.get_database_backend() {
                        DbBackend::Postgres => follow_postgres(bus, conn, url, margin).await,
                        _ => follow_sqlite(bus, conn).await,
                    }
                });
                match run.await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "live bus: the follower failed; restarting");
                        follower.publish(Live::Gap);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
            db.close().await.ok();
        });
        bus
    }

    /// A new receiver of everything published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.tx.subscribe()
    }

    /// How many receivers there are (live subscriptions).
    pub fn receivers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Tells the follower that this replica committed a change (SQLite reads it at once).
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    /// Stops the follower and ends every subscription.
    pub fn stop(&self) {
        self.stop.send_replace(true);
        let _ = self.tx.send(Live::Shutdown);
    }

    /// Completes once the follower has started (on PostgreSQL: is listening), so that a
    /// subscription made now misses nothing committed after it; `false` if that takes longer
    /// than `wait`.
    pub async fn ready(&self, wait: Duration) -> bool {
        let mut rx = self.ready.subscribe();
        matches!(
            tokio::time::timeout(wait, rx.wait_for(|r| *r)).await,
            Ok(Ok(_))
        )
    }

    /// Completes when the bus is stopped.
    pub async fn stopped(&self) {
        let mut rx = self.stop.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }

    fn publish(&self, item: Live) {
        let created = match &item {
            Live::Event(e) => Some(e.occurred_at),
            Live::Notification(n) => Some(n.created_at),
            Live::Gap | Live::Shutdown => None,
        };
        if let Some(at) = created {
            let lag = (chrono::Utc::now() - at)
                .num_microseconds()
                .unwrap_or(i64::MAX);
            #[allow(clippy::cast_precision_loss)]
            self.lag.observe(lag.max(0) as f64 / 1e6);
        }
        // No receivers is not an error: nobody is listening.
        let _ = self.tx.send(item);
    }
}

async fn follow_sqlite(bus: Arc<Bus>, db: DatabaseConnection) {
    let mut stop = bus.stop.subscribe();
    // Start from what exists now (never from 0: that would replay history as live).
    let (mut last_event, mut last_notification) = loop {
        match (
            max_rowid(&db, "events").await,
            max_rowid(&db, "notifications").await,
        ) {
            (Ok(e), Ok(n)) => break (e, n),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "live bus: reading the marks failed; retrying");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    };
    bus.ready.send_replace(true);
    bus.credentials.trust(true);
    loop {
        tokio::select! {
            () = bus.poke.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        // The marks are read before looking for receivers: a subscriber that arrives after
        // this read finds its rows above them.
        let (Ok(e), Ok(n)) = (
            max_rowid(&db, "events").await,
            max_rowid(&db, "notifications").await,
        ) else {
            // Revocations committed meanwhile may go unread: vouch for nothing cached.
            bus.credentials.clear(&kernel::credentials::Class::ALL);
            continue;
        };
        // Whether anyone listens, asked right after the marks: a subscriber that arrives
        // later was not there when the rows up to them were committed.
        let listening = bus.receivers() > 0;
        if e > last_event
            && let Err(err) = clear_credentials_sqlite(&bus, &db, last_event, e).await
        {
            // Nothing cached can be vouched for until the events are read.
            tracing::warn!(error = %err, "live bus: reading revocations failed");
            bus.credentials.clear(&kernel::credentials::Class::ALL);
            continue;
        }
        if !listening {
            // Nobody listens: move the marks without reading rows.
            last_event = e;
            last_notification = n;
            continue;
        }
        // Only up to the marks scanned for revocations: the cache is cleared before any
        // subscriber hears of what cleared it.
        match read_sqlite(&bus, &db, (last_event, e), (last_notification, n)).await {
            Ok((e, n)) => {
                last_event = e;
                last_notification = n;
            }
            Err(e) => tracing::warn!(error = %e, "live bus: reading new rows failed"),
        }
    }
}

/// Clears what the events between rowids `after` and `upto` may have made stale in the
/// credential cache.
async fn clear_credentials_sqlite(
    bus: &Bus,
    db: &DatabaseConnection,
    after: i64,
    upto: i64,
) -> Result<(), sea_orm::DbErr> {
    let types = kernel::credentials::Class::clearing_events();
    let marks = vec!["?"; types.len()].join(", ");
    let mut values: Vec<sea_orm::Value> = vec![after.into(), upto.into()];
    values.extend(types.iter().map(|t| (*t).into()));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!(
                "SELECT DISTINCT event_type FROM events WHERE rowid > ? AND rowid <= ? \
                 AND event_type IN ({marks})"
            ),
            values,
        ))
        .await?;
    for r in rows {
        if let Ok(t) = r.try_get::<String>("", "event_type") {
            bus.credentials.clear_after_wire(&t);
        }
    }
    Ok(())
}

async fn max_rowid(db: &DatabaseConnection, table: &str) -> Result<i64, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT COALESCE(MAX(rowid), 0) AS m FROM {table}"),
        ))
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<i64>("", "m").ok())
        .unwrap_or(0))
}

/// Publishes the events and notifications past the first mark of each pair, up to the second.
async fn read_sqlite(
    bus: &Bus,
    db: &DatabaseConnection,
    events: (i64, i64),
    notifications: (i64, i64),
) -> Result<(i64, i64), sea_orm::DbErr> {
    let last_event = read_past(bus, db, event::Entity, "events", events, |r| {
        Live::Event(Arc::new(r))
    })
    .await?;
    let last_notification = read_past(
        bus,
        db,
        notification::Entity,
        "notifications",
        notifications,
        |r| Live::Notification(Arc::new(r)),
    )
    .await?;
    Ok((last_event, last_notification))
}

/// Publishes the rows of `table` past rowid `last` up to `cap`, in rowid order and in batches;
/// the new mark.
async fn read_past<E: EntityTrait>(
    bus: &Bus,
    db: &DatabaseConnection,
    _: E,
    table: &str,
    (mut last, cap): (i64, i64),
    live: impl Fn(E::Model) -> Live,
) -> Result<i64, sea_orm::DbErr> {
    loop {
        if cap <= last {
            return Ok(last);
        }
        let upto = cap.min(last + BATCH as i64);
        let rows = E::find()
            .from_raw_sql(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("SELECT * FROM {table} WHERE rowid > ? AND rowid <= ? ORDER BY rowid"),
                [last.into(), upto.into()],
            ))
            .all(db)
            .await?;
        for r in rows {
            bus.publish(live(r));
        }
        last = upto;
    }
}

/// Ids already delivered, remembered for [`REMEMBER`].
#[derive(Default)]
struct Seen {
    order: VecDeque<(Instant, Uuid)>,
    set: HashSet<Uuid>,
}

impl Seen {
    /// Remembers `id`; false if it was already delivered.
    fn insert(&mut self, id: Uuid) -> bool {
        let now = Instant::now();
        while let Some((t, old)) = self.order.front() {
            if now.duration_since(*t) < REMEMBER {
                break;
            }
            self.set.remove(old);
            self.order.pop_front();
        }
        if self.set.insert(id) {
            self.order.push_back((now, id));
            true
        } else {
            false
        }
    }
}

async fn follow_postgres(bus: Arc<Bus>, db: DatabaseConnection, url: String, margin: Duration) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut stop = bus.stop.subscribe();
    let mut seen = Seen::default();
    // When the listening connection was lost (None while it is up).
    let mut lost: Option<(Instant, chrono::DateTime<chrono::Utc>)> = None;
    let mut backoff = Duration::from_millis(100);
    // Nothing before the first listen was ever announced to us: catching up never goes back
    // further.
    let mut started: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        let connect = async {
            let mut l = PgListener::connect(&url).await?;
            l.eager_reconnect(false);
            l.listen_all([
                migrations::m20261123_000019_live_bus::CHANNEL,
                migrations::m20261207_000037_credential_bus::CHANNEL,
            ])
            .await?;
            Ok::<_, sea_orm::sqlx::Error>(l)
        };
        let connected = tokio::select! {
            r = connect => Some(r),
            _ = stop.wait_for(|s| *s) => None,
        };
        let mut listener = match connected {
            None => return,
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "live bus: cannot listen; retrying");
                lost.get_or_insert((Instant::now(), chrono::Utc::now()));
                bus.credentials.trust(false);
                let stopped = tokio::select! {
                    () = tokio::time::sleep(backoff) => false,
                    _ = stop.wait_for(|s| *s) => true,
                };
                if stopped {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        let first_listen = *started.get_or_insert_with(chrono::Utc::now);
        bus.ready.send_replace(true);
        let caught_up = lost.is_none();
        if let Some((since, at)) = lost.take() {
            // Listening again: whatever committed while we were deaf is in the tables.
            let from =
                (at - chrono::Duration::from_std(margin).unwrap_or_default()).max(first_listen);
            match catch_up(&bus, &db, &mut seen, from).await {
                Ok((n, complete)) => {
                    tracing::info!(recovered = n, "live bus: listening again; caught up");
                    // What was cached before the loss is gone; what is read from now on is
                    // kept true by what we hear.
                    bus.credentials.trust(true);
                    if !complete || since.elapsed() > REMEMBER / 2 {
                        bus.publish(Live::Gap);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "live bus: catching up failed; retrying");
                    lost = Some((since, at));
                    let stopped = tokio::select! {
                        () = tokio::time::sleep(backoff) => false,
                        _ = stop.wait_for(|s| *s) => true,
                    };
                    if stopped {
                        return;
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
        }
        if caught_up {
            // Listening from the start: every revocation from now on is heard.
            bus.credentials.trust(true);
        }
        backoff = Duration::from_millis(100);
        loop {
            let step = tokio::select! {
                r = listener.try_recv() => Step::Got(r),
                _ = stop.wait_for(|s| *s) => Step::Stop,
                () = tokio::time::sleep(KEEPALIVE) => Step::Quiet,
            };
            let first = match step {
                Step::Stop => return,
                // Quiet for a while: make sure the connection is still there (a dead peer
                // without a reset would otherwise leave us deaf for good).
                Step::Quiet => match sea_orm::sqlx::query("SELECT 1")
                    .execute(&mut listener)
                    .await
                {
                    Ok(_) => continue,
                    Err(e) => Err(e),
                },
                Step::Got(r) => r,
            };
            let first = match first {
                Ok(Some(n)) => n,
                Ok(None) => {
                    tracing::warn!("live bus: the listening connection was lost");
                    lost = Some((Instant::now(), chrono::Utc::now()));
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "live bus: listening failed");
                    lost = Some((Instant::now(), chrono::Utc::now()));
                    break;
                }
            };
            // Revocations clear the cache as they are read, before the events announced
            // with them are published.
            let mut batch = Vec::new();
            let mut next = Some(first);
            while let Some(n) = next {
                if n.channel() == migrations::m20261207_000037_credential_bus::CHANNEL {
                    bus.credentials.clear_after_wire(n.payload());
                } else {
                    batch.push(n.payload().to_owned());
                }
                if batch.len() >= BATCH {
                    break;
                }
                next = listener.next_buffered();
            }
            if batch.is_empty() {
                continue;
            }
            if bus.receivers() == 0 {
                // Nobody listens here: nothing to read, but remember the ids so that a later
                // catch-up does not deliver them.
                for p in &batch {
                    if let Some(id) = p.get(1..).and_then(|s| Uuid::parse_str(s).ok()) {
                        seen.insert(id);
                    }
                }
                continue;
            }
            if let Err(e) = deliver(&bus, &db, &mut seen, &batch).await {
                // The rows are committed: catch up from them once the database answers again.
                tracing::warn!(error = %e, "live bus: reading announced rows failed");
                lost = Some((Instant::now(), chrono::Utc::now()));
                break;
            }
        }
        // Deaf from here until listening and caught up again: nothing cached is vouched for.
        bus.credentials.trust(false);
    }
}

/// What woke the listening loop.
enum Step {
    Got(Result<Option<sea_orm::sqlx::postgres::PgNotification>, sea_orm::sqlx::Error>),
    Stop,
    Quiet,
}

/// Reads announced rows (`e<uuid>` / `n<uuid>`) and publishes them in announcement order.
async fn deliver(
    bus: &Bus,
    db: &impl ConnectionTrait,
    seen: &mut Seen,
    batch: &[String],
) -> Result<(), sea_orm::DbErr> {
    let mut events = Vec::new();
    let mut notifications = Vec::new();
    let mut order = Vec::with_capacity(batch.len());
    for p in batch {
        let (Some(kind), Some(id)) = (p.get(..1), p.get(1..)) else {
            continue;
        };
        let Ok(id) = Uuid::parse_str(id) else {
            continue;
        };
        match kind {
            "e" => events.push(id),
            "n" => notifications.push(id),
            _ => continue,
        }
        order.push(id);
    }
    let mut found: HashMap<Uuid, Live> = HashMap::with_capacity(order.len());
    if !events.is_empty() {
        for r in event::Entity::find()
            .filter(kernel::db::one_of(
                db.get_database_backend(),
                event::Column::Id,
                events,
            ))
            .all(db)
            .await?
        {
            found.insert(r.id, Live::Event(Arc::new(r)));
        }
    }
    if !notifications.is_empty() {
        for r in notification::Entity::find()
            .filter(kernel::db::one_of(
                db.get_database_backend(),
                notification::Column::Id,
                notifications,
            ))
            .all(db)
            .await?
        {
            found.insert(r.id, Live::Notification(Arc::new(r)));
        }
    }
    for id in order {
        if let Some(item) = found.remove(&id)
            && seen.insert(id)
        {
            bus.publish(item);
        }
    }
    Ok(())
}

/// Publishes the events and notifications recorded since `from` that were not delivered yet
/// (at most [`CATCH_UP_LIMIT`] of each; whether that was all of them).
async fn catch_up(
    bus: &Bus,
    db: &impl ConnectionTrait,
    seen: &mut Seen,
    from: chrono::DateTime<chrono::Utc>,
) -> Result<(usize, bool), sea_orm::DbErr> {
    // Ids are UUIDv7: the smallest id of that millisecond bounds the scan by primary key.
    let floor = kernel::id::uuid_floor(from);
    let mut n = 0;
    let events = event::Entity::find()
        .filter(event::Column::Id.gte(floor))
        .order_by_asc(event::Column::Id)
        .limit(CATCH_UP_LIMIT)
        .all(db)
        .await?;
    let notifications = notification::Entity::find()
        .filter(notification::Column::Id.gte(floor))
        .order_by_asc(notification::Column::Id)
        .limit(CATCH_UP_LIMIT)
        .all(db)
        .await?;
    let complete =
        (events.len() as u64) < CATCH_UP_LIMIT && (notifications.len() as u64) < CATCH_UP_LIMIT;
    for r in events {
        if seen.insert(r.id) {
            bus.publish(Live::Event(Arc::new(r)));
            n += 1;
        }
    }
    for r in notifications {
        if seen.insert(r.id) {
            bus.publish(Live::Notification(Arc::new(r)));
            n += 1;
        }
    }
    Ok((n, complete))
}

#[cfg(test)]
mod tests {
    /// The trigger announces exactly the events that clear the credential cache.
    #[test]
    fn the_trigger_announces_every_clearing_event() {
        let mut announced = migrations::m20261207_000037_credential_bus::EVENTS.to_vec();
        let mut clearing = kernel::credentials::Class::clearing_events();
        announced.sort_unstable();
        clearing.sort_unstable();
        assert_eq!(announced, clearing);
    }
}
