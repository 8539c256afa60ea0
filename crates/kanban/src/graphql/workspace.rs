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
        let (rows, info) = tasks::comments(&**tx, &self.0, page).await?;
        Ok(TaskCommentConnection::build(
            rows.into_iter().map(TaskComment).collect(),
            info,
            0,
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
        let (rows, info) = tasks::history(&**tx, &self.0, page).await?;
        Ok(TaskChangeConnection::build(
            rows.into_iter().map(TaskChange).collect(),
            info,
            0,
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

/// Which tasks to list.
#[derive(InputObject, Default)]
pub struct TaskFilterInput {
    /// Sub-tasks of this task (otherwise top-level tasks).
    pub parent_id: Option<ID>,
    /// Only this task group.
    pub group_id: Option<ID>,
    /// Only this category.
    pub category_id: Option<ID>,
    /// Only tasks of this assignee.
    pub assignee_id: Option<ID>,
    /// Only this status.
    pub status: Option<TaskStatus>,
}

/// Workspace queries.
#[derive(Default)]
pub struct WorkspaceQuery;

#[Object]
impl WorkspaceQuery {
    /// The tasks of a sub-account of the agency you act in, oldest first. Needs
    /// `PIPELINES_READ`.
    #[allow(clippy::too_many_arguments)]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Which tasks.")] filter: Option<TaskFilterInput>,
        #[graphql(desc = "Return the first n tasks (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return tasks after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n tasks (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return tasks before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<TaskConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&sub_account_id, NodeKind::SubAccount)?;
        let f = filter.unwrap_or_default();
        let filter = tasks::TaskFilter {
            parent_id: opt_id(f.parent_id.as_ref(), NodeKind::Task)?,
            group_id: opt_id(f.group_id.as_ref(), NodeKind::TaskGroup)?,
            category_id: opt_id(f.category_id.as_ref(), NodeKind::TaskCategory)?,
            assignee_id: opt_id(f.assignee_id.as_ref(), NodeKind::User)?,
            status: f.status,
        };
        let page = Page::new(first, after, last, before)?;
        let (rows, info) = tasks::list(&**tx, &rc.actor, sub, filter, page).await?;
        Ok(TaskConnection::build(
            rows.into_iter().map(Task).collect(),
            info,
            0,
            |t| t.0.id,
        ))
    }

    /// The task groups (projects) of a sub-account, in order.
    async fn task_groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Include archived groups (default: false).")] include_archived: Option<
            bool,
        >,
    ) -> async_graphql::Result<Vec<TaskGroup>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&sub_account_id, NodeKind::SubAccount)?;
        Ok(
            workspace::groups(&**tx, &rc.actor, sub, include_archived.unwrap_or(false))
                .await?
                .into_iter()
                .map(TaskGroup)
                .collect(),
        )
    }

    /// The task categories of a sub-account, by name.
    async fn task_categories(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
    ) -> async_graphql::Result<Vec<TaskCategory>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&sub_account_id, NodeKind::SubAccount)?;
        Ok(workspace::categories(&**tx, &rc.actor, sub)
            .await?
            .into_iter()
            .map(TaskCategory)
            .collect())
    }

    /// The idea boards of a sub-account.
    async fn idea_boards(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
    ) -> async_graphql::Result<Vec<IdeaBoard>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&sub_account_id, NodeKind::SubAccount)?;
        Ok(workspace::boards(&**tx, &rc.actor, sub)
            .await?
            .into_iter()
            .map(IdeaBoard)
            .collect())
    }

    /// The workspace links of a sub-account, in order.
    async fn workspace_links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
    ) -> async_graphql::Result<Vec<WorkspaceLink>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&sub_account_id, NodeKind::SubAccount)?;
        Ok(workspace::links(&**tx, &rc.actor, sub)
            .await?
            .into_iter()
            .map(WorkspaceLink)
            .collect())
    }
}

