//! GraphQL types of the kanban crate.

use crate::entity::{lane, pipeline, ticket, ticket_note};
use crate::loader::{
    LaneFirst, LaneTicketsLoader, LaneTotalsLoader, PipelineCurrencyLoader, PipelineLanesLoader,
    TicketTagsLoader, is_slim_page,
};
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kernel::connection::Page;
use kernel::id::{NodeKind, gid};
use kernel::loader::{get, prime, prime_keys};
pub use tenancy::graphql::Money;

pub use crate::entity::ticket::TicketStatus;

/// The currency of a lane's or a ticket's money: its pipeline's, known where the pipeline was
/// read (a board, a pipeline's stats), or read only when a money field asks for it (a payload,
/// a node), by [`PipelineCurrencyLoader`]: one statement for all of a request's pipelines.
#[derive(Clone)]
pub enum Currency {
    /// The pipeline's currency (ISO 4217).
    Known(String),
    /// Not read yet: the pipeline's, read on demand.
    OfPipeline,
}

impl Currency {
    /// The currency's code, for a lane or ticket of `pipeline_id`.
    async fn code(
        &self,
        ctx: &Context<'_>,
        pipeline_id: uuid::Uuid,
    ) -> async_graphql::Result<String> {
        match self {
            Currency::Known(c) => Ok(c.clone()),
            Currency::OfPipeline => Ok(get::<PipelineCurrencyLoader>(ctx)?
                .load_one(pipeline_id)
                .await?
                .unwrap_or_default()),
        }
    }
}

/// A pipeline: a board of lanes holding tickets (deals).
#[derive(Clone)]
pub struct Pipeline(pub pipeline::Model);

impl Pipeline {
    /// The pipeline `id` as the actor may read it (a node). When the selection shows its lanes,
    /// they come in the same statement and go to `PipelineLanesLoader`, where `lanes` reads them.
    pub async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Pipeline, kernel::Error> {
        let (tx, rc) = kernel::db::request(ctx)?;
        if !ctx.look_ahead().field("lanes").exists() {
            return Ok(Pipeline(
                crate::service::pipeline::get(&**tx, &rc.actor, id).await?,
            ));
        }
        let (p, lanes) = crate::service::pipeline::get_with_lanes(&**tx, &rc.actor, id).await?;
        get::<PipelineLanesLoader>(ctx)?.feed_one(p.id, lanes).await;
        Ok(Pipeline(p))
    }
}

/// A pipeline: a board of lanes holding tickets (deals).
#[Object]
impl Pipeline {
    /// The pipeline's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Pipeline, self.0.id)
    }
    /// The name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The currency of every ticket value on the pipeline (ISO 4217).
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// The lanes, in order. A whole board — lanes, their first tickets, and those tickets'
    /// contacts, assignees and tags — costs the same few queries whatever its size.
    async fn lanes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Lane>> {
        let lanes = get::<PipelineLanesLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        prime_board(ctx, &lanes).await?;
        Ok(lanes
            .into_iter()
            .map(|l| Lane(l, Currency::Known(self.0.currency.clone())))
            .collect())
    }
    /// Counts and values per lane, tickets won and lost in a period, and conversion from each
    /// lane to the next.
    async fn stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start of the period for won and lost tickets (default: 30 days ago).")]
        from: Option<DateTime<Utc>>,
        #[graphql(desc = "End of the period, exclusive (default: now).")] to: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<PipelineStats> {
        let (tx, _) = kernel::db::request(ctx)?;
        let to = to.unwrap_or_else(Utc::now);
        let from = from.unwrap_or(to - chrono::Duration::days(30));
        if from >= to {
            return Err(
                kernel::Error::bad_input(Some("from"), "`from` must be before `to`").into(),
            );
        }
        let s = crate::service::stats::of(&**tx, &self.0, from, to).await?;
        let money = |v: i64| Money {
            amount: v,
            currency: self.0.currency.clone(),
        };
        Ok(PipelineStats {
            lanes: s
                .lanes
                .into_iter()
                .map(|(l, t)| LaneStat {
                    lane: Lane(l, Currency::Known(self.0.currency.clone())),
                    count: t.count,
                    value: money(t.value),
                })
                .collect(),
            won_count: s.won.count,
            won_value: money(s.won.value),
            lost_count: s.lost.count,
            lost_value: money(s.lost.value),
            conversions: s
                .conversions
                .into_iter()
                .map(|c| LaneConversion {
                    from: Lane(c.from, Currency::Known(self.0.currency.clone())),
                    to: Lane(c.to, Currency::Known(self.0.currency.clone())),
                    entered: c.entered,
                    advanced: c.advanced,
                    rate: if c.entered == 0 {
                        0.0
                    } else {
                        c.advanced as f64 / c.entered as f64
                    },
                })
                .collect(),
        })
    }
    /// When the pipeline was archived, if it was.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }
    /// When the pipeline was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Loads, in one batch per kind, everything a board shows below its lanes: lane totals, the
