//! The kanban crate's mutation root.

use super::types::{Currency, Lane, Pipeline, Ticket, TicketNote, TicketStatus};
use super::{id_of, maybe, maybe_id, opt_id};
use crate::service::{lane, pipeline, ticket};
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use kernel::error::IntoPayload;
use kernel::id::NodeKind;
use kernel::payload;

/// Board mutations.
#[derive(Default)]
pub struct BoardMutation;

payload!(PipelinePayload, pipeline: Pipeline, "The pipeline.");
payload!(LanePayload, lane: Lane, "The lane.");
payload!(TicketPayload, ticket: Ticket, "The ticket.");
payload!(TicketNotePayload, note: TicketNote, "The note.");

/// Input of `pipelineCreate`.
#[derive(InputObject)]
pub struct PipelineCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// The name (1 to 100 characters).
    pub name: String,
    /// The ISO 4217 currency of ticket values. Default: `USD`.
    pub currency: Option<String>,
    /// The lanes' names, in order (1 to 30). Default: New, Qualified, Proposal, Negotiation,
    /// Closing.
    pub lanes: Option<Vec<String>>,
}

/// Input of `pipelineMove`.
#[derive(InputObject)]
pub struct PipelineMoveInput {
    /// The pipeline to move.
    pub pipeline_id: ID,
    /// Put it after this pipeline; null: first.
    pub after_pipeline_id: Option<ID>,
}

/// Input of `laneCreate`.
#[derive(InputObject)]
pub struct LaneCreateInput {
    /// The pipeline.
    pub pipeline_id: ID,
    /// The name (1 to 100 characters).
    pub name: String,
    /// Put it after this lane; null: at the end.
    pub after_lane_id: Option<ID>,
}

/// Input of `laneMove`.
#[derive(InputObject)]
pub struct LaneMoveInput {
    /// The lane to move.
    pub lane_id: ID,
    /// Put it after this lane of the same pipeline; null: first.
    pub after_lane_id: Option<ID>,
}

/// Input of `laneDelete`.
#[derive(InputObject)]
pub struct LaneDeleteInput {
    /// The lane to delete.
    pub lane_id: ID,
    /// Where its tickets go (another lane of the same pipeline); needed when it holds any.
    pub move_tickets_to_lane_id: Option<ID>,
}

/// Input of `ticketCreate`.
#[derive(InputObject)]
pub struct TicketCreateInput {
    /// The lane; the ticket goes to its end.
    pub lane_id: ID,
    /// The title (1 to 200 characters).
    pub title: String,
    /// A description (up to 10,000 characters).
    pub description: Option<String>,
    /// The value in minor units of the pipeline's currency.
    pub value: Option<i64>,
    /// A contact of the sub-account.
    pub contact_id: Option<ID>,
    /// A member who works in the sub-account.
    pub assignee_id: Option<ID>,
    /// Tags of the sub-account (at most 50).
    pub tag_ids: Option<Vec<ID>>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
}

/// Input of `ticketUpdate`: omitted members stay as they are; null clears.
#[derive(InputObject)]
pub struct TicketUpdateInput {
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub description: MaybeUndefined<String>,
    /// The value in minor units.
    pub value: MaybeUndefined<i64>,
    /// The contact.
    pub contact_id: MaybeUndefined<ID>,
    /// The assignee.
    pub assignee_id: MaybeUndefined<ID>,
    /// The tags (replacing the current ones).
    pub tag_ids: Option<Vec<ID>>,
    /// When it is due.
    pub due_at: MaybeUndefined<DateTime<Utc>>,
}

/// Input of `ticketMove`.
#[derive(InputObject)]
pub struct TicketMoveInput {
    /// The ticket.
    pub ticket_id: ID,
    /// The lane (of the ticket's pipeline) to move it to; it may be its own.
    pub lane_id: ID,
    /// Put it right after this ticket of that lane; null: at the top.
    pub after_ticket_id: Option<ID>,
}

/// How a deal ended.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TicketOutcome {
    /// Won.
    Won,
    /// Lost.
    Lost,
}

/// Input of `ticketClose`.
#[derive(InputObject)]
pub struct TicketCloseInput {
    /// The ticket.
    pub ticket_id: ID,
    /// Won or lost.
    pub outcome: TicketOutcome,
    /// Why (up to 500 characters).
    pub reason: Option<String>,
}

