//! What tickets add to their sub-account's metrics (`kernel::metric`): one created, and one won
//! or lost (with its value, split by the pipeline's currency) on the day it closed, taken back
//! when it reopens, closes the other way or changes its value.

use crate::entity::ticket::TicketStatus;
use crate::entity::{pipeline, ticket};
use kernel::error::Error;
use kernel::metric::{self, Change, Metric};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

/// Records a new ticket.
pub(crate) async fn created(db: &impl ConnectionTrait, t: &ticket::Model) -> Result<(), Error> {
    let change = Change::one(Metric::TicketsCreated, t.created_at);
    metric::count_one(db, t.agency_id, t.sub_account_id, change).await
}

/// Records a ticket's change from `before` to `after`, when it moves a won or lost count.
pub(crate) async fn changed(
    db: &impl ConnectionTrait,
    before: &ticket::Model,
    after: &ticket::Model,
) -> Result<(), Error> {
    let same = before.status == after.status
        && before.closed_at == after.closed_at
        && before.value_minor == after.value_minor;
    if same || (before.status == TicketStatus::Open && after.status == TicketStatus::Open) {
        return Ok(());
    }
    let currency = pipeline::Entity::find()
        .select_only()
        .column(pipeline::Column::Currency)
        .filter(pipeline::Column::AgencyId.eq(after.agency_id))
        .filter(pipeline::Column::Id.eq(after.pipeline_id))
        .into_tuple::<String>()
        .one(db)
        .await?
        .unwrap_or_default();
    let changes = outcome(before, &currency)
        .map(Change::undone)
        .into_iter()
        .chain(outcome(after, &currency));
    metric::count(db, after.agency_id, after.sub_account_id, changes).await
}

/// What a ticket in its state counts: won or lost on the day it closed, with its value.
fn outcome(t: &ticket::Model, currency: &str) -> Option<Change> {
    let metric = match t.status {
        TicketStatus::Open => return None,
        TicketStatus::Won => Metric::TicketsWon,
        TicketStatus::Lost => Metric::TicketsLost,
    };
    let at = t.closed_at.unwrap_or(t.updated_at);
    Some(
        Change::one(metric, at)
            .by(currency)
            .adding(t.value_minor.unwrap_or(0)),
    )
}
