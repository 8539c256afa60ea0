//! Canopy kanban: the pipelines of a sub-account, their ordered lanes and tickets (deals) with
//! values, contacts, assignees, tags, notes and won/lost outcomes; the board query (a constant
//! number of statements whatever its size) and pipeline stats; and the task workspace (tasks
//! with sub-tasks, checklists, comments, attachments, reminders, repeat rules and history; task
//! groups and categories; idea boards; links).

pub mod entity;
pub mod graphql;
pub mod loader;
pub mod service;
pub mod work;

pub use graphql::{
    ChecklistItem, Idea, IdeaBoard, KanbanMutation, KanbanQuery, Lane, Pipeline, Task,
    TaskAttachment, TaskCategory, TaskComment, TaskGroup, TaskReminder, Ticket, TicketNote,
    WorkspaceLink,
};
pub use loader::{
    LaneTicketsLoader, LaneTotalsLoader, Loaders, PipelineLanesLoader, TicketTagsLoader,
};
