//! The task workspace in GraphQL: tasks (with checklists, comments, attachments, reminders and
//! history), task groups and categories, idea boards and ideas, workspace links.

use super::{id_of, maybe, maybe_id, opt_id};
use crate::entity::{
    checklist_item, idea, idea_board, task, task_attachment, task_category, task_change,
    task_comment, task_group, task_reminder, workspace_link,
};
use crate::service::{task as tasks, workspace};
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use kernel::connection::Page;
use kernel::error::IntoPayload;
use kernel::id::{NodeKind, gid};
use kernel::payload;
use uuid::Uuid;

pub use crate::entity::idea::IdeaStatus;
pub use crate::entity::task::{TaskPriority, TaskStatus};

mod mutation;
mod query;

pub use mutation::WorkspaceMutation;
pub use query::WorkspaceQuery;

/// How often a task repeats.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum RepeatFrequency {
    /// Every day (`FREQ=DAILY`).
    Daily,
    /// Every week (`FREQ=WEEKLY`).
    Weekly,
    /// Every month (`FREQ=MONTHLY`).
    Monthly,
    /// By the RFC 5545 RRULE given in `rule`.
    Custom,
}

/// A repeat rule: a frequency, or `CUSTOM` with an RRULE such as `FREQ=WEEKLY;BYDAY=MO,TH`.
/// Completing a repeating task creates its next occurrence.
#[derive(InputObject, Clone)]
pub struct TaskRepeatInput {
    /// How often.
    pub frequency: RepeatFrequency,
    /// The RRULE, for `CUSTOM`.
    pub rule: Option<String>,
}

impl TaskRepeatInput {
    fn rule(&self) -> String {
        match self.frequency {
            RepeatFrequency::Daily => "FREQ=DAILY".into(),
            RepeatFrequency::Weekly => "FREQ=WEEKLY".into(),
            RepeatFrequency::Monthly => "FREQ=MONTHLY".into(),
            RepeatFrequency::Custom => self.rule.clone().unwrap_or_default(),
        }
    }
}

async fn user(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<identity::User>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(kernel::loader::get::<identity::UserLoader>(ctx)?
        .load_one(id)
        .await?
        .map(identity::User))
}

/// A task of a sub-account's workspace.
#[derive(Clone)]
pub struct Task(pub task::Model);

