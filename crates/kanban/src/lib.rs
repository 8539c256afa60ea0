//! Canopy kanban: the pipelines of a sub-account, their ordered lanes and tickets (deals) with
//! values, contacts, assignees, tags, notes and won/lost outcomes; the board query (a constant
//! number of statements whatever its size) and pipeline stats.

pub mod entity;
pub mod graphql;
pub mod loader;
pub mod service;

pub use graphql::{KanbanMutation, KanbanQuery, Lane, Pipeline, Ticket, TicketNote};
pub use loader::{LaneTicketsLoader, LaneTotalsLoader, PipelineLanesLoader, TicketTagsLoader};
