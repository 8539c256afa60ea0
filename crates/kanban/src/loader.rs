//! Per-request dataloaders of the kanban crate (installed on each request by [`Loaders`],
//! cached per request; see `kernel::loader`). With them a board costs the same statements for
//! any number of lanes and tickets.

use crate::entity::{lane, pipeline, ticket, ticket_tag};
use crate::service::stats::{Total, lane_totals};
use async_graphql::SelectionField;
use async_graphql::dataloader::{LoadedMap, Loader};
use async_graphql::extensions::ExtensionContext;
use kernel::loader::{RequestLoaders, cached, clear};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use uuid::Uuid;

fn upgrade(
    tx: &Weak<DatabaseTransaction>,
) -> Result<Arc<DatabaseTransaction>, async_graphql::Error> {
    tx.upgrade()
        .ok_or_else(|| kernel::Error::internal("loader used after its request ended").into())
}

macro_rules! loader {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name {
            tx: Weak<DatabaseTransaction>,
            agency_id: Option<Uuid>,
        }

        impl $name {
            /// A loader on the request's transaction and tenant.
            pub fn new(tx: Weak<DatabaseTransaction>, agency_id: Option<Uuid>) -> Self {
                Self { tx, agency_id }
            }
        }
    };
}

loader!(
    PipelineLanesLoader,
    "Loads the lanes of many pipelines, in order, in one query."
);
loader!(
    PipelineCurrencyLoader,
    "Loads the currencies of many pipelines in one query (for payloads and nodes, which do not read their pipeline)."
);
loader!(
    LaneTotalsLoader,
    "Loads the ticket count and value of many lanes in one query."
);
loader!(
    LaneTicketsLoader,
    "Loads the first tickets of many lanes in one query (a window function)."
);
loader!(
    TicketTagsLoader,
    "Loads the tags of many tickets in one query."
);

impl Loader<Uuid> for PipelineLanesLoader {
    type Value = Vec<lane::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, Self::Value>, Self::Error> {
        let mut out: LoadedMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        let Some(agency_id) = self.agency_id else {
            return Ok(out);
        };
        let tx = upgrade(&self.tx)?;
        let rows = lane::Entity::find()
            .filter(lane::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                lane::Column::PipelineId,
                keys.iter().copied(),
            ))
            .order_by_asc(lane::Column::Rank)
            .order_by_asc(lane::Column::Id)
            .all(&*tx)
            .await
            .map_err(kernel::Error::from)?;
        for l in rows {
            out.entry(l.pipeline_id).or_default().push(l);
        }
        Ok(out)
    }
}

impl Loader<Uuid> for PipelineCurrencyLoader {
    type Value = String;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, String>, Self::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(LoadedMap::default());
        };
        let tx = upgrade(&self.tx)?;
        let rows: Vec<(Uuid, String)> = pipeline::Entity::find()
            .select_only()
            .column(pipeline::Column::Id)
            .column(pipeline::Column::Currency)
            .filter(pipeline::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                pipeline::Column::Id,
                keys.iter().copied(),
            ))
            .into_tuple()
            .all(&*tx)
            .await
            .map_err(kernel::Error::from)?;
        Ok(rows.into_iter().collect())
    }
}

impl Loader<Uuid> for LaneTotalsLoader {
    type Value = Total;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, Total>, Self::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(keys.iter().map(|k| (*k, Total::default())).collect());
        };
        let tx = upgrade(&self.tx)?;
        Ok(lane_totals(&*tx, agency_id, keys).await?)
    }
}

/// The first `limit` tickets of a lane (plus one, to tell whether more follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LaneFirst {
    /// The lane.
    pub lane_id: Uuid,
    /// The page size.
    pub limit: u64,
    /// Whether the page's selection shows no more than [`SLIM_TICKET_FIELDS`] (see
    /// [`is_slim_page`]): its tickets may then be read slim, with only the columns those fields
    /// read. A batch reads whole rows for every key of a page size if one of them needs them.
    pub slim: bool,
}

/// The `Ticket` fields a slim page ([`LaneFirst::slim`]) answers: each reads only the columns
/// that read selects. A board card shows a ticket's title, value, contact, assignee and tags;
/// decoding all 17 columns of each of its hundred tickets was a seventh of the board's
/// instructions.
pub const SLIM_TICKET_FIELDS: &[&str] = &[
    "__typename",
    "id",
    "title",
    "value",
    "contact",
    "assignee",
    "tags",
];

/// Whether a `tickets` connection's selection (fields in fragments too, whatever their type
/// condition) shows its tickets through nothing but [`SLIM_TICKET_FIELDS`]: its `nodes` and
/// its edges' `node` ask for no more, and it asks for nothing the connection does not answer
/// from its own figures (`pageInfo`, `totalCount`, an edge's `cursor`).
pub fn is_slim_page(tickets: &SelectionField<'_>) -> bool {
    kernel::loader::page_selects_only(tickets, SLIM_TICKET_FIELDS)
}

