//! The kanban crate's GraphQL.

mod mutation;

use async_graphql::{ID, MaybeUndefined};
use kernel::id::{GlobalId, NodeKind};
use uuid::Uuid;

/// The UUID of a global id of `kind`.
fn id_of(id: &ID, kind: NodeKind) -> Result<Uuid, kernel::Error> {
    GlobalId::parse_as(id, kind)
}

/// The UUID of an optional global id of `kind`.
fn opt_id(id: Option<&ID>, kind: NodeKind) -> Result<Option<Uuid>, kernel::Error> {
    id.map(|i| id_of(i, kind)).transpose()
}

/// An update's id member: omitted (`None`), cleared (`Some(None)`) or set.
fn maybe_id(v: &MaybeUndefined<ID>, kind: NodeKind) -> Result<Option<Option<Uuid>>, kernel::Error> {
    v.clone()
        .map_value(|i| id_of(&i, kind))
        .transpose()
        .map(Into::into)
}

/// An update's member: omitted (`None`), cleared (`Some(None)`) or set.
fn maybe<T: Clone>(v: &MaybeUndefined<T>) -> Option<Option<T>> {
    v.clone().into()
}
mod query;
mod types;
mod workspace;

pub use mutation::BoardMutation;
pub use query::BoardQuery;

/// Kanban queries: boards and the task workspace.
#[derive(async_graphql::MergedObject, Default)]
pub struct KanbanQuery(BoardQuery, WorkspaceQuery);

/// Kanban mutations: boards and the task workspace.
#[derive(async_graphql::MergedObject, Default)]
pub struct KanbanMutation(BoardMutation, WorkspaceMutation);
pub use types::{Currency, Lane, Money, Pipeline, Ticket, TicketNote, TicketStatus};
pub use workspace::{
    ChecklistItem, Idea, IdeaBoard, Task, TaskAttachment, TaskCategory, TaskComment, TaskGroup,
    TaskReminder, WorkspaceLink, WorkspaceMutation, WorkspaceQuery,
};
