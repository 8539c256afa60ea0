//! Per-request dataloaders of the media crate (installed on each request by [`Loaders`],
//! cached per request; see `kernel::loader`): a page of files costs one statement for what
//! uses them all, and a task's attachments one for their library files.

use crate::entity::{file, usage};
use async_graphql::dataloader::{LoadedMap, Loader};
use async_graphql::extensions::ExtensionContext;
use kernel::loader::{RequestLoaders, cached, clear};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use std::sync::Weak;
use uuid::Uuid;

/// Loads what uses many files, in one query.
pub struct UsesLoader {
    tx: Weak<DatabaseTransaction>,
    agency_id: Option<Uuid>,
}

impl Loader<Uuid> for UsesLoader {
    type Value = Vec<usage::Model>;
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
        let rows = usage::Entity::find()
            .filter(usage::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                usage::Column::FileId,
                keys.iter().copied(),
            ))
            .order_by_asc(usage::Column::Id)
            .all(&*tx)
            .await
            .map_err(kernel::Error::from)?;
        for u in rows {
            out.entry(u.file_id).or_default().push(u);
        }
        Ok(out)
    }
}

/// Loads files by id, in one query. The rows are the tenant's; the caller checks the actor may
/// read each (`tenancy::guard::check`).
pub struct FilesLoader {
    tx: Weak<DatabaseTransaction>,
    agency_id: Option<Uuid>,
}

impl Loader<Uuid> for FilesLoader {
    type Value = file::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, Self::Value>, Self::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(LoadedMap::default());
        };
        let tx = self
            .tx
            .upgrade()
            .ok_or_else(|| kernel::Error::internal("loader used after its request ended"))?;
        let rows = file::Entity::find()
            .filter(file::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                file::Column::Id,
                keys.iter().copied(),
            ))
            .all(&*tx)
            .await
            .map_err(kernel::Error::from)?;
        Ok(rows.into_iter().map(|f| (f.id, f)).collect())
    }
}

/// The media crate's loaders, for the gateway's list.
pub struct Loaders;

impl RequestLoaders for Loaders {
    fn install(
        &self,
        request: async_graphql::Request,
        tx: &Weak<DatabaseTransaction>,
        tenant: Option<Uuid>,
    ) -> async_graphql::Request {
        request
            .data(cached(UsesLoader {
                tx: tx.clone(),
                agency_id: tenant,
            }))
            .data(cached(FilesLoader {
                tx: tx.clone(),
                agency_id: tenant,
            }))
    }

    fn clear(&self, ctx: &ExtensionContext<'_>) {
        clear::<UsesLoader, Uuid>(ctx);
        clear::<FilesLoader, Uuid>(ctx);
    }
}