payload!(TaskPayload, task: Task, "The task.");
payload!(ChecklistItemPayload, item: ChecklistItem, "The checklist item.");
payload!(TaskCommentPayload, comment: TaskComment, "The comment.");
payload!(TaskAttachmentPayload, attachment: TaskAttachment, "The attachment.");
payload!(TaskReminderPayload, reminder: TaskReminder, "The reminder.");
payload!(TaskGroupPayload, group: TaskGroup, "The task group.");
payload!(TaskCategoryPayload, category: TaskCategory, "The category.");
payload!(IdeaBoardPayload, board: IdeaBoard, "The idea board.");
payload!(IdeaPayload, idea: Idea, "The idea.");
payload!(WorkspaceLinkPayload, link: WorkspaceLink, "The link.");

/// Input of `taskCreate`.
#[derive(InputObject)]
pub struct TaskCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// Make it a sub-task of this task (one level deep).
    pub parent_id: Option<ID>,
    /// The title (1 to 200 characters).
    pub title: String,
    /// A description (up to 10,000 characters).
    pub description: Option<String>,
    /// A task group (project) of the sub-account.
    pub group_id: Option<ID>,
    /// A category of the sub-account.
    pub category_id: Option<ID>,
    /// A member who works in the sub-account.
    pub assignee_id: Option<ID>,
    /// When it is due (a repeating task's occurrences count from here).
    pub due_at: Option<DateTime<Utc>>,
    /// How urgent. Default: `NORMAL`.
    pub priority: Option<TaskPriority>,
    /// How it repeats.
    pub repeat: Option<TaskRepeatInput>,
}

/// Input of `taskUpdate`: omitted members stay as they are; null clears.
#[derive(InputObject)]
pub struct TaskUpdateInput {
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub description: MaybeUndefined<String>,
    /// The task group.
    pub group_id: MaybeUndefined<ID>,
    /// The category.
    pub category_id: MaybeUndefined<ID>,
    /// The assignee.
    pub assignee_id: MaybeUndefined<ID>,
    /// When it is due.
    pub due_at: MaybeUndefined<DateTime<Utc>>,
    /// How urgent.
    pub priority: Option<TaskPriority>,
    /// Where it stands (`DONE` completes it, like `taskComplete`).
    pub status: Option<TaskStatus>,
    /// How it repeats; null stops repeating.
    pub repeat: MaybeUndefined<TaskRepeatInput>,
}

/// Input of `taskChecklistItemAdd`.
#[derive(InputObject)]
pub struct ChecklistItemAddInput {
    /// The task.
    pub task_id: ID,
    /// The text (1 to 500 characters).
    pub body: String,
}

/// Input of `taskChecklistItemUpdate`.
#[derive(InputObject)]
pub struct ChecklistItemUpdateInput {
    /// New text.
    pub body: Option<String>,
    /// Done or not.
    pub done: Option<bool>,
}

/// Input of `taskChecklistItemMove`.
#[derive(InputObject)]
pub struct ChecklistItemMoveInput {
    /// The item.
    pub item_id: ID,
    /// Put it after this item of the same checklist; null: first.
    pub after_item_id: Option<ID>,
}

/// Input of `taskCommentAdd`.
#[derive(InputObject)]
pub struct TaskCommentAddInput {
    /// The task.
    pub task_id: ID,
    /// The comment (1 to 10,000 characters).
    pub body: String,
}

/// Input of `taskAttachmentAdd`: a reference to a file stored elsewhere.
#[derive(InputObject)]
pub struct TaskAttachmentAddInput {
    /// The task.
    pub task_id: ID,
    /// The file's name.
    pub name: String,
    /// Where it is (http or https).
    pub url: String,
    /// Its media type, such as `image/png`.
    pub media_type: Option<String>,
    /// Its size in bytes.
    pub size_bytes: Option<i64>,
}