/// A task of a sub-account's workspace.
#[Object]
impl Task {
    /// The task's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Task, self.0.id)
    }
    /// The title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Where it stands.
    async fn status(&self) -> TaskStatus {
        self.0.status
    }
    /// How urgent it is.
    async fn priority(&self) -> TaskPriority {
        self.0.priority
    }
    /// When it is due.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    /// When it was completed.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// Who works on it.
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        user(ctx, self.0.assignee_id).await
    }
    /// The task group (project) it belongs to.
    async fn group(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TaskGroup>> {
        let Some(id) = self.0.group_id else {
            return Ok(None);
        };
        let (tx, rc) = kernel::db::request(ctx)?;
        Ok(Some(TaskGroup(
            workspace::group(&**tx, &rc.actor, id).await?,
        )))
    }
    /// Its category.
    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TaskCategory>> {
        let Some(id) = self.0.category_id else {
            return Ok(None);
        };
        let (tx, rc) = kernel::db::request(ctx)?;
        Ok(Some(TaskCategory(
            workspace::category(&**tx, &rc.actor, id).await?,
        )))
    }
    /// The task this one is a sub-task of.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Task>> {
        let Some(id) = self.0.parent_id else {
            return Ok(None);
        };
        let (tx, rc) = kernel::db::request(ctx)?;
        Ok(Some(Task(tasks::get(&**tx, &rc.actor, id).await?)))
    }
    /// Its sub-tasks, in order.
    async fn subtasks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Task>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(tasks::subtasks(&**tx, &self.0)
            .await?
            .into_iter()
            .map(Task)
            .collect())
    }
    /// Its repeat rule (RFC 5545 RRULE), if it repeats.
    async fn repeat_rule(&self) -> Option<&str> {
        self.0.repeat_rule.as_deref()
    }
    /// The occurrence created when this repeating task was completed.
    async fn next_occurrence(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Task>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(tasks::next_of(&**tx, &self.0).await?.map(Task))
    }
    /// Its checklist, in order.
    async fn checklist(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ChecklistItem>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(tasks::checklist(&**tx, &self.0)
            .await?
            .into_iter()
            .map(ChecklistItem)
            .collect())
    }
    /// Its comments, oldest first.
    async fn comments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n comments (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return comments after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n comments (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return comments before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<TaskCommentConnection> {
        let (tx, _) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let with_total = kernel::connection::wants_total_count(ctx);
        let (rows, info, total) = tasks::comments(&**tx, &self.0, page, with_total).await?;
        Ok(TaskCommentConnection::build(
            rows.into_iter().map(TaskComment).collect(),
            info,
            total,
            |c| c.0.id,
        ))
    }
    /// Files attached to it.
    async fn attachments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TaskAttachment>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(tasks::attachments(&**tx, &self.0)
            .await?
            .into_iter()
            .map(TaskAttachment)
            .collect())
    }
    /// Its reminders, soonest first.
    async fn reminders(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TaskReminder>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(tasks::reminders(&**tx, &self.0)
            .await?
            .into_iter()
            .map(TaskReminder)
            .collect())
    }
    /// Every change to it, newest first.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n changes (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return changes after (older than) this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n changes (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return changes before (newer than) this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<TaskChangeConnection> {
        let (tx, _) = kernel::db::request(ctx)?;
        let page = Page::new(first, after, last, before)?;
        let with_total = kernel::connection::wants_total_count(ctx);
        let (rows, info, total) = tasks::history(&**tx, &self.0, page, with_total).await?;
        Ok(TaskChangeConnection::build(
            rows.into_iter().map(TaskChange).collect(),
            info,
            total,
            |c| c.0.id,
        ))
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

kernel::connection_types!(TaskConnection, TaskEdge, Task, "tasks");

/// An item of a task's checklist.
#[derive(Clone)]
pub struct ChecklistItem(pub checklist_item::Model);

/// An item of a task's checklist.
#[Object]
impl ChecklistItem {
    /// The item's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::ChecklistItem, self.0.id)
    }
    /// The text.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Whether it is done.
    async fn done(&self) -> bool {
        self.0.done
    }
}

/// A comment on a task.
#[derive(Clone)]
pub struct TaskComment(pub task_comment::Model);

/// A comment on a task.
#[Object]
impl TaskComment {
    /// The comment's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::TaskComment, self.0.id)
    }
    /// The text.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        user(ctx, self.0.author_id).await
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

kernel::connection_types!(
    TaskCommentConnection,
    TaskCommentEdge,
    TaskComment,
    "task comments"
);

/// A file attached to a task (a reference: its name and where it is).
#[derive(Clone)]
pub struct TaskAttachment(pub task_attachment::Model);

/// A file attached to a task (a reference: its name and where it is).
#[Object]
impl TaskAttachment {
    /// The attachment's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::TaskAttachment, self.0.id)
    }
    /// The file's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Where the file is.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// Its media type.
    async fn media_type(&self) -> Option<&str> {
        self.0.media_type.as_deref()
    }
    /// Its size in bytes.
    async fn size_bytes(&self) -> Option<i64> {
        self.0.size_bytes
    }
    /// The media library file it references (null for a plain URL, or when the file was
    /// deleted since, or you may not read the library).
    async fn media_file(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<media::MediaFile>> {
        let Some(id) = self.0.media_file_id else {
            return Ok(None);
        };
        let (_, rc) = kernel::db::request(ctx)?;
        let f = kernel::loader::get::<media::loader::FilesLoader>(ctx)?
            .load_one(id)
            .await?;
        Ok(
            f.filter(|f| tenancy::guard::check(&rc.actor, f, tenancy::guard::Access::Read).is_ok())
                .map(media::MediaFile),
        )
    }
}

/// A reminder of a task for a user, delivered at its time.
#[derive(Clone)]
pub struct TaskReminder(pub task_reminder::Model);

