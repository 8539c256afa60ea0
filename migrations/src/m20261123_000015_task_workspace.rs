//! kanban: the task workspace of a sub-account (seed 003) — task groups (projects) and
//! categories; tasks with sub-tasks, checklists, comments, attachments (file references),
//! reminders, repeat rules and a change history; idea boards with ideas and votes; workspace
//! links. Tenant data tables keyed by agency first, with composite foreign keys, behind
//! tenant-only row-level security.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(n: &str) -> Alias {
    Alias::new(n)
}

/// Tables in creation order (dropped in reverse).
const TABLES: &[&str] = &[
    "task_groups",
    "task_categories",
    "tasks",
    "task_checklist_items",
    "task_comments",
    "task_attachments",
    "task_reminders",
    "task_history",
    "idea_boards",
    "ideas",
    "idea_votes",
    "workspace_links",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(a("task_groups"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("sub_account_id")))
                    .col(string_len(a("name"), 100))
                    .col(string_len(a("rank"), 255))
                    .col(timestamp_with_time_zone_null(a("archived_at")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("task_groups"), (a("agency_id"), a("sub_account_id")))
                            .to(a("sub_accounts"), (a("agency_id"), a("id"))),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("task_groups_sub_account_id_rank")
                    .table(a("task_groups"))
                    .col(a("agency_id"))
                    .col(a("sub_account_id"))
                    .col(a("rank"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("task_categories"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("sub_account_id")))
                    .col(string_len(a("name"), 100))
                    .col(string_len_null(a("color"), 7))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("task_categories"), (a("agency_id"), a("sub_account_id")))
                            .to(a("sub_accounts"), (a("agency_id"), a("id"))),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("task_categories_sub_account_id")
                    .table(a("task_categories"))
                    .col(a("agency_id"))
                    .col(a("sub_account_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("tasks"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("sub_account_id")))
                    .col(uuid_null(a("group_id")))
                    .col(uuid_null(a("category_id")))
                    .col(uuid_null(a("parent_id")))
                    .col(uuid_null(a("repeat_of_id")))
                    .col(string_len(a("title"), 200))
                    .col(text_null(a("description")))
                    .col(uuid_null(a("assignee_id")))
                    .col(timestamp_with_time_zone_null(a("due_at")))
                    .col(string_len(a("priority"), 8))
                    .col(string_len(a("status"), 12))
                    .col(string_len_null(a("repeat_rule"), 500))
                    .col(timestamp_with_time_zone_null(a("completed_at")))
                    .col(string_len(a("rank"), 255))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("tasks"), (a("agency_id"), a("sub_account_id")))
                            .to(a("sub_accounts"), (a("agency_id"), a("id"))),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("tasks"), (a("agency_id"), a("group_id")))
                            .to(a("task_groups"), (a("agency_id"), a("id"))),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("tasks"), (a("agency_id"), a("category_id")))
                            .to(a("task_categories"), (a("agency_id"), a("id"))),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("tasks"), (a("agency_id"), a("parent_id")))
                            .to(a("tasks"), (a("agency_id"), a("id")))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tasks_sub_account_id_status")
                    .table(a("tasks"))
                    .col(a("agency_id"))
                    .col(a("sub_account_id"))
                    .col(a("status"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tasks_group_id")
                    .table(a("tasks"))
                    .col(a("agency_id"))
                    .col(a("group_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tasks_category_id")
                    .table(a("tasks"))
                    .col(a("agency_id"))
                    .col(a("category_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tasks_parent_id")
                    .table(a("tasks"))
                    .col(a("agency_id"))
                    .col(a("parent_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tasks_assignee_id")
                    .table(a("tasks"))
                    .col(a("agency_id"))
                    .col(a("assignee_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("task_checklist_items"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("task_id")))
                    .col(string_len(a("body"), 500))
                    .col(boolean(a("done")))
                    .col(string_len(a("rank"), 255))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("task_checklist_items"), (a("agency_id"), a("task_id")))
                            .to(a("tasks"), (a("agency_id"), a("id")))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("task_checklist_items_task_id_rank")
                    .table(a("task_checklist_items"))
                    .col(a("agency_id"))
                    .col(a("task_id"))
                    .col(a("rank"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("task_comments"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("task_id")))
                    .col(uuid_null(a("author_id")))
                    .col(text(a("body")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("task_comments"), (a("agency_id"), a("task_id")))
                            .to(a("tasks"), (a("agency_id"), a("id")))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("task_comments_task_id_id")
                    .table(a("task_comments"))
                    .col(a("agency_id"))
                    .col(a("task_id"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("task_attachments"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("task_id")))
                    .col(string_len(a("name"), 255))
                    .col(string_len(a("url"), 2000))
                    .col(string_len_null(a("media_type"), 100))
                    .col(big_integer_null(a("size_bytes")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("task_attachments"), (a("agency_id"), a("task_id")))
                            .to(a("tasks"), (a("agency_id"), a("id")))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("task_attachments_task_id")
                    .table(a("task_attachments"))
                    .col(a("agency_id"))
                    .col(a("task_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("task_reminders"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("task_id")))
                    .col(uuid(a("user_id")))
                    .col(timestamp_with_time_zone(a("remind_at")))
                    .col(timestamp_with_time_zone_null(a("delivered_at")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("task_reminders"), (a("agency_id"), a("task_id")))
                            .to(a("tasks"), (a("agency_id"), a("id")))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("task_reminders_task_id")
                    .table(a("task_reminders"))
                    .col(a("agency_id"))
                    .col(a("task_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("task_reminders_remind_at")
                    .table(a("task_reminders"))
                    .col(a("agency_id"))
                    .col(a("remind_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("task_history"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("task_id")))
                    .col(string_len(a("actor_kind"), 16))
                    .col(uuid_null(a("actor_id")))
                    .col(string_len(a("field"), 50))
                    .col(text_null(a("old_value")))
                    .col(text_null(a("new_value")))
                    .col(timestamp_with_time_zone(a("changed_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("task_history"), (a("agency_id"), a("task_id")))
                            .to(a("tasks"), (a("agency_id"), a("id")))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("task_history_task_id_id")
                    .table(a("task_history"))
                    .col(a("agency_id"))
                    .col(a("task_id"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("idea_boards"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("sub_account_id")))
                    .col(string_len(a("name"), 100))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("idea_boards"), (a("agency_id"), a("sub_account_id")))
                            .to(a("sub_accounts"), (a("agency_id"), a("id"))),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idea_boards_sub_account_id")
                    .table(a("idea_boards"))
                    .col(a("agency_id"))
                    .col(a("sub_account_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("ideas"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("board_id")))
                    .col(uuid(a("sub_account_id")))
                    .col(string_len(a("title"), 200))
                    .col(text_null(a("body")))
                    .col(string_len(a("status"), 12))
                    .col(integer(a("votes")))
                    .col(uuid_null(a("author_id")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("ideas"), (a("agency_id"), a("board_id")))
                            .to(a("idea_boards"), (a("agency_id"), a("id")))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ideas_board_id")
                    .table(a("ideas"))
                    .col(a("agency_id"))
                    .col(a("board_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("idea_votes"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("idea_id")))
                    .col(uuid(a("user_id")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .primary_key(
                        Index::create()
                            .col(a("agency_id"))
                            .col(a("idea_id"))
                            .col(a("user_id")),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("idea_votes"), (a("agency_id"), a("idea_id")))
                            .to(a("ideas"), (a("agency_id"), a("id")))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("workspace_links"))
                    .col(uuid(a("agency_id")))
                    .col(uuid(a("id")))
                    .col(uuid(a("sub_account_id")))
                    .col(string_len(a("title"), 200))
                    .col(string_len(a("url"), 2000))
                    .col(string_len(a("rank"), 255))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .primary_key(Index::create().col(a("agency_id")).col(a("id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(a("workspace_links"), (a("agency_id"), a("sub_account_id")))
                            .to(a("sub_accounts"), (a("agency_id"), a("id"))),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("workspace_links_sub_account_id_rank")
                    .table(a("workspace_links"))
                    .col(a("agency_id"))
                    .col(a("sub_account_id"))
                    .col(a("rank"))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            for t in TABLES {
                db.execute_unprepared(&tenant_table(t, Reach::Data)).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(a(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
