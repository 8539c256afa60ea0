//! SeaORM entities of the kanban crate, one file per table.

pub mod lane;
pub mod lane_entry;
pub mod pipeline;
pub mod ticket;
pub mod ticket_note;
pub mod ticket_tag;
