//! Per-request dataloaders of the kanban crate (installed on each request by [`Loaders`],
//! cached per request; see `kernel::loader`). With them a board costs the same statements for
//! any number of lanes and tickets.

use crate::entity::{lane, ticket, ticket_tag};
use crate::service::stats::{Total, lane_totals};
use async_graphql::SelectionField;
use async_graphql::dataloader::Loader;
use async_graphql::extensions::ExtensionContext;
use crm::entity::contact;
use identity::entity::user;
use kernel::loader::{RequestLoaders, cached, clear};
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, QueryFilter, QueryOrder,
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

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut out: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
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

impl Loader<Uuid> for LaneTotalsLoader {
    type Value = Total;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Total>, Self::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(keys.iter().map(|k| (*k, Total::default())).collect());
        };
        let tx = upgrade(&self.tx)?;
        Ok(lane_totals(&*tx, agency_id, keys).await?)
    }
}

/// The first `limit` tickets of a lane (plus one, to tell whether more follow), and which of
/// the rows those tickets point at come in the same statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LaneFirst {
    /// The lane.
    pub lane_id: Uuid,
    /// The page size.
    pub limit: u64,
    /// Each ticket's contact, joined as `crm::ContactLoader` reads it (live, in the tenant).
    pub contacts: bool,
    /// Each ticket's assignee, joined as `identity::UserLoader` reads it.
    pub assignees: bool,
}

impl LaneFirst {
    /// The key of a lane's first `limit` tickets for the `tickets` field `field`: it joins
    /// the contacts and the assignees when the field's nodes show them.
    pub fn of(lane_id: Uuid, limit: u64, field: SelectionField<'_>) -> Self {
        let shows = |name: &str| {
            field.selection_set().any(|f| match f.name() {
                "nodes" => f.selection_set().any(|n| n.name() == name),
                "edges" => f
                    .selection_set()
                    .filter(|e| e.name() == "node")
                    .any(|e| e.selection_set().any(|n| n.name() == name)),
                _ => false,
            })
        };
        Self {
            lane_id,
            limit,
            contacts: shows("contact"),
            assignees: shows("assignee"),
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
    /// The tickets' contacts when the key joins them, by id: `None` for one deleted or not
    /// in the tenant (as `crm::ContactLoader` answers).
    pub contacts: Vec<(Uuid, Option<contact::Model>)>,
    /// The tickets' assignees when the key joins them.
    pub assignees: Vec<user::Model>,
}

impl Loader<LaneFirst> for LaneTicketsLoader {
    type Value = LanePage;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LaneFirst],
    ) -> Result<HashMap<LaneFirst, Self::Value>, Self::Error> {
        let mut out: HashMap<LaneFirst, Self::Value> =
            keys.iter().map(|k| (*k, LanePage::default())).collect();
        let Some(agency_id) = self.agency_id else {
            return Ok(out);
        };
        let tx = upgrade(&self.tx)?;
        // One query per page size and joins (a board asks for one).
        let mut by_shape: HashMap<LaneFirst, Vec<Uuid>> = HashMap::new();
        for k in keys {
            let shape = LaneFirst {
                lane_id: Uuid::nil(),
                ..*k
            };
            by_shape.entry(shape).or_default().push(k.lane_id);
        }
        for (shape, lanes) in by_shape {
            let stmt = first_tickets(tx.get_database_backend(), agency_id, &lanes, shape);
            let rows = tx.query_all_raw(stmt).await.map_err(kernel::Error::from)?;
            for row in rows {
                let t = ticket::Model::from_query_result(&row, "").map_err(kernel::Error::from)?;
                let count: i64 = row.try_get("", "lane_n").map_err(kernel::Error::from)?;
                let value: Option<i64> = row.try_get("", "lane_v").map_err(kernel::Error::from)?;
                let page = out
                    .entry(LaneFirst {
                        lane_id: t.lane_id,
                        ..shape
                    })
                    .or_default();
                page.total = Total {
                    count: u64::try_from(count).unwrap_or(0),
                    value: value.unwrap_or(0),
                };
                if let Some(id) = t.contact_id.filter(|_| shape.contacts) {
                    page.contacts.push((id, joined(&row, CONTACT)?));
                }
                if t.assignee_id.is_some() && shape.assignees {
                    page.assignees
                        .extend(joined::<user::Model>(&row, ASSIGNEE)?);
                }
                page.tickets.push(t);
            }
        }
        Ok(out)
    }
}

