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

// Each sub-account table's node kind and the permissions that read and write it: what
// `tenancy::guard` checks whenever a service loads, enters or records. Events about pipelines,
// lanes and tickets carry the pipeline's id (live boards follow a pipeline).
use kernel::id::{NodeKind, gid};
tenancy::sub_account_data!(
    pipeline::Entity,
    NodeKind::Pipeline,
    PipelinesRead,
    PipelinesWrite,
    |row, payload| {
        payload["pipelineId"] = gid(NodeKind::Pipeline, row.id).to_string().into();
    }
);
tenancy::sub_account_data!(
    lane::Entity,
    NodeKind::Lane,
    PipelinesRead,
    PipelinesWrite,
    |row, payload| {
        payload["pipelineId"] = gid(NodeKind::Pipeline, row.pipeline_id).to_string().into();
    }
);
tenancy::sub_account_data!(
    ticket::Entity,
    NodeKind::Ticket,
    PipelinesRead,
    PipelinesWrite,
    |row, payload| {
        payload["pipelineId"] = gid(NodeKind::Pipeline, row.pipeline_id).to_string().into();
    }
);
tenancy::sub_account_data!(task::Entity, NodeKind::Task, PipelinesRead, PipelinesWrite);
tenancy::sub_account_data!(
    task_group::Entity,
    NodeKind::TaskGroup,
    PipelinesRead,
    PipelinesWrite
);
tenancy::sub_account_data!(
    task_category::Entity,
    NodeKind::TaskCategory,
    PipelinesRead,
    PipelinesWrite
);
tenancy::sub_account_data!(
    idea_board::Entity,
    NodeKind::IdeaBoard,
    PipelinesRead,
    PipelinesWrite
);
tenancy::sub_account_data!(idea::Entity, NodeKind::Idea, PipelinesRead, PipelinesWrite);
tenancy::sub_account_data!(
    workspace_link::Entity,
    NodeKind::WorkspaceLink,
    PipelinesRead,
    PipelinesWrite
);
tenancy::child_data!(checklist_item::Entity, task::Entity, task_id);
tenancy::child_data!(task_comment::Entity, task::Entity, task_id);
tenancy::child_data!(task_attachment::Entity, task::Entity, task_id);
tenancy::child_data!(task_reminder::Entity, task::Entity, task_id);
tenancy::child_data!(ticket_note::Entity, ticket::Entity, ticket_id);
