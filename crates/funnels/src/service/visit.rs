//! Visits and stats: each view of a published page is counted off the request path, and a
//! visitor once per page and day (UTC), by a salted hash that is never tied to an address
//! again once the day's salt is deleted.
//!
//! The request only hands the view to [`Visits::record`] (a bounded channel; a full channel
//! drops the view and counts it in [`Visits::dropped`]). A task of its own hashes each view
//! with the day's salt (`visit_salts`, shared by every replica), keeps a visitor it has not
//! seen today (`funnel_visits`, unique per page, day and visitor: a sighting other replicas
//! made too counts once), and adds the views and new visitors to the page's day
//! (`funnel_page_days`), once a second or every 1,000 views, one transaction per tenant.
//! Views in the channel when the process stops are lost (at most about a second of them).
//! User agents that say they are robots are not counted.

use crate::entity::{funnel, page, page_day, visit, visit_salt};
use chrono::{DateTime, NaiveDate, Utc};
use kernel::auth::Actor;
use kernel::db::TenantGuard;
use kernel::error::Error;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tenancy::guard::{self, Access};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Views waiting to be written, at most.
const QUEUE: usize = 50_000;
/// Views written in one round, at most.
const BATCH: usize = 1_000;
/// Visitors one replica remembers for a day before it leaves deduplication to the database.
const SEEN_MAX: usize = 1_000_000;
/// The longest period the stats cover, in days.
pub const MAX_STATS_DAYS: i64 = 366;

/// The page a view was of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageKey {
    /// The tenant.
    pub agency_id: Uuid,
    /// The sub-account.
    pub sub_account_id: Uuid,
    /// The funnel.
    pub funnel_id: Uuid,
    /// The page.
    pub page_id: Uuid,
}

/// One view of a published page.
#[derive(Debug, Clone)]
pub struct View {
    /// The page.
    pub page: PageKey,
    /// The client's address (hashed, never written).
    pub ip: IpAddr,
    /// The client's user agent (hashed, never written).
    pub user_agent: String,
    /// The host asked for.
    pub host: String,
    /// The `utm_*` parameters of the address.
    pub utm: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// The view counter of one replica.
pub struct Visits {
    tx: mpsc::Sender<View>,
    dropped: AtomicU64,
}

/// The campaign parameters a visitor's address can carry.
pub const UTM_KEYS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// The `utm_*` parameters of a query string (`utm_source=news&…`; blank ones left out, each
/// cut at 200 characters).
pub fn utm_of(query: &str) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(query.split('#').next().unwrap_or_default().as_bytes()) {
        if UTM_KEYS.contains(&k.as_ref()) && !v.trim().is_empty() && !out.contains_key(k.as_ref()) {
            out.insert(
                k.into_owned(),
                Value::String(v.trim().chars().take(200).collect()),
            );
        }
    }
    out
}

/// Whether a user agent says it is a robot (crawlers, link previews, monitors).
pub fn is_robot(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ua.is_empty()
        || [
            "bot", "crawl", "spider", "slurp", "preview", "monitor", "curl/", "wget/",
        ]
        .iter()
        .any(|w| ua.contains(w))
}

impl Visits {
    /// Starts the writer on `db`, writing at least every `flush_every`.
    pub fn start(db: DatabaseConnection, flush_every: Duration) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, rx, flush_every));
        Arc::new(Self {
            tx,
            dropped: AtomicU64::new(0),
        })
    }

    /// Counts a view (robots aside), without waiting.
    pub fn record(&self, view: View) {
        if is_robot(&view.user_agent) {
            return;
        }
        if self.tx.try_send(view).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Views dropped because the writer fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// How often old salts are looked for when there are no views to write.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

async fn run(db: DatabaseConnection, mut rx: mpsc::Receiver<View>, flush_every: Duration) {
    let mut state = Writer::default();
    loop {
        let first = match tokio::time::timeout(SWEEP_EVERY, rx.recv()).await {
            Ok(Some(v)) => v,
            Ok(None) => break,
            Err(_) => {
                if let Err(e) = forget_old_salts(&db, Utc::now().date_naive()).await {
                    tracing::warn!(error = %e.operator_message(), "old visit salts were not deleted");
                }
                continue;
            }
        };
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + flush_every;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(v)) => batch.push(v),
                _ => break,
            }
        }
        if let Err(e) = state.write(&db, batch).await {
            tracing::warn!(error = %e.operator_message(), "visits were not written");
        }
    }
}