/// The columns a slim page selects (with the lane's figures, `lane_n` and `lane_v`).
#[derive(FromQueryResult)]
struct SlimTicketRow {
    agency_id: Uuid,
    id: Uuid,
    sub_account_id: Uuid,
    pipeline_id: Uuid,
    lane_id: Uuid,
    title: String,
    value_minor: Option<i64>,
    contact_id: Option<Uuid>,
    assignee_id: Option<Uuid>,
    rank: String,
}

/// The columns of [`SlimTicketRow`], in its order.
const SLIM_TICKET_COLUMNS: [ticket::Column; 10] = [
    ticket::Column::AgencyId,
    ticket::Column::Id,
    ticket::Column::SubAccountId,
    ticket::Column::PipelineId,
    ticket::Column::LaneId,
    ticket::Column::Title,
    ticket::Column::ValueMinor,
    ticket::Column::ContactId,
    ticket::Column::AssigneeId,
    ticket::Column::Rank,
];

impl SlimTicketRow {
    /// The row as a ticket whose other columns hold placeholders (`None`, open, the epoch).
    ///
    /// Architecture Invariant: a slim ticket reaches only resolvers of [`SLIM_TICKET_FIELDS`]
    /// and its connection's cursor (the rank and id), as [`is_slim_page`] checked.
    fn into_model(self) -> ticket::Model {
        let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        ticket::Model {
            agency_id: self.agency_id,
            id: self.id,
            sub_account_id: self.sub_account_id,
            pipeline_id: self.pipeline_id,
            lane_id: self.lane_id,
            title: self.title,
            description: None,
            value_minor: self.value_minor,
            contact_id: self.contact_id,
            assignee_id: self.assignee_id,
            due_at: None,
            status: ticket::TicketStatus::Open,
            status_reason: None,
            closed_at: None,
            rank: self.rank,
            created_at: epoch,
            updated_at: epoch,
        }
    }
}

/// The first tickets of a lane, and the count and value of all its tickets (which come in the
/// same statement: a board that shows both pays one query for them).
#[derive(Debug, Clone, Default)]
pub struct LanePage {
    /// The first `limit` tickets, in board order, plus one if more follow.
    pub tickets: Vec<ticket::Model>,
    /// How many tickets the lane holds, and their value.
    pub total: Total,
}

impl Loader<LaneFirst> for LaneTicketsLoader {
    /// Shared: the board reads each page where it primes the lanes' contacts and again where
    /// each lane answers, and a clone of a page is a clone of every ticket's strings.
    type Value = Arc<LanePage>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LaneFirst],
    ) -> Result<LoadedMap<LaneFirst, Self::Value>, Self::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(keys.iter().map(|k| (*k, Arc::default())).collect());
        };
        let tx = upgrade(&self.tx)?;
        // One statement per page size (a board asks for one): slim when every key of that size
        // is, whole otherwise, for its slim keys too. Two selections of one lane's page in one
        // batch (a slim and a whole `tickets` under one response key, whose lists are merged
        // item by item; a board primes all of its selections in one batch) then show the same
        // rows, not two statements' snapshots. (Keys in separate batches, as under two
        // top-level fields, read separate statements, as every repeated field's own reads do.)
        let mut by_limit: HashMap<u64, (Vec<Uuid>, bool)> = HashMap::new();
        for k in keys {
            let (lanes, slim) = by_limit.entry(k.limit).or_insert((Vec::new(), true));
            lanes.push(k.lane_id);
            *slim &= k.slim;
        }
        let mut pages: HashMap<(Uuid, u64), LanePage> = HashMap::new();
        for (limit, (mut lanes, slim)) in by_limit {
            lanes.sort_unstable();
            lanes.dedup();
            let stmt = first_tickets(tx.get_database_backend(), agency_id, &lanes, limit, slim);
            let rows = tx.query_all_raw(stmt).await.map_err(kernel::Error::from)?;
            for row in rows {
                let t = if slim {
                    SlimTicketRow::from_query_result(&row, "").map(SlimTicketRow::into_model)
                } else {
                    ticket::Model::from_query_result(&row, "")
                }
                .map_err(kernel::Error::from)?;
                let count: i64 = row.try_get("", "lane_n").map_err(kernel::Error::from)?;
                let value: Option<i64> = row.try_get("", "lane_v").map_err(kernel::Error::from)?;
                let page = pages.entry((t.lane_id, limit)).or_default();
                page.total = Total {
                    count: u64::try_from(count).unwrap_or(0),
                    value: value.unwrap_or(0),
                };
                page.tickets.push(t);
            }
        }
        let pages: HashMap<(Uuid, u64), Arc<LanePage>> =
            pages.into_iter().map(|(k, p)| (k, Arc::new(p))).collect();
        Ok(keys
            .iter()
            .map(|k| {
                let page = pages.get(&(k.lane_id, k.limit)).cloned();
                (*k, page.unwrap_or_default())
            })
            .collect())
    }
}

