//! SeaORM entities of the kanban crate, one file per table.

pub mod checklist_item;
pub mod idea;
pub mod idea_board;
pub mod idea_vote;
pub mod lane;
pub mod lane_entry;
pub mod pipeline;
pub mod task;
pub mod task_attachment;
pub mod task_category;
pub mod task_change;
pub mod task_comment;
pub mod task_group;
pub mod task_reminder;
pub mod ticket;
pub mod ticket_note;
pub mod ticket_tag;
pub mod workspace_link;
