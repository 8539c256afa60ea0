//! calendars: what a sub-account's clients can book and when (seed 002's Service, Staff and
//! Appointment).
//!
//! - `calendar_resources`: whom or what a booking takes: a staff member (a member with a login,
//!   or a bookable person without one), a room or a piece of equipment, with its IANA time zone
//!   and its weekly hours (`weekly`, JSON windows of local time).
//! - `calendar_exceptions`: a resource's hours on one local date, replacing the weekly ones
//!   (no window: closed that day).
//! - `calendar_services`: what can be booked: duration, buffers, slot interval, minimum notice,
//!   horizon, price, location, reminder, and the random `booking_token` of its public booking
//!   page (NULL: not bookable by the public). On PostgreSQL a service is also readable by that
//!   token (`app.booking_token`, `kernel::db::Opening::BookingToken`), so the public endpoint
//!   finds the tenant before it knows it.
//! - `calendar_service_resources`: the resources that can give a service. A booking takes one of
//!   each kind the service lists (one of its staff, and one of its rooms if it lists rooms).
//! - `appointments`: a booking of a service by a contact, in UTC, with its status.
//! - `appointment_resources`: the time an appointment holds on each resource (its buffers
//!   included). On PostgreSQL an exclusion constraint keeps any two active holds of one
//!   resource from overlapping (`btree_gist`), so no race can double-book; on SQLite writers are
//!   serialised and the booking checks under the write lock.
//!
//! All are tenant data tables keyed `(agency_id, id)`.
//!
//! The outbox gains `email_outbox.attachments` (JSON text files: an appointment's `.ics`).