/// Input of `taskReminderAdd`.
#[derive(InputObject)]
pub struct TaskReminderAddInput {
    /// The task.
    pub task_id: ID,
    /// When (in the future).
    pub remind_at: DateTime<Utc>,
    /// Whom (a member who works in the sub-account). Default: you.
    pub user_id: Option<ID>,
}

/// Input of `taskGroupCreate`, `taskCategoryCreate` and `ideaBoardCreate`.
#[derive(InputObject)]
pub struct WorkspaceItemCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// The name (1 to 100 characters).
    pub name: String,
    /// A colour `#rrggbb` (categories only).
    pub color: Option<String>,
}

/// Input of `taskGroupUpdate`.
#[derive(InputObject)]
pub struct TaskGroupUpdateInput {
    /// A new name.
    pub name: Option<String>,
    /// Archive (`true`) or bring back (`false`).
    pub archived: Option<bool>,
}

/// Input of `ideaCreate`.
#[derive(InputObject)]
pub struct IdeaCreateInput {
    /// The board.
    pub board_id: ID,
    /// The title (1 to 200 characters).
    pub title: String,
    /// The details.
    pub body: Option<String>,
}

/// Input of `workspaceLinkCreate`.
#[derive(InputObject)]
pub struct WorkspaceLinkCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// The title (1 to 200 characters).
    pub title: String,
    /// The address (http or https).
    pub url: String,
}

/// Workspace mutations.
#[derive(Default)]
pub struct WorkspaceMutation;

