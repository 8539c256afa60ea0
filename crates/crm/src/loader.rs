//! Per-request dataloaders of the CRM crate (built by the gateway; see `identity::loader`).

use crate::entity::{contact_tag, tag};
use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use std::sync::Weak;
use uuid::Uuid;

/// Loads the tags of many contacts of the request's tenant in one query.
pub struct ContactTagsLoader {
    tx: Weak<DatabaseTransaction>,
    agency_id: Option<Uuid>,
}

impl ContactTagsLoader {
    /// A loader on the request's transaction and tenant.
    pub fn new(tx: Weak<DatabaseTransaction>, agency_id: Option<Uuid>) -> Self {
        Self { tx, agency_id }
    }
}

impl Loader<Uuid> for ContactTagsLoader {
    type Value = Vec<tag::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<tag::Model>>, Self::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(HashMap::new());
        };
        let tx = self
            .tx
            .upgrade()
            .ok_or_else(|| kernel::Error::internal("loader used after its request ended"))?;
        let rows = contact_tag::Entity::find()
            .filter(contact_tag::Column::AgencyId.eq(agency_id))
            .filter(contact_tag::Column::ContactId.is_in(keys.iter().copied()))
            .find_also_related(tag::Entity)
            .order_by_asc(contact_tag::Column::CreatedAt)
            .all(&*tx)
            .await
            .map_err(kernel::Error::from)?;
        let mut out: HashMap<Uuid, Vec<tag::Model>> = HashMap::new();
        for (link, t) in rows {
            if let Some(t) = t {
                out.entry(link.contact_id).or_default().push(t);
            }
        }
        Ok(out)
    }
}