use crate::m20261122_000005_row_level_security::{Reach, tenant_table};
use crate::m20261203_000025_second_wall::{T, secure};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CalendarResources {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    Kind,
    Name,
    Email,
    UserId,
    TimeZone,
    Weekly,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CalendarExceptions {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    ResourceId,
    Day,
    Windows,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CalendarServices {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    Name,
    Description,
    DurationMinutes,
    BufferBeforeMinutes,
    BufferAfterMinutes,
    IntervalMinutes,
    MinNoticeMinutes,
    HorizonDays,
    PriceMinor,
    Currency,
    LocationKind,
    Location,
    ReminderMinutes,
    BookingToken,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CalendarServiceResources {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    ServiceId,
    ResourceId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Appointments {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    ServiceId,
    ContactId,
    StartsAt,
    EndsAt,
    TimeZone,
    Status,
    CancelReason,
    Notes,
    PriceMinor,
    Currency,
    BookedVia,
    RemindedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppointmentResources {
    Table,
    AgencyId,
    Id,
    SubAccountId,
    AppointmentId,
    ResourceId,
    HeldFrom,
    HeldTo,
    Active,
}

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    Attachments,
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

/// A foreign key from `(agency_id, <col>)` of `from` to `(agency_id, id)` of `to`.
fn fk(
    from: impl IntoIden + 'static,
    agency: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
    to: impl IntoIden + 'static,
    to_agency: impl IntoIden + 'static,
    to_id: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, (agency, col))
        .to(to, (to_agency, to_id))
        .to_owned()
}

fn sub_fk(
    from: impl IntoIden + 'static,
    agency: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    fk(
        from,
        agency,
        col,
        SubAccounts::Table,
        SubAccounts::AgencyId,
        SubAccounts::Id,
    )
}

/// The token the public booking endpoint asks for.
const BOOKING_TOKEN: &str = "(SELECT NULLIF(current_setting('app.booking_token', true), ''))";

const TABLES: [&str; 6] = [
    "appointment_resources",
    "appointments",
    "calendar_service_resources",
    "calendar_services",
    "calendar_exceptions",
    "calendar_resources",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EmailOutbox::Table)
                    .add_column(json_binary_null(EmailOutbox::Attachments))
                    .to_owned(),
            )
            .await?;
        use CalendarResources as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(uuid(R::AgencyId))
                    .col(uuid(R::Id))
                    .col(uuid(R::SubAccountId))
                    .col(string_len(R::Kind, 12))
                    .col(string_len(R::Name, 200))
                    .col(string_len_null(R::Email, 320))
                    .col(uuid_null(R::UserId))
                    .col(string_len(R::TimeZone, 64))
                    .col(json_binary(R::Weekly))
                    .col(timestamp_with_time_zone_null(R::ArchivedAt))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .col(timestamp_with_time_zone(R::UpdatedAt))
                    .primary_key(Index::create().col(R::AgencyId).col(R::Id))
                    .foreign_key(&mut sub_fk(R::Table, R::AgencyId, R::SubAccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("calendar_resources_sub_account")
                    .table(R::Table)
                    .col(R::AgencyId)
                    .col(R::SubAccountId)
                    .col(R::Kind)
                    .to_owned(),
            )
            .await?;

        use CalendarExceptions as X;
        manager
            .create_table(
                Table::create()
                    .table(X::Table)
                    .col(uuid(X::AgencyId))
                    .col(uuid(X::Id))
                    .col(uuid(X::SubAccountId))
                    .col(uuid(X::ResourceId))
                    .col(date(X::Day))
                    .col(json_binary(X::Windows))
                    .col(timestamp_with_time_zone(X::CreatedAt))
                    .primary_key(Index::create().col(X::AgencyId).col(X::Id))
                    .foreign_key(&mut sub_fk(X::Table, X::AgencyId, X::SubAccountId))
                    .foreign_key(&mut fk(
                        X::Table,
                        X::AgencyId,
                        X::ResourceId,
                        R::Table,
                        R::AgencyId,
                        R::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("calendar_exceptions_day")
                    .table(X::Table)
                    .col(X::AgencyId)
                    .col(X::ResourceId)
                    .col(X::Day)
                    .unique()
                    .to_owned(),
            )
            .await?;

        use CalendarServices as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(uuid(S::AgencyId))
                    .col(uuid(S::Id))
                    .col(uuid(S::SubAccountId))
                    .col(string_len(S::Name, 200))
                    .col(text_null(S::Description))
                    .col(integer(S::DurationMinutes))
                    .col(integer(S::BufferBeforeMinutes))
                    .col(integer(S::BufferAfterMinutes))
                    .col(integer(S::IntervalMinutes))
                    .col(integer(S::MinNoticeMinutes))
                    .col(integer(S::HorizonDays))
                    .col(big_integer(S::PriceMinor))
                    .col(string_len(S::Currency, 3))
                    .col(string_len(S::LocationKind, 12))
                    .col(string_len_null(S::Location, 500))
                    .col(integer_null(S::ReminderMinutes))
                    .col(string_len_null(S::BookingToken, 43))
                    .col(timestamp_with_time_zone_null(S::ArchivedAt))
                    .col(timestamp_with_time_zone(S::CreatedAt))
                    .col(timestamp_with_time_zone(S::UpdatedAt))
                    .primary_key(Index::create().col(S::AgencyId).col(S::Id))
                    .foreign_key(&mut sub_fk(S::Table, S::AgencyId, S::SubAccountId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("calendar_services_booking_token")
                    .table(S::Table)
                    .col(S::BookingToken)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("calendar_services_sub_account")
                    .table(S::Table)
                    .col(S::AgencyId)
                    .col(S::SubAccountId)
                    .to_owned(),
            )
            .await?;

        use CalendarServiceResources as SR;
        manager
            .create_table(
                Table::create()
                    .table(SR::Table)
                    .col(uuid(SR::AgencyId))
                    .col(uuid(SR::Id))
                    .col(uuid(SR::SubAccountId))
                    .col(uuid(SR::ServiceId))
                    .col(uuid(SR::ResourceId))
                    .col(timestamp_with_time_zone(SR::CreatedAt))
                    .primary_key(Index::create().col(SR::AgencyId).col(SR::Id))
                    .foreign_key(&mut sub_fk(SR::Table, SR::AgencyId, SR::SubAccountId))
                    .foreign_key(&mut fk(
                        SR::Table,
                        SR::AgencyId,
                        SR::ServiceId,
                        S::Table,
                        S::AgencyId,
                        S::Id,
                    ))
                    .foreign_key(&mut fk(
                        SR::Table,
                        SR::AgencyId,
                        SR::ResourceId,
                        R::Table,
                        R::AgencyId,
                        R::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("calendar_service_resources_pair")
                    .table(SR::Table)
                    .col(SR::AgencyId)
                    .col(SR::ServiceId)
                    .col(SR::ResourceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("calendar_service_resources_resource")
                    .table(SR::Table)
                    .col(SR::AgencyId)
                    .col(SR::ResourceId)
                    .to_owned(),
            )
            .await?;

        use Appointments as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(uuid(A::AgencyId))
                    .col(uuid(A::Id))
                    .col(uuid(A::SubAccountId))
                    .col(uuid(A::ServiceId))
                    .col(uuid(A::ContactId))
                    .col(timestamp_with_time_zone(A::StartsAt))
                    .col(timestamp_with_time_zone(A::EndsAt))
                    .col(string_len(A::TimeZone, 64))
                    .col(string_len(A::Status, 12))
                    .col(string_len_null(A::CancelReason, 500))
                    .col(text_null(A::Notes))
                    .col(big_integer(A::PriceMinor))
                    .col(string_len(A::Currency, 3))
                    .col(string_len(A::BookedVia, 12))
                    .col(timestamp_with_time_zone_null(A::RemindedAt))
                    .col(uuid_null(A::CreatedBy))
                    .col(timestamp_with_time_zone(A::CreatedAt))
                    .col(timestamp_with_time_zone(A::UpdatedAt))
                    .primary_key(Index::create().col(A::AgencyId).col(A::Id))
                    .foreign_key(&mut sub_fk(A::Table, A::AgencyId, A::SubAccountId))
                    .foreign_key(&mut fk(
                        A::Table,
                        A::AgencyId,
                        A::ServiceId,
                        S::Table,
                        S::AgencyId,
                        S::Id,
                    ))
                    .foreign_key(&mut fk(
                        A::Table,
                        A::AgencyId,
                        A::ContactId,
                        Contacts::Table,
                        Contacts::AgencyId,
                        Contacts::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "appointments_starts",
                vec![A::AgencyId, A::SubAccountId, A::StartsAt],
            ),
            ("appointments_contact", vec![A::AgencyId, A::ContactId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(A::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }

        use AppointmentResources as H;
        manager
            .create_table(
                Table::create()
                    .table(H::Table)
                    .col(uuid(H::AgencyId))
                    .col(uuid(H::Id))
                    .col(uuid(H::SubAccountId))
                    .col(uuid(H::AppointmentId))
                    .col(uuid(H::ResourceId))
                    .col(timestamp_with_time_zone(H::HeldFrom))
                    .col(timestamp_with_time_zone(H::HeldTo))
                    .col(boolean(H::Active))
                    .primary_key(Index::create().col(H::AgencyId).col(H::Id))
                    .foreign_key(&mut sub_fk(H::Table, H::AgencyId, H::SubAccountId))
                    .foreign_key(&mut fk(
                        H::Table,
                        H::AgencyId,
                        H::AppointmentId,
                        A::Table,
                        A::AgencyId,
                        A::Id,
                    ))
                    .foreign_key(&mut fk(
                        H::Table,
                        H::AgencyId,
                        H::ResourceId,
                        R::Table,
                        R::AgencyId,
                        R::Id,
                    ))
                    .check(Expr::col(H::HeldFrom).lt(Expr::col(H::HeldTo)))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "appointment_resources_time",
                vec![H::AgencyId, H::ResourceId, H::HeldFrom],
            ),
            (
                "appointment_resources_appointment",
                vec![H::AgencyId, H::AppointmentId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(H::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }

        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            // No two active holds of one resource overlap, whatever races: the database says
            // so (`23P01`), and the booking answers `SLOT_TAKEN`.
            db.execute_unprepared(
                "CREATE EXTENSION IF NOT EXISTS btree_gist;
                 ALTER TABLE appointment_resources ADD CONSTRAINT appointment_resources_no_overlap
                   EXCLUDE USING gist (
                     agency_id WITH =,
                     resource_id WITH =,
                     tstzrange(held_from, held_to, '[)') WITH &&
                   ) WHERE (active);",
            )
            .await?;
            for table in TABLES {
                if table == "calendar_services" {
                    let read = format!("({T}) OR (booking_token = {BOOKING_TOKEN})");
                    db.execute_unprepared(&secure(table, &read, T, T, T))
                        .await?;
                } else {
                    db.execute_unprepared(&tenant_table(table, Reach::Data))
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(EmailOutbox::Table)
                    .drop_column(EmailOutbox::Attachments)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
