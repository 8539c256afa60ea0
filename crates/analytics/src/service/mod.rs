//! The analytics services: the fold ([`fold`]) and the query ([`series`]).

pub mod fold;
pub mod series;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use kernel::error::Error;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use tenancy::entity::sub_account;
use uuid::Uuid;

/// The time zones of these sub-accounts of `agency_id` (UTC for a zone that does not parse).
pub(crate) async fn zones(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Tz>, Error> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = sub_account::Entity::find()
        .select_only()
        .column(sub_account::Column::Id)
        .column(sub_account::Column::Timezone)
        .filter(sub_account::Column::AgencyId.eq(agency_id))
        .filter(sub_account::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, zone)| (id, zone.parse().unwrap_or(Tz::UTC)))
        .collect())
}

/// The date of `at` in `zone`.
pub(crate) fn day_in(at: DateTime<Utc>, zone: Option<&Tz>) -> NaiveDate {
    match zone {
        Some(z) => at.with_timezone(z).date_naive(),
        None => at.date_naive(),
    }
}
