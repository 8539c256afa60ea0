//! The kanban crate's GraphQL.

mod mutation;
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
pub use types::{Lane, Money, Pipeline, Ticket, TicketNote, TicketStatus};
pub use workspace::{
    ChecklistItem, Idea, IdeaBoard, Task, TaskAttachment, TaskCategory, TaskComment, TaskGroup,
    TaskReminder, WorkspaceLink, WorkspaceMutation, WorkspaceQuery,
};
