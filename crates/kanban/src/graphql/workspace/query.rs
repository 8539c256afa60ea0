//! The task workspace's queries.

use super::*;

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
        let with_total = kernel::connection::wants_total_count(ctx);
        let (rows, info, total) =
            tasks::list(&**tx, &rc.actor, sub, filter, page, with_total).await?;
        Ok(TaskConnection::build(
            rows.into_iter().map(Task).collect(),
            info,
            total,
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