/// The prefix of the joined contact's columns.
const CONTACT: &str = "contact__";
/// The prefix of the joined assignee's columns.
const ASSIGNEE: &str = "assignee__";

/// The row a left join found (`None` when its id is null), from the columns named `prefix`
/// followed by the model's column names.
fn joined<M: FromQueryResult>(
    row: &sea_orm::QueryResult,
    prefix: &str,
) -> Result<Option<M>, async_graphql::Error> {
    let id: Option<Uuid> = row.try_get(prefix, "id").map_err(kernel::Error::from)?;
    Ok(match id {
        Some(_) => Some(M::from_query_result(row, prefix).map_err(kernel::Error::from)?),
        None => None,
    })
}

/// Left-joins one row of `entity` (aliased `prefix` without its trailing `_`) where `on` holds,
/// selecting each of its columns as `prefix` + name. On PostgreSQL the join is `LATERAL … LIMIT
/// 1`: a primary-key probe per ticket. A plain join let the planner hash the tenant's whole
/// table (10,000 contacts scanned for a board of 100 tickets: 8 ms instead of 1.4).
fn join_columns<E: EntityTrait>(
    q: &mut sea_orm::sea_query::SelectStatement,
    backend: sea_orm::DbBackend,
    entity: E,
    prefix: &str,
    on: Condition,
) {
    let alias = Alias::new(prefix.trim_end_matches('_'));
    if backend == sea_orm::DbBackend::Postgres {
        let one = Query::select()
            .column(Asterisk)
            .from_as(entity, alias.clone())
            .cond_where(on)
            .limit(1)
            .to_owned();
        q.join_lateral(
            sea_orm::JoinType::LeftJoin,
            one,
            alias.clone(),
            Expr::cust("TRUE"),
        );
    } else {
        q.join_as(sea_orm::JoinType::LeftJoin, entity, alias.clone(), on);
    }
    for c in E::Column::iter() {
        q.expr_as(
            Expr::col((alias.clone(), c)),
            Alias::new(format!("{prefix}{}", c.as_str())),
        );
    }
}

