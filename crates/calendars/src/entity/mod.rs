//! SeaORM entities of the calendars crate, one file per table.

pub mod appointment;
pub mod exception;
pub mod hold;
pub mod offering;
pub mod offering_resource;
pub mod resource;

// Each table's node kind and the permissions that read and write it (`tenancy::guard`).
use kernel::id::NodeKind;
tenancy::sub_account_data!(
    resource::Entity,
    NodeKind::CalendarResource,
    CalendarsRead,
    CalendarsManage
);
tenancy::sub_account_data!(
    offering::Entity,
    NodeKind::CalendarService,
    CalendarsRead,
    CalendarsManage
);
tenancy::sub_account_data!(
    appointment::Entity,
    NodeKind::Appointment,
    CalendarsRead,
    CalendarsWrite
);
