//! The numbers shown on a sub-account in a list (contacts, open tickets, members), loaded for
//! a whole page at once: contacts and open tickets from the counter rows the database keeps
//! (`sub_account_counters`, maintained by triggers), members by counting memberships. The
//! gateway supplies the reading, on the request's transaction, when it builds this loader.

use async_graphql::dataloader::Loader;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
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

/// The result of one batch.
pub type CountsFuture = Pin<
    Box<dyn Future<Output = Result<HashMap<Uuid, SubAccountCounts>, async_graphql::Error>> + Send>,
>;

/// Loads [`SubAccountCounts`] of many sub-accounts of the request's tenant with one function
/// call (a few grouped statements), whatever the page size.
pub struct SubAccountCountsLoader(Box<dyn Fn(Vec<Uuid>) -> CountsFuture + Send + Sync>);

impl SubAccountCountsLoader {
    /// A loader counting with `count` (sub-account ids in, counts out).
    pub fn new(count: impl Fn(Vec<Uuid>) -> CountsFuture + Send + Sync + 'static) -> Self {
        Self(Box::new(count))
    }
}

impl Loader<Uuid> for SubAccountCountsLoader {
    type Value = SubAccountCounts;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, SubAccountCounts>, Self::Error> {
        let mut out = (self.0)(keys.to_vec()).await?;
        // Every key gets an entry (zeros when it has nothing), so the request's cache answers it.
        for k in keys {
            out.entry(*k).or_default();
        }
        Ok(out)
    }
}
