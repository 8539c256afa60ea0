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
    ChecklistItem, Currency, Idea, IdeaBoard, KanbanMutation, KanbanQuery, Lane, Pipeline, Task,
    TaskAttachment, TaskCategory, TaskComment, TaskGroup, TaskReminder, Ticket, TicketNote,
    WorkspaceLink,
};
pub use loader::{
    LanePage, LaneTicketsLoader, LaneTotalsLoader, Loaders, PipelineCurrencyLoader,
    PipelineLanesLoader, TicketTagsLoader,
};

use kernel::purge::TenantTable;

const OF_TICKETS: &str = "agency_id = $1 AND ticket_id IN (SELECT id FROM tickets WHERE agency_id = $1 AND sub_account_id = $2)";
const OF_TASKS: &str = "agency_id = $1 AND task_id IN (SELECT id FROM tasks WHERE agency_id = $1 AND sub_account_id = $2)";

/// Kanban's tables in the order removing a tenant deletes them (children first; tickets before
/// the CRM's contacts and tags).
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable::child("ticket_tags", OF_TICKETS),
    TenantTable::child("ticket_notes", OF_TICKETS),
    TenantTable::child("ticket_lane_entries", OF_TICKETS),
    TenantTable::data("tickets"),
    TenantTable::data("lanes"),
    TenantTable::data("pipelines"),
    TenantTable::child("task_history", OF_TASKS),
    TenantTable::child("task_reminders", OF_TASKS),
    TenantTable::child("task_attachments", OF_TASKS),
    TenantTable::child("task_comments", OF_TASKS),
    TenantTable::child("task_checklist_items", OF_TASKS),
    TenantTable::data("tasks"),
    TenantTable::data("task_groups"),
    TenantTable::data("task_categories"),
    TenantTable::child(
        "idea_votes",
        "agency_id = $1 AND idea_id IN (SELECT id FROM ideas WHERE agency_id = $1 AND sub_account_id = $2)",
    ),
    TenantTable::data("ideas"),
    TenantTable::data("idea_boards"),
    TenantTable::data("workspace_links"),
];
