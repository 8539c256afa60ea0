//! Canopy calendars (seed 002's Service, Staff and Appointment): what a sub-account's clients
//! can book, who and what can be booked (staff, rooms, equipment), when each is available in
//! its own time zone, the free slots that follow, and appointments that cannot double-book.
//!
//! - [`slots`]: the slot engine, pure functions from availability, existing holds and a
//!   service's rules to free starts, correct across daylight-saving changes.
//! - [`hours`]: opening hours as stored (JSON windows of local time) and checked.
//! - [`service`]: resources, services, the free-slots query and appointments, behind
//!   `tenancy::guard`.
//! - [`work`]: what a booking sets going: the contact's timeline, a confirmation with an
//!   `.ics`, a reminder through the job runtime.
//!
//! Architecture Invariant: every instant is UTC; a local time exists only inside [`slots`] and
//! [`hours`], turned into UTC through the resource's IANA zone (`chrono-tz`) the moment it is
//! read.
//!
//! Architecture Invariant: no two active holds of one resource overlap, and the database says
//! so: an exclusion constraint on PostgreSQL (`appointment_resources_no_overlap`), the write
//! lock on SQLite. A lost race is `SLOT_TAKEN`, never `INTERNAL`.

pub mod entity;
pub mod graphql;
pub mod hours;
pub mod service;
pub mod slots;
pub mod work;

pub use graphql::{
    Appointment, CalendarResource, CalendarService, CalendarsMutation, CalendarsQuery,
};

use kernel::purge::TenantTable;

/// The calendar tables in the order removing a tenant deletes them (children first).
pub const TENANT_TABLES: &[TenantTable] = &[
    TenantTable::data("appointment_resources"),
    TenantTable::data("appointments"),
    TenantTable::data("calendar_service_resources"),
    TenantTable::data("calendar_services"),
    TenantTable::data("calendar_exceptions"),
    TenantTable::data("calendar_resources"),
];