/// first page of every lane, and those tickets' contacts, assignees and tags.
async fn prime_board(ctx: &Context<'_>, lanes: &[lane::Model]) -> async_graphql::Result<()> {
    let la = ctx.look_ahead();
    let ids: Vec<uuid::Uuid> = lanes.iter().map(|l| l.id).collect();
    let totals = la.field("ticketCount").exists() || la.field("ticketValue").exists();
    let tickets = la.field("tickets");
    let mut limits = Vec::new();
    for f in tickets.selection_fields() {
        let args = f.arguments()?;
        let arg = |name: &str| {
            args.iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, v)| v)
        };
        let paged = ["after", "before", "last"]
            .iter()
            .any(|n| arg(n).is_some_and(|v| *v != async_graphql::Value::Null));
        if paged {
            continue;
        }
        let first = match arg("first") {
            Some(async_graphql::Value::Number(n)) => n.as_u64(),
            _ => Some(kernel::connection::DEFAULT_PAGE_SIZE),
        };
        if let Some(n) = first.filter(|n| *n <= kernel::connection::MAX_PAGE_SIZE) {
            // Read as `Lane.tickets` reads this selection's page.
            limits.push((n, is_slim_page(&f)));
        }
    }
    if limits.is_empty() {
        if totals {
            prime::<LaneTotalsLoader>(ctx, ids).await?;
        }
        return Ok(());
    }
    let keys: Vec<LaneFirst> = limits
        .iter()
        .flat_map(|(limit, slim)| {
            ids.iter().map(|l| LaneFirst {
                lane_id: *l,
                limit: *limit,
                slim: *slim,
            })
        })
        .collect();
    let loaded = get::<LaneTicketsLoader>(ctx)?
        .load_many(keys.clone())
        .await?;
    // The lanes' totals came with their tickets.
    get::<LaneTotalsLoader>(ctx)?
        .feed_many(loaded.iter().map(|(k, page)| (k.lane_id, page.total)))
        .await;
    let rows: Vec<&ticket::Model> = loaded.values().flat_map(|p| &p.tickets).collect();
    let node = |f: &str| {
        tickets.field("nodes").field(f).exists()
            || tickets.field("edges").field("node").field(f).exists()
    };
    // (`prime` loads each key once, however often it is listed.)
    // The contacts slim (their names' columns only) when every selection of them asks for no
    // more: `Ticket.contact` decides the same for its own selection.
    let contacts: Vec<_> = [tickets.field("nodes"), tickets.field("edges").field("node")]
        .iter()
        .flat_map(|n| n.field("contact").selection_fields())
        .collect();
    if !contacts.is_empty() {
        let ids = rows.iter().filter_map(|t| t.contact_id);
        if contacts.iter().all(crm::is_slim) {
            prime_keys::<crm::ContactLoader, _>(ctx, ids.map(crm::Slim).collect()).await?;
        } else {
            prime::<crm::ContactLoader>(ctx, ids.collect()).await?;
        }
    }
    if node("assignee") {
        let ids = rows.iter().filter_map(|t| t.assignee_id).collect();
        prime::<identity::UserLoader>(ctx, ids).await?;
    }
    if node("tags") {
        prime::<TicketTagsLoader>(ctx, rows.iter().map(|t| t.id).collect()).await?;
    }
    Ok(())
}

