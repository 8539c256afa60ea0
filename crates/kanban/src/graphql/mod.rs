//! The kanban crate's GraphQL.

mod mutation;
mod query;
mod types;

pub use mutation::KanbanMutation;
pub use query::KanbanQuery;
pub use types::{Lane, Money, Pipeline, Ticket, TicketNote, TicketStatus};
