//! kanban: pipelines of a sub-account, their ordered lanes, tickets (deals) with tags and notes,
//! and each ticket's lane history (for conversion stats). Tenant data tables keyed by agency
//! first. A ticket's `(pipeline_id, lane_id)` is one composite foreign key to its lane, so a
//! ticket can never sit in another pipeline's lane; its contact is a composite foreign key to
//! the CRM's contacts.

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Pipelines {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    Name,
    Currency,
    Rank,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Lanes {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    PipelineId,
    Name,
    Rank,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    PipelineId,
    LaneId,
    Title,
    Description,
    ValueMinor,
    ContactId,
    AssigneeId,
    DueAt,
    Status,
    StatusReason,
    ClosedAt,
    Rank,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TicketTags {
    Table,
    AgencyId,
    TicketId,
    TagId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TicketNotes {
    Table,
    AgencyId,
    Id,
    TicketId,
    AuthorId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TicketLaneEntries {
    Table,
    AgencyId,
    Id,
    TicketId,
    PipelineId,
    LaneId,
    EnteredAt,
}

#[derive(DeriveIden)]
enum SubAccounts {
    Table,
    AgencyId,
    Id,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    AgencyId,
    Id,
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    AgencyId,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pipelines::Table)
                    .col(uuid(Pipelines::AgencyId))
                    .col(uuid(Pipelines::Id))
                    .col(uuid(Pipelines::SubAccountId))
                    .col(string_len(Pipelines::Name, 100))
                    .col(string_len(Pipelines::Currency, 3))
                    .col(string_len(Pipelines::Rank, 255))
                    .col(timestamp_with_time_zone_null(Pipelines::ArchivedAt))
                    .col(timestamp_with_time_zone(Pipelines::CreatedAt))
                    .col(timestamp_with_time_zone(Pipelines::UpdatedAt))
                    .primary_key(Index::create().col(Pipelines::AgencyId).col(Pipelines::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                Pipelines::Table,
                                (Pipelines::AgencyId, Pipelines::SubAccountId),
                            )
                            .to(SubAccounts::Table, (SubAccounts::AgencyId, SubAccounts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("pipelines_sub_account")
                    .table(Pipelines::Table)
                    .col(Pipelines::AgencyId)
                    .col(Pipelines::SubAccountId)
                    .col(Pipelines::Rank)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Lanes::Table)
                    .col(uuid(Lanes::AgencyId))
                    .col(uuid(Lanes::Id))
                    .col(uuid(Lanes::SubAccountId))
                    .col(uuid(Lanes::PipelineId))
                    .col(string_len(Lanes::Name, 100))
                    .col(string_len(Lanes::Rank, 255))
                    .col(timestamp_with_time_zone(Lanes::CreatedAt))
                    .col(timestamp_with_time_zone(Lanes::UpdatedAt))
                    .primary_key(Index::create().col(Lanes::AgencyId).col(Lanes::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Lanes::Table, (Lanes::AgencyId, Lanes::PipelineId))
                            .to(Pipelines::Table, (Pipelines::AgencyId, Pipelines::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        // The target of tickets' (agency, pipeline, lane) foreign key.
        manager
            .create_index(
                Index::create()
                    .name("lanes_pipeline_id")
                    .table(Lanes::Table)
                    .col(Lanes::AgencyId)
                    .col(Lanes::PipelineId)
                    .col(Lanes::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("lanes_pipeline_rank")
                    .table(Lanes::Table)
                    .col(Lanes::AgencyId)
                    .col(Lanes::PipelineId)
                    .col(Lanes::Rank)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(uuid(Tickets::AgencyId))
                    .col(uuid(Tickets::Id))
                    .col(uuid(Tickets::SubAccountId))
                    .col(uuid(Tickets::PipelineId))
                    .col(uuid(Tickets::LaneId))
                    .col(string_len(Tickets::Title, 200))
                    .col(text_null(Tickets::Description))
                    .col(big_integer_null(Tickets::ValueMinor))
                    .col(uuid_null(Tickets::ContactId))
                    .col(uuid_null(Tickets::AssigneeId))
                    .col(timestamp_with_time_zone_null(Tickets::DueAt))
                    .col(string_len(Tickets::Status, 8))
                    .col(string_len_null(Tickets::StatusReason, 500))
                    .col(timestamp_with_time_zone_null(Tickets::ClosedAt))
                    .col(string_len(Tickets::Rank, 255))
                    .col(timestamp_with_time_zone(Tickets::CreatedAt))
                    .col(timestamp_with_time_zone(Tickets::UpdatedAt))
                    .primary_key(Index::create().col(Tickets::AgencyId).col(Tickets::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                Tickets::Table,
                                (Tickets::AgencyId, Tickets::PipelineId, Tickets::LaneId),
                            )
                            .to(
                                Lanes::Table,
                                (Lanes::AgencyId, Lanes::PipelineId, Lanes::Id),
                            ),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tickets::Table, (Tickets::AgencyId, Tickets::ContactId))
                            .to(Contacts::Table, (Contacts::AgencyId, Contacts::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        // Positions are unique in a lane: two moves into one gap cannot both win.
        manager
            .create_index(
                Index::create()
                    .name("tickets_lane_rank")
                    .table(Tickets::Table)
                    .col(Tickets::AgencyId)
                    .col(Tickets::LaneId)
                    .col(Tickets::Rank)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tickets_contact")
                    .table(Tickets::Table)
                    .col(Tickets::AgencyId)
                    .col(Tickets::ContactId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketTags::Table)
                    .col(uuid(TicketTags::AgencyId))
                    .col(uuid(TicketTags::TicketId))
                    .col(uuid(TicketTags::TagId))
                    .col(timestamp_with_time_zone(TicketTags::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(TicketTags::AgencyId)
                            .col(TicketTags::TicketId)
                            .col(TicketTags::TagId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                TicketTags::Table,
                                (TicketTags::AgencyId, TicketTags::TicketId),
                            )
                            .to(Tickets::Table, (Tickets::AgencyId, Tickets::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TicketTags::Table, (TicketTags::AgencyId, TicketTags::TagId))
                            .to(Tags::Table, (Tags::AgencyId, Tags::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketNotes::Table)
                    .col(uuid(TicketNotes::AgencyId))
                    .col(uuid(TicketNotes::Id))
                    .col(uuid(TicketNotes::TicketId))
                    .col(uuid_null(TicketNotes::AuthorId))
                    .col(text(TicketNotes::Body))
                    .col(timestamp_with_time_zone(TicketNotes::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(TicketNotes::AgencyId)
                            .col(TicketNotes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                TicketNotes::Table,
                                (TicketNotes::AgencyId, TicketNotes::TicketId),
                            )
                            .to(Tickets::Table, (Tickets::AgencyId, Tickets::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ticket_notes_ticket")
                    .table(TicketNotes::Table)
                    .col(TicketNotes::AgencyId)
                    .col(TicketNotes::TicketId)
                    .col(TicketNotes::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketLaneEntries::Table)
                    .col(uuid(TicketLaneEntries::AgencyId))
                    .col(uuid(TicketLaneEntries::Id))
                    .col(uuid(TicketLaneEntries::TicketId))
                    .col(uuid(TicketLaneEntries::PipelineId))
                    .col(uuid(TicketLaneEntries::LaneId))
                    .col(timestamp_with_time_zone(TicketLaneEntries::EnteredAt))
                    .primary_key(
                        Index::create()
                            .col(TicketLaneEntries::AgencyId)
                            .col(TicketLaneEntries::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                TicketLaneEntries::Table,
                                (TicketLaneEntries::AgencyId, TicketLaneEntries::TicketId),
                            )
                            .to(Tickets::Table, (Tickets::AgencyId, Tickets::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ticket_lane_entries_pipeline")
                    .table(TicketLaneEntries::Table)
                    .col(TicketLaneEntries::AgencyId)
                    .col(TicketLaneEntries::PipelineId)
                    .col(TicketLaneEntries::LaneId)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            for t in [
                "pipelines",
                "lanes",
                "tickets",
                "ticket_tags",
                "ticket_notes",
                "ticket_lane_entries",
            ] {
                db.execute_unprepared(&tenant_table(t, Reach::Data)).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            TicketLaneEntries::Table.into_iden(),
            TicketNotes::Table.into_iden(),
            TicketTags::Table.into_iden(),
            Tickets::Table.into_iden(),
            Lanes::Table.into_iden(),
            Pipelines::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