/// A lane of a pipeline (with the pipeline's currency).
#[derive(Clone)]
pub struct Lane(pub lane::Model, pub Currency);

/// A lane of a pipeline: an ordered column of tickets.
#[Object]
impl Lane {
    /// The lane's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Lane, self.0.id)
    }
    /// The name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// How many tickets the lane holds.
    async fn ticket_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(get::<LaneTotalsLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .count)
    }
    /// The sum of the values of the lane's tickets.
    async fn ticket_value(&self, ctx: &Context<'_>) -> async_graphql::Result<Money> {
        Ok(Money {
            amount: get::<LaneTotalsLoader>(ctx)?
                .load_one(self.0.id)
                .await?
                .unwrap_or_default()
                .value,
            currency: self.1.code(ctx, self.0.pipeline_id).await?,
        })
    }
    /// The lane's tickets in board order.
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n tickets (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return tickets after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n tickets (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return tickets before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<TicketConnection> {
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) = if page.after.is_none() && page.before.is_none() && !page.backward
        {
            // The first page, batched across the board, with the lane's total; slim when this
            // selection shows no more of its tickets than a card does.
            let first = get::<LaneTicketsLoader>(ctx)?
                .load_one(LaneFirst {
                    lane_id: self.0.id,
                    limit: page.limit,
                    slim: is_slim_page(&ctx.field()),
                })
                .await?
                .unwrap_or_default();
            let (rows, info) =
                page.finish_with(first.tickets.clone(), crate::service::ticket::cursor);
            (rows, info, Some(first.total.count))
        } else {
            let (tx, _) = kernel::db::request(ctx)?;
            // Boxed, as every statement in a `Lane` field (see `kernel::boxed`).
            let later = crate::service::ticket::page_of_lane(&**tx, &self.0, &page);
            let (rows, info) = kernel::boxed(later).await?;
            (rows, info, None)
        };
        let total = match total {
            Some(n) => n,
            None if kernel::connection::wants_total_count(ctx) => {
                get::<LaneTotalsLoader>(ctx)?
                    .load_one(self.0.id)
                    .await?
                    .unwrap_or_default()
                    .count
            }
            None => 0,
        };
        let currency = self.1.clone();
        Ok(TicketConnection::build_with(
            rows.into_iter()
                .map(|t| Ticket(t, currency.clone()))
                .collect(),
            info,
            total,
            |t| crate::service::ticket::cursor(&t.0),
        ))
    }
    /// The pipeline the lane belongs to.
    async fn pipeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Pipeline> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let p = kernel::boxed(crate::service::pipeline::get(
            &**tx,
            &rc.actor,
            self.0.pipeline_id,
        ));
        Ok(Pipeline(p.await?))
    }
}

/// A ticket (deal) on a pipeline (with the pipeline's currency).
#[derive(Clone)]
pub struct Ticket(pub ticket::Model, pub Currency);