/// Input of `ticketNoteAdd`.
#[derive(InputObject)]
pub struct TicketNoteAddInput {
    /// The ticket.
    pub ticket_id: ID,
    /// The note (1 to 10,000 characters).
    pub body: String,
}

/// A ticket's payload: its money's currency is read only if the selection shows it.
fn as_ticket(
    r: Result<crate::entity::ticket::Model, kernel::Error>,
) -> Result<Ticket, kernel::Error> {
    Ok(Ticket(r?, Currency::OfPipeline))
}

/// A lane's payload: its money's currency is read only if the selection shows it.
fn as_lane(r: Result<crate::entity::lane::Model, kernel::Error>) -> Result<Lane, kernel::Error> {
    Ok(Lane(r?, Currency::OfPipeline))
}

#[Object]
impl BoardMutation {
    /// Creates a pipeline with its lanes (`PIPELINES_WRITE`; at most 50 per sub-account).
    async fn pipeline_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline.")] input: PipelineCreateInput,
    ) -> async_graphql::Result<PipelinePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        pipeline::create(
            &**tx,
            &rc.actor,
            sub,
            &input.name,
            input.currency.as_deref(),
            input.lanes.as_deref(),
        )
        .await
        .map(|(p, _)| Pipeline(p))
        .into_payload()
    }

    /// Renames a pipeline.
    async fn pipeline_rename(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline's global id.")] id: ID,
        #[graphql(desc = "The new name (1 to 100 characters).")] name: String,
    ) -> async_graphql::Result<PipelinePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        pipeline::rename(&**tx, &rc.actor, id_of(&id, NodeKind::Pipeline)?, &name)
            .await
            .map(Pipeline)
            .into_payload()
    }

    /// Moves a pipeline in its sub-account's list (one row changes).
    async fn pipeline_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline and where it goes.")] input: PipelineMoveInput,
    ) -> async_graphql::Result<PipelinePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.pipeline_id, NodeKind::Pipeline)?;
        let after = opt_id(input.after_pipeline_id.as_ref(), NodeKind::Pipeline)?;
        pipeline::reorder(&**tx, &rc.actor, id, after)
            .await
            .map(Pipeline)
            .into_payload()
    }

    /// Archives a pipeline: hidden from `pipelines`, its tickets kept.
    async fn pipeline_archive(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline's global id.")] id: ID,
    ) -> async_graphql::Result<PipelinePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        pipeline::set_archived(&**tx, &rc.actor, id_of(&id, NodeKind::Pipeline)?, true)
            .await
            .map(Pipeline)
            .into_payload()
    }

    /// Brings an archived pipeline back.
    async fn pipeline_unarchive(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline's global id.")] id: ID,
    ) -> async_graphql::Result<PipelinePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        pipeline::set_archived(&**tx, &rc.actor, id_of(&id, NodeKind::Pipeline)?, false)
            .await
            .map(Pipeline)
            .into_payload()
    }

    /// Adds a lane to a pipeline (at most 30).
    async fn lane_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The lane.")] input: LaneCreateInput,
    ) -> async_graphql::Result<LanePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let p = id_of(&input.pipeline_id, NodeKind::Pipeline)?;
        let after = opt_id(input.after_lane_id.as_ref(), NodeKind::Lane)?;
        let r = lane::create(&**tx, &rc.actor, p, &input.name, after).await;
        as_lane(r).into_payload()
    }

    /// Renames a lane.
    async fn lane_rename(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The lane's global id.")] id: ID,
        #[graphql(desc = "The new name (1 to 100 characters).")] name: String,
    ) -> async_graphql::Result<LanePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let r = lane::rename(&**tx, &rc.actor, id_of(&id, NodeKind::Lane)?, &name).await;
        as_lane(r).into_payload()
    }

    /// Moves a lane within its pipeline (one row changes).
    async fn lane_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The lane and where it goes.")] input: LaneMoveInput,
    ) -> async_graphql::Result<LanePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.lane_id, NodeKind::Lane)?;
        let after = opt_id(input.after_lane_id.as_ref(), NodeKind::Lane)?;
        let r = lane::reorder(&**tx, &rc.actor, id, after).await;
        as_lane(r).into_payload()
    }

    /// Deletes a lane: when it holds tickets, name the lane they move to (`IN_USE` otherwise).
    /// A pipeline keeps at least one lane.
    async fn lane_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The lane and where its tickets go.")] input: LaneDeleteInput,
    ) -> async_graphql::Result<LanePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.lane_id, NodeKind::Lane)?;
        let to = opt_id(input.move_tickets_to_lane_id.as_ref(), NodeKind::Lane)?;
        let r = lane::delete(&**tx, &rc.actor, id, to).await;
        as_lane(r).into_payload()
    }

    /// Creates a ticket at the end of a lane.
    async fn ticket_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket.")] input: TicketCreateInput,
    ) -> async_graphql::Result<TicketPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let lane_id = id_of(&input.lane_id, NodeKind::Lane)?;
        let fields = ticket::TicketFields {
            title: Some(input.title),
            description: input.description,
            value_minor: input.value.map(Some),
            contact_id: opt_id(input.contact_id.as_ref(), NodeKind::Contact)?.map(Some),
            assignee_id: opt_id(input.assignee_id.as_ref(), NodeKind::User)?.map(Some),
            due_at: input.due_at.map(Some),
            tag_ids: input
                .tag_ids
                .map(|t| t.iter().map(|i| id_of(i, NodeKind::Tag)).collect())
                .transpose()?,
        };
        let r = ticket::create(&**tx, &rc.actor, lane_id, fields).await;
        as_ticket(r).into_payload()
    }

    /// Changes a ticket.
    async fn ticket_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: TicketUpdateInput,
    ) -> async_graphql::Result<TicketPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::Ticket)?;
        let fields = ticket::TicketFields {
            title: input.title,
            description: maybe(&input.description).map(Option::unwrap_or_default),
            value_minor: maybe(&input.value),
            contact_id: maybe_id(&input.contact_id, NodeKind::Contact)?,
            assignee_id: maybe_id(&input.assignee_id, NodeKind::User)?,
            due_at: maybe(&input.due_at),
            tag_ids: input
                .tag_ids
                .map(|t| t.iter().map(|i| id_of(i, NodeKind::Tag)).collect())
                .transpose()?,
        };
        let r = ticket::update(&**tx, &rc.actor, id, fields).await;
        as_ticket(r).into_payload()
    }

    /// Moves a ticket to a place in a lane of its pipeline. Only the ticket's row changes;
    /// concurrent moves never lose a ticket or give two the same place.
    async fn ticket_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket and where it goes.")] input: TicketMoveInput,
    ) -> async_graphql::Result<TicketPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.ticket_id, NodeKind::Ticket)?;
        let lane_id = id_of(&input.lane_id, NodeKind::Lane)?;
        let after = opt_id(input.after_ticket_id.as_ref(), NodeKind::Ticket)?;
        let r = ticket::move_to(&**tx, &rc.actor, id, lane_id, after).await;
        as_ticket(r).into_payload()
    }

    /// Marks a ticket won or lost.
    async fn ticket_close(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket and how it ended.")] input: TicketCloseInput,
    ) -> async_graphql::Result<TicketPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.ticket_id, NodeKind::Ticket)?;
        let status = match input.outcome {
            TicketOutcome::Won => TicketStatus::Won,
            TicketOutcome::Lost => TicketStatus::Lost,
        };
        let r = ticket::set_status(&**tx, &rc.actor, id, status, input.reason.as_deref()).await;
        as_ticket(r).into_payload()
    }

    /// Reopens a won or lost ticket.
    async fn ticket_reopen(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket's global id.")] id: ID,
    ) -> async_graphql::Result<TicketPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let r = ticket::set_status(
            &**tx,
            &rc.actor,
            id_of(&id, NodeKind::Ticket)?,
            TicketStatus::Open,
            None,
        )
        .await;
        as_ticket(r).into_payload()
    }

    /// Deletes a ticket with its notes.
    async fn ticket_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket's global id.")] id: ID,
    ) -> async_graphql::Result<TicketPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let r = ticket::delete(&**tx, &rc.actor, id_of(&id, NodeKind::Ticket)?).await;
        as_ticket(r).into_payload()
    }

    /// Adds a note to a ticket.
    async fn ticket_note_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket and the note.")] input: TicketNoteAddInput,
    ) -> async_graphql::Result<TicketNotePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.ticket_id, NodeKind::Ticket)?;
        ticket::note_add(&**tx, &rc.actor, id, &input.body)
            .await
            .map(TicketNote)
            .into_payload()
    }
}
