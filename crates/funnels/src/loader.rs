//! Per-request dataloaders of the funnels crate (installed on each request by [`Loaders`],
//! cached per request; see `kernel::loader`): a list of funnels costs one statement for all
//! their pages.

use crate::entity::page;
use async_graphql::dataloader::{LoadedMap, Loader};
use async_graphql::extensions::ExtensionContext;
use kernel::loader::{RequestLoaders, cached, clear};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use std::sync::Weak;
use uuid::Uuid;

/// Loads the pages of many funnels, in order, in one query.
pub struct FunnelPagesLoader {
    tx: Weak<DatabaseTransaction>,
    agency_id: Option<Uuid>,
}

impl Loader<Uuid> for FunnelPagesLoader {
    type Value = Vec<page::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, Self::Value>, Self::Error> {
        let mut out: LoadedMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        let Some(agency_id) = self.agency_id else {
            return Ok(out);
        };
        let tx = self
            .tx
            .upgrade()
            .ok_or_else(|| kernel::Error::internal("loader used after its request ended"))?;
        let rows = page::Entity::find()
            .filter(page::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                page::Column::FunnelId,
                keys.iter().copied(),
            ))
            .order_by_asc(page::Column::Rank)
            .order_by_asc(page::Column::Id)
            .all(&*tx)
            .await
            .map_err(kernel::Error::from)?;
        for p in rows {
            out.entry(p.funnel_id).or_default().push(p);
        }
        Ok(out)
    }
}

/// The funnels crate's loaders, for the gateway's list.
pub struct Loaders;

impl RequestLoaders for Loaders {
    fn install(
        &self,
        request: async_graphql::Request,
        tx: &Weak<DatabaseTransaction>,
        tenant: Option<Uuid>,
    ) -> async_graphql::Request {
        request.data(cached(FunnelPagesLoader {
            tx: tx.clone(),
            agency_id: tenant,
        }))
    }

    fn clear(&self, ctx: &ExtensionContext<'_>) {
        clear::<FunnelPagesLoader, Uuid>(ctx);
    }
}