#[Object]
impl WorkspaceMutation {
    /// Creates a task (`PIPELINES_WRITE`).
    async fn task_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task.")] input: TaskCreateInput,
    ) -> async_graphql::Result<TaskPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        let parent = opt_id(input.parent_id.as_ref(), NodeKind::Task)?;
        let f = tasks::TaskFields {
            title: Some(input.title),
            description: input.description,
            group_id: opt_id(input.group_id.as_ref(), NodeKind::TaskGroup)?.map(Some),
            category_id: opt_id(input.category_id.as_ref(), NodeKind::TaskCategory)?.map(Some),
            assignee_id: opt_id(input.assignee_id.as_ref(), NodeKind::User)?.map(Some),
            due_at: input.due_at.map(Some),
            priority: input.priority,
            status: None,
            repeat_rule: input.repeat.map(|r| Some(r.rule())),
        };
        tasks::create(&**tx, &rc.actor, sub, parent, f)
            .await
            .map(Task)
            .into_payload()
    }

    /// Changes a task; every changed field is kept in its history.
    async fn task_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: TaskUpdateInput,
    ) -> async_graphql::Result<TaskPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::Task)?;
        let f = tasks::TaskFields {
            title: input.title,
            description: maybe(&input.description).map(Option::unwrap_or_default),
            group_id: maybe_id(&input.group_id, NodeKind::TaskGroup)?,
            category_id: maybe_id(&input.category_id, NodeKind::TaskCategory)?,
            assignee_id: maybe_id(&input.assignee_id, NodeKind::User)?,
            due_at: maybe(&input.due_at),
            priority: input.priority,
            status: input.status,
            repeat_rule: maybe(&input.repeat).map(|r| r.map(|r| r.rule())),
        };
        tasks::update(&**tx, &rc.actor, id, f)
            .await
            .map(|(t, _)| Task(t))
            .into_payload()
    }

    /// Completes a task. A repeating task gets its next occurrence (see `nextOccurrence`).
    async fn task_complete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task's global id.")] id: ID,
    ) -> async_graphql::Result<TaskPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::Task)?;
        let f = tasks::TaskFields {
            status: Some(TaskStatus::Done),
            ..Default::default()
        };
        tasks::update(&**tx, &rc.actor, id, f)
            .await
            .map(|(t, _)| Task(t))
            .into_payload()
    }

    /// Deletes a task with its sub-tasks, checklist, comments, attachments and reminders.
    async fn task_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task's global id.")] id: ID,
    ) -> async_graphql::Result<TaskPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        tasks::delete(&**tx, &rc.actor, id_of(&id, NodeKind::Task)?)
            .await
            .map(Task)
            .into_payload()
    }

    /// Adds an item to the end of a task's checklist (at most 100).
    async fn task_checklist_item_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task and the text.")] input: ChecklistItemAddInput,
    ) -> async_graphql::Result<ChecklistItemPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.task_id, NodeKind::Task)?;
        tasks::checklist_add(&**tx, &rc.actor, id, &input.body)
            .await
            .map(ChecklistItem)
            .into_payload()
    }

    /// Changes a checklist item's text or ticks it off.
    async fn task_checklist_item_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: ChecklistItemUpdateInput,
    ) -> async_graphql::Result<ChecklistItemPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::ChecklistItem)?;
        tasks::checklist_update(&**tx, &rc.actor, id, input.body.as_deref(), input.done)
            .await
            .map(ChecklistItem)
            .into_payload()
    }

    /// Moves a checklist item within its checklist.
    async fn task_checklist_item_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item and where it goes.")] input: ChecklistItemMoveInput,
    ) -> async_graphql::Result<ChecklistItemPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.item_id, NodeKind::ChecklistItem)?;
        let after = opt_id(input.after_item_id.as_ref(), NodeKind::ChecklistItem)?;
        tasks::checklist_move(&**tx, &rc.actor, id, after)
            .await
            .map(ChecklistItem)
            .into_payload()
    }

    /// Deletes a checklist item.
    async fn task_checklist_item_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item's global id.")] id: ID,
    ) -> async_graphql::Result<ChecklistItemPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::ChecklistItem)?;
        tasks::checklist_delete(&**tx, &rc.actor, id)
            .await
            .map(ChecklistItem)
            .into_payload()
    }

    /// Comments on a task.
    async fn task_comment_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task and the comment.")] input: TaskCommentAddInput,
    ) -> async_graphql::Result<TaskCommentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.task_id, NodeKind::Task)?;
        tasks::comment_add(&**tx, &rc.actor, id, &input.body)
            .await
            .map(TaskComment)
            .into_payload()
    }

    /// Deletes a comment.
    async fn task_comment_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The comment's global id.")] id: ID,
    ) -> async_graphql::Result<TaskCommentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::TaskComment)?;
        tasks::comment_delete(&**tx, &rc.actor, id)
            .await
            .map(TaskComment)
            .into_payload()
    }

    /// Attaches a file reference to a task (at most 100).
    async fn task_attachment_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task and the file.")] input: TaskAttachmentAddInput,
    ) -> async_graphql::Result<TaskAttachmentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.task_id, NodeKind::Task)?;
        let a = tasks::AttachmentInput {
            name: input.name,
            url: input.url,
            media_type: input.media_type,
            size_bytes: input.size_bytes,
        };
        tasks::attachment_add(&**tx, &rc.actor, id, a)
            .await
            .map(TaskAttachment)
            .into_payload()
    }

    /// Removes an attachment.
    async fn task_attachment_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The attachment's global id.")] id: ID,
    ) -> async_graphql::Result<TaskAttachmentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::TaskAttachment)?;
        tasks::attachment_delete(&**tx, &rc.actor, id)
            .await
            .map(TaskAttachment)
            .into_payload()
    }

    /// Sets a reminder on a task (delivered at its time by the job queue).
    async fn task_reminder_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task, when and whom.")] input: TaskReminderAddInput,
    ) -> async_graphql::Result<TaskReminderPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.task_id, NodeKind::Task)?;
        let user = opt_id(input.user_id.as_ref(), NodeKind::User)?;
        tasks::reminder_add(&**tx, &rc.actor, id, input.remind_at, user)
            .await
            .map(TaskReminder)
            .into_payload()
    }

    /// Cancels a reminder.
    async fn task_reminder_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reminder's global id.")] id: ID,
    ) -> async_graphql::Result<TaskReminderPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::TaskReminder)?;
        tasks::reminder_delete(&**tx, &rc.actor, id)
            .await
            .map(TaskReminder)
            .into_payload()
    }

    /// Creates a task group (project).
    async fn task_group_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account and the name.")] input: WorkspaceItemCreateInput,
    ) -> async_graphql::Result<TaskGroupPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        workspace::group_create(&**tx, &rc.actor, sub, &input.name)
            .await
            .map(TaskGroup)
            .into_payload()
    }

    /// Renames, archives or brings back a task group.
    async fn task_group_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: TaskGroupUpdateInput,
    ) -> async_graphql::Result<TaskGroupPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::TaskGroup)?;
        workspace::group_update(&**tx, &rc.actor, id, input.name.as_deref(), input.archived)
            .await
            .map(TaskGroup)
            .into_payload()
    }

    /// Creates a task category.
    async fn task_category_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account, the name and a colour.")]
        input: WorkspaceItemCreateInput,
    ) -> async_graphql::Result<TaskCategoryPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        workspace::category_create(&**tx, &rc.actor, sub, &input.name, input.color.as_deref())
            .await
            .map(TaskCategory)
            .into_payload()
    }

    /// Deletes a category (its tasks stay, uncategorised).
    async fn task_category_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The category's global id.")] id: ID,
    ) -> async_graphql::Result<TaskCategoryPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::TaskCategory)?;
        workspace::category_delete(&**tx, &rc.actor, id)
            .await
            .map(TaskCategory)
            .into_payload()
    }

    /// Creates an idea board.
    async fn idea_board_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account and the name.")] input: WorkspaceItemCreateInput,
    ) -> async_graphql::Result<IdeaBoardPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        workspace::board_create(&**tx, &rc.actor, sub, &input.name)
            .await
            .map(IdeaBoard)
            .into_payload()
    }

    /// Proposes an idea on a board (`PIPELINES_WRITE`).
    async fn idea_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The board and the idea.")] input: IdeaCreateInput,
    ) -> async_graphql::Result<IdeaPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.board_id, NodeKind::IdeaBoard)?;
        workspace::idea_create(&**tx, &rc.actor, id, &input.title, input.body.as_deref())
            .await
            .map(Idea)
            .into_payload()
    }

    /// Sets where an idea stands (`PIPELINES_WRITE`).
    async fn idea_status_set(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's global id.")] id: ID,
        #[graphql(desc = "The new status.")] status: IdeaStatus,
    ) -> async_graphql::Result<IdeaPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::Idea)?;
        workspace::idea_set_status(&**tx, &rc.actor, id, status)
            .await
            .map(Idea)
            .into_payload()
    }

    /// Votes for an idea (once per person; `PIPELINES_WRITE`).
    async fn idea_vote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's global id.")] id: ID,
    ) -> async_graphql::Result<IdeaPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::Idea)?;
        workspace::vote(&**tx, &rc.actor, id, true)
            .await
            .map(Idea)
            .into_payload()
    }

    /// Withdraws your vote for an idea.
    async fn idea_unvote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's global id.")] id: ID,
    ) -> async_graphql::Result<IdeaPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::Idea)?;
        workspace::vote(&**tx, &rc.actor, id, false)
            .await
            .map(Idea)
            .into_payload()
    }

    /// Adds a link to a sub-account's workspace.
    async fn workspace_link_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The link.")] input: WorkspaceLinkCreateInput,
    ) -> async_graphql::Result<WorkspaceLinkPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = id_of(&input.sub_account_id, NodeKind::SubAccount)?;
        workspace::link_create(&**tx, &rc.actor, sub, &input.title, &input.url)
            .await
            .map(WorkspaceLink)
            .into_payload()
    }

    /// Deletes a workspace link.
    async fn workspace_link_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The link's global id.")] id: ID,
    ) -> async_graphql::Result<WorkspaceLinkPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&id, NodeKind::WorkspaceLink)?;
        workspace::link_delete(&**tx, &rc.actor, id)
            .await
            .map(WorkspaceLink)
            .into_payload()
    }
}