#[derive(Default)]
struct Writer {
    salt: Option<(NaiveDate, String)>,
    seen: (Option<NaiveDate>, HashSet<(Uuid, [u8; 16])>),
}

/// A page and a day.
type PageDay = (Uuid, NaiveDate);

/// What one round adds to a page's day.
#[derive(Default)]
struct Tally {
    sub_account_id: Uuid,
    funnel_id: Uuid,
    views: i64,
    visitors: i64,
    first: Vec<([u8; 16], Value)>,
}

impl Writer {
    async fn salt(&mut self, db: &DatabaseConnection, day: NaiveDate) -> Result<String, Error> {
        if let Some((d, s)) = &self.salt
            && *d == day
        {
            return Ok(s.clone());
        }
        let salt = salt_for(db, day).await?;
        if self.salt.as_ref().is_none_or(|(d, _)| *d < day) {
            self.salt = Some((day, salt.clone()));
        }
        Ok(salt)
    }

    async fn write(&mut self, db: &DatabaseConnection, batch: Vec<View>) -> Result<(), Error> {
        // (agency, page, day) -> tally
        let mut tallies: BTreeMap<(Uuid, Uuid, NaiveDate), Tally> = BTreeMap::new();
        for v in batch {
            let day = v.at.date_naive();
            let salt = self.salt(db, day).await?;
            let hash: [u8; 16] = Sha256::new()
                .chain_update(salt.as_bytes())
                .chain_update([0])
                .chain_update(v.ip.to_string().as_bytes())
                .chain_update([0])
                .chain_update(v.user_agent.as_bytes())
                .chain_update([0])
                .chain_update(v.host.as_bytes())
                .finalize()[..16]
                .try_into()
                .unwrap_or_default();
            if self.seen.0 != Some(day) || self.seen.1.len() >= SEEN_MAX {
                self.seen = (Some(day), HashSet::new());
            }
            let t = tallies
                .entry((v.page.agency_id, v.page.page_id, day))
                .or_insert_with(|| Tally {
                    sub_account_id: v.page.sub_account_id,
                    funnel_id: v.page.funnel_id,
                    ..Tally::default()
                });
            t.views += 1;
            // Counted as seen once its row is committed (a failed write leaves it to the next).
            if !self.seen.1.contains(&(v.page.page_id, hash))
                && !t.first.iter().any(|(h, _)| *h == hash)
            {
                t.first.push((hash, v.utm));
            }
        }
        let mut agencies: BTreeMap<Uuid, Vec<(PageDay, Tally)>> = BTreeMap::new();
        for ((agency, page, day), t) in tallies {
            agencies.entry(agency).or_default().push(((page, day), t));
        }
        for (agency_id, pages) in agencies {
            let txn = kernel::db::begin_write(db).await?;
            kernel::db::set_tenant(&txn, TenantGuard::Agency(agency_id)).await?;
            let mut sighted = Vec::new();
            for ((page_id, day), mut t) in pages {
                for (hash, utm) in std::mem::take(&mut t.first) {
                    sighted.push((page_id, hash));
                    let visitor: String = hash.iter().map(|b| format!("{b:02x}")).collect();
                    let inserted = visit::Entity::insert(visit::ActiveModel {
                        agency_id: Set(agency_id),
                        id: Set(kernel::id::new_uuid()),
                        sub_account_id: Set(t.sub_account_id),
                        funnel_id: Set(t.funnel_id),
                        page_id: Set(page_id),
                        day: Set(day),
                        visitor: Set(visitor),
                        utm: Set(utm),
                        created_at: Set(Utc::now()),
                    })
                    .on_conflict(
                        OnConflict::columns([
                            visit::Column::AgencyId,
                            visit::Column::PageId,
                            visit::Column::Day,
                            visit::Column::Visitor,
                        ])
                        .do_nothing()
                        .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await?;
                    t.visitors += i64::try_from(inserted).unwrap_or(0);
                }
                let key = PageKey {
                    agency_id,
                    sub_account_id: t.sub_account_id,
                    funnel_id: t.funnel_id,
                    page_id,
                };
                add_to_day(&txn, key, day, t.views, t.visitors, 0).await?;
            }
            txn.commit().await?;
            self.seen.1.extend(sighted);
        }
        Ok(())
    }
}

/// The salt of `day`, made (once, by whichever replica comes first) when the day has none;
/// salts older than the day before are deleted then (and hourly, whatever the traffic).
async fn salt_for(db: &DatabaseConnection, day: NaiveDate) -> Result<String, Error> {
    if let Some(s) = visit_salt::Entity::find_by_id(day).one(db).await? {
        return Ok(s.salt);
    }
    visit_salt::Entity::insert(visit_salt::ActiveModel {
        day: Set(day),
        salt: Set(kernel::secret::random_token(32)),
    })
    .on_conflict(
        OnConflict::column(visit_salt::Column::Day)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    forget_old_salts(db, day).await?;
    visit_salt::Entity::find_by_id(day)
        .one(db)
        .await?
        .map(|s| s.salt)
        .ok_or_else(|| Error::internal("the day's visit salt is missing"))
}

/// Deletes the salts of days before yesterday (yesterday's stays for views still being
/// written across midnight): from then on, no hash of those days can be tied to an address.
async fn forget_old_salts(db: &DatabaseConnection, today: NaiveDate) -> Result<(), Error> {
    if let Some(yesterday) = today.pred_opt() {
        visit_salt::Entity::delete_many()
            .filter(visit_salt::Column::Day.lt(yesterday))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Adds to a page's counts of a day, on `db` (a transaction in the page's tenant).
pub(crate) async fn add_to_day(
    db: &impl ConnectionTrait,
    page: PageKey,
    day: NaiveDate,
    views: i64,
    visitors: i64,
    submissions: i64,
) -> Result<(), Error> {
    let plus = |c: page_day::Column| {
        Expr::col((page_day::Entity, c)).add(Expr::col((Alias::new("excluded"), c)))
    };
    page_day::Entity::insert(page_day::ActiveModel {
        agency_id: Set(page.agency_id),
        sub_account_id: Set(page.sub_account_id),
        funnel_id: Set(page.funnel_id),
        page_id: Set(page.page_id),
        day: Set(day),
        views: Set(views),
        visitors: Set(visitors),
        submissions: Set(submissions),
    })
    .on_conflict(
        OnConflict::columns([
            page_day::Column::AgencyId,
            page_day::Column::PageId,
            page_day::Column::Day,
        ])
        .value(page_day::Column::Views, plus(page_day::Column::Views))
        .value(page_day::Column::Visitors, plus(page_day::Column::Visitors))
        .value(
            page_day::Column::Submissions,
            plus(page_day::Column::Submissions),
        )
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// One page's numbers over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Views.
    pub views: i64,
    /// Visitors: first views of the page by a visitor on a day, summed over the days.
    pub visitors: i64,
    /// Form submissions.
    pub submissions: i64,
}

/// A funnel's numbers over a period: each current page's, in order, and the whole funnel's
/// (pages deleted since included).
#[derive(Debug, Clone)]
pub struct FunnelStats {
    /// The pages, in the funnel's order.
    pub pages: Vec<(page::Model, Counts)>,
    /// All of the funnel's.
    pub total: Counts,
}

/// The funnel's stats from `from` to `to` (UTC days, both included; at most
/// [`MAX_STATS_DAYS`]). Needs `FUNNELS_READ`.
pub async fn stats(
    db: &impl ConnectionTrait,
    actor: &Actor,
    funnel_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<FunnelStats, Error> {
    let f = guard::load::<funnel::Entity>(db, actor, funnel_id, Access::Read).await?;
    if to < from || (to - from).num_days() >= MAX_STATS_DAYS {
        return Err(Error::bad_input(
            Some("to"),
            format!("a period runs forwards and covers at most {MAX_STATS_DAYS} days"),
        ));
    }
    let rows = page_day::Entity::find()
        .filter(page_day::Column::AgencyId.eq(f.agency_id))
        .filter(page_day::Column::FunnelId.eq(f.id))
        .filter(page_day::Column::Day.between(from, to))
        .all(db)
        .await?;
    let mut per_page: BTreeMap<Uuid, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for r in rows {
        let c = per_page.entry(r.page_id).or_default();
        for (sum, n) in [
            (&mut c.views, r.views),
            (&mut c.visitors, r.visitors),
            (&mut c.submissions, r.submissions),
        ] {
            *sum += n;
        }
        total.views += r.views;
        total.visitors += r.visitors;
        total.submissions += r.submissions;
    }
    let pages = page::Entity::find()
        .filter(page::Column::AgencyId.eq(f.agency_id))
        .filter(page::Column::FunnelId.eq(f.id))
        .order_by_asc(page::Column::Rank)
        .order_by_asc(page::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            let c = per_page.remove(&p.id).unwrap_or_default();
            (p, c)
        })
        .collect();
    Ok(FunnelStats { pages, total })
}
