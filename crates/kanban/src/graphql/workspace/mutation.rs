//! The task workspace's mutations, their inputs and payloads.

use super::*;

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

/// Input of `taskAttachmentAdd`: a file of the media library, or a reference to a file stored
/// elsewhere.
#[derive(InputObject)]
pub struct TaskAttachmentAddInput {
    /// The task.
    pub task_id: ID,
    /// The file's name (a library file's own name when absent).
    pub name: Option<String>,
    /// Where it is (http or https). Give this or `mediaFileId`.
    pub url: Option<String>,
    /// A file of the media library of the task's sub-account (`MEDIA_READ`): the attachment
    /// takes its URL, type and size, and the file counts as in use while attached.
    pub media_file_id: Option<ID>,
    /// Its media type, such as `image/png` (a library file's own).
    pub media_type: Option<String>,
    /// Its size in bytes (a library file's own).
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
    /// Also email them (besides the notification). Default: no.
    pub by_email: Option<bool>,
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

    /// Attaches a file to a task (at most 100): a file of the media library, or a URL.
    async fn task_attachment_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task and the file.")] input: TaskAttachmentAddInput,
    ) -> async_graphql::Result<TaskAttachmentPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.task_id, NodeKind::Task)?;
        let lib = ctx.data::<std::sync::Arc<media::Library>>()?;
        let a = tasks::AttachmentInput {
            name: input.name,
            url: input.url,
            media_file_id: input
                .media_file_id
                .map(|f| id_of(&f, NodeKind::MediaFile))
                .transpose()?,
            media_type: input.media_type,
            size_bytes: input.size_bytes,
        };
        tasks::attachment_add(&**tx, &rc.actor, lib, id, a)
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

    /// Sets a reminder on a task: at its time, its user is notified (live, through
    /// `notificationAdded`) and, if asked, emailed, once.
    async fn task_reminder_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task, when and whom.")] input: TaskReminderAddInput,
    ) -> async_graphql::Result<TaskReminderPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = id_of(&input.task_id, NodeKind::Task)?;
        let user = opt_id(input.user_id.as_ref(), NodeKind::User)?;
        tasks::reminder_add(
            &**tx,
            &rc.actor,
            id,
            input.remind_at,
            user,
            input.by_email.unwrap_or(false),
        )
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