/// A reminder of a task for a user, delivered at its time.
#[Object]
impl TaskReminder {
    /// The reminder's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::TaskReminder, self.0.id)
    }
    /// When to remind.
    async fn remind_at(&self) -> DateTime<Utc> {
        self.0.remind_at
    }
    /// Whom to remind.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        user(ctx, Some(self.0.user_id)).await
    }
    /// When it was delivered.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// Whether it is emailed as well as notified.
    async fn by_email(&self) -> bool {
        self.0.by_email
    }
}

/// A change to a task: who, when, which field, and its old and new value.
#[derive(Clone)]
pub struct TaskChange(pub task_change::Model);

/// A change to a task: who, when, which field, and its old and new value.
#[Object]
impl TaskChange {
    /// What changed (`created`, `title`, `status`, `assigneeId`, `checklist`, …).
    async fn field(&self) -> &str {
        &self.0.field
    }
    /// The value before (ids are UUIDs, times RFC 3339).
    async fn old_value(&self) -> Option<&str> {
        self.0.old_value.as_deref()
    }
    /// The value after.
    async fn new_value(&self) -> Option<&str> {
        self.0.new_value.as_deref()
    }
    /// Who changed it (null for an API key or the system).
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        user(ctx, self.0.actor_id.filter(|_| self.0.actor_kind == "user")).await
    }
    /// `user`, `api_key` or `system`.
    async fn actor_kind(&self) -> &str {
        &self.0.actor_kind
    }
    /// When.
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
}

kernel::connection_types!(
    TaskChangeConnection,
    TaskChangeEdge,
    TaskChange,
    "task changes"
);

/// A task group (a project) of a sub-account's workspace.
#[derive(Clone)]
pub struct TaskGroup(pub task_group::Model);

/// A task group (a project) of a sub-account's workspace.
#[Object]
impl TaskGroup {
    /// The group's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::TaskGroup, self.0.id)
    }
    /// The name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// When it was archived.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }
}

/// A category of tasks.
#[derive(Clone)]
pub struct TaskCategory(pub task_category::Model);

/// A category of tasks.
#[Object]
impl TaskCategory {
    /// The category's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::TaskCategory, self.0.id)
    }
    /// The name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Colour, `#rrggbb`.
    async fn color(&self) -> Option<&str> {
        self.0.color.as_deref()
    }
}

/// A board of ideas that a sub-account's people propose and vote on.
#[derive(Clone)]
pub struct IdeaBoard(pub idea_board::Model);

/// A board of ideas that a sub-account's people propose and vote on.
#[Object]
impl IdeaBoard {
    /// The board's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::IdeaBoard, self.0.id)
    }
    /// The name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Its ideas, most voted first.
    async fn ideas(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Idea>> {
        let (tx, _) = kernel::db::request(ctx)?;
        Ok(workspace::ideas(&**tx, &self.0)
            .await?
            .into_iter()
            .map(Idea)
            .collect())
    }
}

/// An idea on a board.
#[derive(Clone)]
pub struct Idea(pub idea::Model);

/// An idea on a board.
#[Object]
impl Idea {
    /// The idea's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Idea, self.0.id)
    }
    /// The title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The details.
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    /// Where it stands.
    async fn status(&self) -> IdeaStatus {
        self.0.status
    }
    /// How many people voted for it.
    async fn votes(&self) -> i32 {
        self.0.votes
    }
    /// Whether you voted for it.
    async fn voted_by_me(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let (tx, rc) = kernel::db::request(ctx)?;
        Ok(workspace::voted(&**tx, &rc.actor, &self.0).await?)
    }
    /// Who proposed it.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        user(ctx, self.0.author_id).await
    }
}

/// A link (title and URL) of a sub-account's workspace.
#[derive(Clone)]
pub struct WorkspaceLink(pub workspace_link::Model);

/// A link (title and URL) of a sub-account's workspace.
#[Object]
impl WorkspaceLink {
    /// The link's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::WorkspaceLink, self.0.id)
    }
    /// The title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The address.
    async fn url(&self) -> &str {
        &self.0.url
    }
}