/// The first `limit + 1` tickets of each of `lanes` (a window function), each row with its
/// lane's ticket count (`lane_n`) and value (`lane_v`), as `stats::lane_totals` counts them:
/// every column, or when `slim` those of [`SlimTicketRow`]. A lane with no ticket has no row.
fn first_tickets(
    backend: sea_orm::DbBackend,
    agency_id: Uuid,
    lanes: &[Uuid],
    limit: u64,
    slim: bool,
) -> sea_orm::Statement {
    let ranked = Alias::new("ranked");
    // One scan: the rank within the lane and the lane's count and value are windows over the
    // same rows, sorted once (not a grouped second scan joined to it, which costs a join to plan
    // and to run).
    let inner = Query::select()
        .column(Asterisk)
        .expr_as(
            Expr::cust(r#"ROW_NUMBER() OVER (PARTITION BY "lane_id" ORDER BY "rank", "id")"#),
            Alias::new("rn"),
        )
        .expr_as(
            Expr::cust(r#"COUNT(*) OVER (PARTITION BY "lane_id")"#),
            Alias::new("lane_n"),
        )
        .expr_as(
            Expr::cust(r#"CAST(SUM("value_minor") OVER (PARTITION BY "lane_id") AS BIGINT)"#),
            Alias::new("lane_v"),
        )
        .from(ticket::Entity)
        .and_where(Expr::col(ticket::Column::AgencyId).eq(agency_id))
        .and_where(kernel::db::one_of(
            backend,
            ticket::Column::LaneId,
            lanes.iter().copied(),
        ))
        .to_owned();
    let mut outer = Query::select();
    if slim {
        for c in SLIM_TICKET_COLUMNS {
            outer.column((ranked.clone(), c));
        }
        outer
            .column((ranked.clone(), Alias::new("lane_n")))
            .column((ranked.clone(), Alias::new("lane_v")));
    } else {
        outer.column((ranked.clone(), Asterisk));
    }
    let outer = outer
        .from_subquery(inner, ranked.clone())
        .and_where(Expr::col((ranked.clone(), Alias::new("rn"))).lte(limit as i64 + 1))
        .order_by(
            (ranked.clone(), ticket::Column::LaneId),
            sea_orm::Order::Asc,
        )
        .order_by((ranked, Alias::new("rn")), sea_orm::Order::Asc)
        .to_owned();
    backend.build(&outer)
}

impl Loader<Uuid> for TicketTagsLoader {
    type Value = Vec<Arc<crm::entity::tag::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, Self::Value>, Self::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(keys.iter().map(|k| (*k, Vec::new())).collect());
        };
        let tx = upgrade(&self.tx)?;
        let links = ticket_tag::Entity::find()
            .filter(ticket_tag::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                ticket_tag::Column::TicketId,
                keys.iter().copied(),
            ))
            .find_also_related(crm::entity::tag::Entity)
            .order_by_asc(ticket_tag::Column::CreatedAt);
        Ok(crm::loader::tags_by_key(&*tx, links, ticket_tag::Column::TicketId, keys).await?)
    }
}

/// The kanban crate's request loaders: [`PipelineLanesLoader`], [`PipelineCurrencyLoader`],
/// [`LaneTotalsLoader`], [`LaneTicketsLoader`], [`TicketTagsLoader`].
pub struct Loaders;

impl RequestLoaders for Loaders {
    fn install(
        &self,
        request: async_graphql::Request,
        tx: &Weak<DatabaseTransaction>,
        tenant: Option<Uuid>,
    ) -> async_graphql::Request {
        request
            .data(cached(PipelineLanesLoader::new(tx.clone(), tenant)))
            .data(cached(PipelineCurrencyLoader::new(tx.clone(), tenant)))
            .data(cached(LaneTotalsLoader::new(tx.clone(), tenant)))
            .data(cached(LaneTicketsLoader::new(tx.clone(), tenant)))
            .data(cached(TicketTagsLoader::new(tx.clone(), tenant)))
    }

    fn clear(&self, ctx: &ExtensionContext<'_>) {
        clear::<PipelineLanesLoader, Uuid>(ctx);
        clear::<PipelineCurrencyLoader, Uuid>(ctx);
        clear::<LaneTotalsLoader, Uuid>(ctx);
        clear::<LaneTicketsLoader, LaneFirst>(ctx);
        clear::<TicketTagsLoader, Uuid>(ctx);
    }
}