/// A ticket (deal) on a pipeline, in one of its lanes.
#[Object]
impl Ticket {
    /// The ticket's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Ticket, self.0.id)
    }
    /// The title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// What the deal is worth, in the pipeline's currency.
    async fn value(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Money>> {
        let Some(amount) = self.0.value_minor else {
            return Ok(None);
        };
        Ok(Some(Money {
            amount,
            currency: self.1.code(ctx, self.0.pipeline_id).await?,
        }))
    }
    /// The contact the deal is with (null if none, if the contact was deleted, or if you may
    /// not read the sub-account's contacts).
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<crm::Contact>> {
        let Some(id) = self.0.contact_id else {
            return Ok(None);
        };
        let (_, rc) = kernel::db::request(ctx)?;
        let scope = kernel::Scope::SubAccount {
            agency_id: self.0.agency_id,
            id: self.0.sub_account_id,
        };
        if !rc.actor.can(kernel::Permission::ContactsRead, scope) {
            return Ok(None);
        }
        // Only the columns its selection reads, when that is a name and means of contact.
        let loader = get::<crm::ContactLoader>(ctx)?;
        let contact = if crm::is_slim(&ctx.field()) {
            loader.load_one(crm::Slim(id)).await?
        } else {
            loader.load_one(id).await?
        };
        Ok(contact.flatten().map(crm::Contact))
    }
    /// The member working the deal.
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        let Some(id) = self.0.assignee_id else {
            return Ok(None);
        };
        Ok(get::<identity::UserLoader>(ctx)?
            .load_one(id)
            .await?
            .map(identity::User))
    }
    /// The ticket's tags, in the order they were put on.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<crm::Tag>> {
        Ok(get::<TicketTagsLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(crm::Tag)
            .collect())
    }
    /// When the deal is due.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    /// Where the deal stands.
    async fn status(&self) -> TicketStatus {
        self.0.status
    }
    /// Why it was won or lost.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    /// When it was won or lost.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// The lane it sits in.
    async fn lane(&self, ctx: &Context<'_>) -> async_graphql::Result<Lane> {
        let (tx, rc) = kernel::db::request(ctx)?;
        // Boxed: a statement's future is kilobytes, and every field of a ticket (a board's
        // hundred titles) is boxed at the size of the largest (see `kernel::boxed`).
        let lane = kernel::boxed(crate::service::lane::get(&**tx, &rc.actor, self.0.lane_id));
        Ok(Lane(lane.await?, self.1.clone()))
    }
    /// The notes on the ticket, newest first.
    async fn notes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n notes (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return notes after (older than) this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n notes (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return notes before (newer than) this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<TicketNoteConnection> {
        let (tx, _) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let with_total = kernel::connection::wants_total_count(ctx);
        let (rows, info, total) = kernel::boxed(crate::service::ticket::notes(
            &**tx, &self.0, page, with_total,
        ))
        .await?;
        Ok(TicketNoteConnection::build(
            rows.into_iter().map(TicketNote).collect(),
            info,
            total,
            |n| n.0.id,
        ))
    }
    /// When the ticket was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the ticket last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

kernel::connection_types!(TicketConnection, TicketEdge, Ticket, "tickets");

/// A note on a ticket.
#[derive(Clone)]
pub struct TicketNote(pub ticket_note::Model);

/// A note on a ticket.
#[Object]
impl TicketNote {
    /// The note's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::TicketNote, self.0.id)
    }
    /// The text.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        let Some(id) = self.0.author_id else {
            return Ok(None);
        };
        Ok(get::<identity::UserLoader>(ctx)?
            .load_one(id)
            .await?
            .map(identity::User))
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

kernel::connection_types!(
    TicketNoteConnection,
    TicketNoteEdge,
    TicketNote,
    "ticket notes"
);

/// A lane's tickets now.
#[derive(SimpleObject, Clone)]
pub struct LaneStat {
    /// The lane.
    pub lane: Lane,
    /// How many tickets it holds.
    pub count: u64,
    /// Their summed value.
    pub value: Money,
}

/// How tickets moved on from one lane to the next.
#[derive(SimpleObject, Clone)]
pub struct LaneConversion {
    /// The earlier lane.
    pub from: Lane,
    /// The next lane.
    pub to: Lane,
    /// Tickets that ever entered `from`.
    pub entered: u64,
    /// Of those, the ones that later entered `to`.
    pub advanced: u64,
    /// `advanced / entered` (0 when none entered).
    pub rate: f64,
}

/// A pipeline's figures.
#[derive(SimpleObject, Clone)]
pub struct PipelineStats {
    /// Per lane, in order.
    pub lanes: Vec<LaneStat>,
    /// Tickets won in the period.
    pub won_count: u64,
    /// Their summed value.
    pub won_value: Money,
    /// Tickets lost in the period.
    pub lost_count: u64,
    /// Their summed value.
    pub lost_value: Money,
    /// From each lane to the next.
    pub conversions: Vec<LaneConversion>,
}
