//! The numbers shown on a sub-account in a list (contacts, open tickets, members), loaded for
//! a whole page at once, in one statement: contacts and open tickets from the counter rows the
//! database keeps (`sub_account_counters`, maintained by triggers), members by counting
//! memberships.
//!
//! [`Loaders`] is the crate's per-request loaders as one value (see `kernel::loader`).

use async_graphql::dataloader::{LoadedMap, Loader};
use async_graphql::extensions::ExtensionContext;
use kernel::loader::{RequestLoaders, cached, clear};
use sea_orm::DatabaseTransaction;
use std::sync::Weak;
use uuid::Uuid;

/// What a sub-account counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubAccountCounts {
    /// Live contacts.
    pub contacts: i64,
    /// Open tickets.
    pub open_tickets: i64,
    /// Memberships at the sub-account.
    pub members: i64,
}

/// Loads [`SubAccountCounts`] of many sub-accounts of the request's tenant in one statement,
/// whatever the page size.
pub struct SubAccountCountsLoader {
    tx: Weak<DatabaseTransaction>,
    agency_id: Option<Uuid>,
}

impl SubAccountCountsLoader {
    /// A loader on the request's transaction and tenant.
    pub fn new(tx: Weak<DatabaseTransaction>, agency_id: Option<Uuid>) -> Self {
        Self { tx, agency_id }
    }
}

impl Loader<Uuid> for SubAccountCountsLoader {
    type Value = SubAccountCounts;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, SubAccountCounts>, Self::Error> {
        let mut out = match self.agency_id {
            None => LoadedMap::default(),
            Some(agency) => {
                let tx = self.tx.upgrade().ok_or_else(|| {
                    kernel::Error::internal("loader used after its request ended")
                })?;
                crate::service::sub_account::counts(&*tx, agency, keys).await?
            }
        };
        // Every key gets an entry (zeros when it has nothing), so the request's cache answers it.
        for k in keys {
            out.entry(*k).or_default();
        }
        Ok(out)
    }
}

/// The tenancy crate's request loaders: [`SubAccountCountsLoader`].
pub struct Loaders;

impl RequestLoaders for Loaders {
    fn install(
        &self,
        request: async_graphql::Request,
        tx: &Weak<DatabaseTransaction>,
        tenant: Option<Uuid>,
    ) -> async_graphql::Request {
        request.data(cached(SubAccountCountsLoader::new(tx.clone(), tenant)))
    }

    fn clear(&self, ctx: &ExtensionContext<'_>) {
        clear::<SubAccountCountsLoader, Uuid>(ctx);
    }
}
