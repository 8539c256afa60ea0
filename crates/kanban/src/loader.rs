//! Per-request dataloaders of the kanban crate (installed on each request by [`Loaders`],
//! cached per request; see `kernel::loader`). With them a board costs the same statements for
//! any number of lanes and tickets.

use crate::entity::{lane, ticket, ticket_tag};
use crate::service::stats::{Total, lane_totals};
use async_graphql::dataloader::Loader;
use async_graphql::extensions::ExtensionContext;
use kernel::loader::{RequestLoaders, cached, clear};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder,
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

/// The first `limit` tickets of a lane (plus one, to tell whether more follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LaneFirst {
    /// The lane.
    pub lane_id: Uuid,
    /// The page size.
    pub limit: u64,
}

impl Loader<LaneFirst> for LaneTicketsLoader {
    type Value = Vec<ticket::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LaneFirst],
    ) -> Result<HashMap<LaneFirst, Self::Value>, Self::Error> {
        let mut out: HashMap<LaneFirst, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        let Some(agency_id) = self.agency_id else {
            return Ok(out);
        };
        let tx = upgrade(&self.tx)?;
        // One query per page size (a board asks for one).
        let mut by_limit: HashMap<u64, Vec<Uuid>> = HashMap::new();
        for k in keys {
            by_limit.entry(k.limit).or_default().push(k.lane_id);
        }
        for (limit, lanes) in by_limit {
            let inner = Query::select()
                .column(Asterisk)
                .expr_as(
                    Expr::cust(
                        r#"ROW_NUMBER() OVER (PARTITION BY "lane_id" ORDER BY "rank", "id")"#,
                    ),
                    Alias::new("rn"),
                )
                .from(ticket::Entity)
                .and_where(Expr::col(ticket::Column::AgencyId).eq(agency_id))
                .and_where(kernel::db::one_of(
                    tx.get_database_backend(),
                    ticket::Column::LaneId,
                    lanes,
                ))
                .to_owned();
            let outer = Query::select()
                .column(Asterisk)
                .from_subquery(inner, Alias::new("ranked"))
                .and_where(Expr::col(Alias::new("rn")).lte(limit as i64 + 1))
                .order_by(Alias::new("lane_id"), sea_orm::Order::Asc)
                .order_by(Alias::new("rn"), sea_orm::Order::Asc)
                .to_owned();
            let stmt = tx.get_database_backend().build(&outer);
            let rows = ticket::Model::find_by_statement(stmt)
                .all(&*tx)
                .await
                .map_err(kernel::Error::from)?;
            for t in rows {
                out.entry(LaneFirst {
                    lane_id: t.lane_id,
                    limit,
                })
                .or_default()
                .push(t);
            }
        }
        Ok(out)
    }
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