/// The first `limit + 1` tickets of each of `lanes` (a window function), each row with its
/// lane's ticket count (`lane_n`) and value (`lane_v`), as `stats::lane_totals` counts them,
/// and the ticket's contact and assignee when `shape` joins them. A lane with no ticket has no
/// row.
fn first_tickets(
    backend: sea_orm::DbBackend,
    agency_id: Uuid,
    lanes: &[Uuid],
    shape: LaneFirst,
) -> sea_orm::Statement {
    let limit = shape.limit;
    let (ranked, totals) = (Alias::new("ranked"), Alias::new("totals"));
    let in_lanes = || kernel::db::one_of(backend, ticket::Column::LaneId, lanes.iter().copied());
    let inner = Query::select()
        .column(Asterisk)
        .expr_as(
            Expr::cust(r#"ROW_NUMBER() OVER (PARTITION BY "lane_id" ORDER BY "rank", "id")"#),
            Alias::new("rn"),
        )
        .from(ticket::Entity)
        .and_where(Expr::col(ticket::Column::AgencyId).eq(agency_id))
        .and_where(in_lanes())
        .to_owned();
    let sums = Query::select()
        .column(ticket::Column::LaneId)
        .expr_as(Expr::col(ticket::Column::Id).count(), Alias::new("n"))
        .expr_as(
            Expr::col(ticket::Column::ValueMinor)
                .sum()
                .cast_as("BIGINT"),
            Alias::new("v"),
        )
        .from(ticket::Entity)
        .and_where(Expr::col(ticket::Column::AgencyId).eq(agency_id))
        .and_where(in_lanes())
        .group_by_col(ticket::Column::LaneId)
        .to_owned();
    let mut outer = Query::select()
        .column((ranked.clone(), Asterisk))
        .expr_as(
            Expr::col((totals.clone(), Alias::new("n"))),
            Alias::new("lane_n"),
        )
        .expr_as(
            Expr::col((totals.clone(), Alias::new("v"))),
            Alias::new("lane_v"),
        )
        .from_subquery(inner, ranked.clone())
        .join_subquery(
            sea_orm::JoinType::InnerJoin,
            sums,
            totals.clone(),
            Expr::col((totals, ticket::Column::LaneId))
                .equals((ranked.clone(), ticket::Column::LaneId)),
        )
        .and_where(Expr::col((ranked.clone(), Alias::new("rn"))).lte(limit as i64 + 1))
        .order_by(
            (ranked.clone(), ticket::Column::LaneId),
            sea_orm::Order::Asc,
        )
        .order_by((ranked.clone(), Alias::new("rn")), sea_orm::Order::Asc)
        .to_owned();
    if shape.contacts {
        let c = Alias::new(CONTACT.trim_end_matches('_'));
        join_columns(
            &mut outer,
            backend,
            contact::Entity,
            CONTACT,
            Condition::all()
                .add(
                    Expr::col((c.clone(), contact::Column::Id))
                        .equals((ranked.clone(), ticket::Column::ContactId)),
                )
                .add(Expr::col((c.clone(), contact::Column::AgencyId)).eq(agency_id))
                .add(Expr::col((c, contact::Column::DeletedAt)).is_null()),
        );
    }
    if shape.assignees {
        let a = Alias::new(ASSIGNEE.trim_end_matches('_'));
        join_columns(
            &mut outer,
            backend,
            user::Entity,
            ASSIGNEE,
            Condition::all()
                .add(Expr::col((a, user::Column::Id)).equals((ranked, ticket::Column::AssigneeId))),
        );
    }
    backend.build(&outer)
}

impl Loader<Uuid> for TicketTagsLoader {
    type Value = Vec<crm::entity::tag::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut out: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        let Some(agency_id) = self.agency_id else {
            return Ok(out);
        };
        let tx = upgrade(&self.tx)?;
        let rows = ticket_tag::Entity::find()
            .filter(ticket_tag::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                ticket_tag::Column::TicketId,
                keys.iter().copied(),
            ))
            .find_also_related(crm::entity::tag::Entity)
            .order_by_asc(ticket_tag::Column::CreatedAt)
            .all(&*tx)
            .await
            .map_err(kernel::Error::from)?;
        for (link, t) in rows {
            if let Some(t) = t {
                out.entry(link.ticket_id).or_default().push(t);
            }
        }
        Ok(out)
    }
}

/// The kanban crate's request loaders: [`PipelineLanesLoader`], [`LaneTotalsLoader`],
/// [`LaneTicketsLoader`], [`TicketTagsLoader`].
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
            .data(cached(LaneTotalsLoader::new(tx.clone(), tenant)))
            .data(cached(LaneTicketsLoader::new(tx.clone(), tenant)))
            .data(cached(TicketTagsLoader::new(tx.clone(), tenant)))
    }

    fn clear(&self, ctx: &ExtensionContext<'_>) {
        clear::<PipelineLanesLoader, Uuid>(ctx);
        clear::<LaneTotalsLoader, Uuid>(ctx);
        clear::<LaneTicketsLoader, LaneFirst>(ctx);
        clear::<TicketTagsLoader, Uuid>(ctx);
    }
}
