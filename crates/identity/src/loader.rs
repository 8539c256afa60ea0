//! Per-request dataloaders of the identity crate.
//!
//! [`Loaders`] installs them on a request (see `kernel::loader`).
//!
//! Architecture Invariant: loaders are built per request by the gateway and hold a `Weak`
//! reference to the request's transaction, so they never outlive it (a loader holding an `Arc`
//! could keep the transaction alive past the request, and its commit would fail).

use crate::entity::user;
use async_graphql::dataloader::{LoadedMap, Loader};
use async_graphql::extensions::ExtensionContext;
use kernel::loader::{RequestLoaders, cached, clear};
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use std::sync::{Arc, Weak};
use uuid::Uuid;

/// Loads users by id in one query per batch. It does no authorization: callers resolve users
/// they have already been allowed to show (a contact's owner, a key's creator).
pub struct UserLoader {
    tx: Weak<DatabaseTransaction>,
}

impl UserLoader {
    /// A loader on the request's transaction.
    pub fn new(tx: Weak<DatabaseTransaction>) -> Self {
        Self { tx }
    }
}

impl Loader<Uuid> for UserLoader {
    type Value = user::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, user::Model>, Self::Error> {
        let tx: Arc<DatabaseTransaction> = self
            .tx
            .upgrade()
            .ok_or_else(|| kernel::Error::internal("loader used after its request ended"))?;
        let rows = user::Entity::find()
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                user::Column::Id,
                keys.iter().copied(),
            ))
            .all(&*tx)
            .await
            .map_err(kernel::Error::from)?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// The identity crate's request loaders: [`UserLoader`].
pub struct Loaders;

impl RequestLoaders for Loaders {
    fn install(
        &self,
        request: async_graphql::Request,
        tx: &Weak<DatabaseTransaction>,
        _tenant: Option<Uuid>,
    ) -> async_graphql::Request {
        request.data(cached(UserLoader::new(tx.clone())))
    }

    fn clear(&self, ctx: &ExtensionContext<'_>) {
        clear::<UserLoader, Uuid>(ctx);
    }
}
