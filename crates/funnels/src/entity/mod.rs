//! SeaORM entities of the funnels crate, one file per table.

pub mod domain;
pub mod funnel;
pub mod page;
pub mod page_day;
pub mod settings;
pub mod submission;
pub mod version;
pub mod visit;
pub mod visit_salt;

pub use funnel::FunnelKind;

// Each table's node kind and the permissions that read and write it (`tenancy::guard`). Events
// about pages carry their funnel's id.
use kernel::id::{NodeKind, gid};
tenancy::sub_account_data!(funnel::Entity, NodeKind::Funnel, FunnelsRead, FunnelsWrite);
tenancy::sub_account_data!(
    page::Entity,
    NodeKind::FunnelPage,
    FunnelsRead,
    FunnelsWrite,
    |row, payload| {
        payload["funnelId"] = gid(NodeKind::Funnel, row.funnel_id).to_string().into();
    }
);
tenancy::sub_account_data!(
    version::Entity,
    NodeKind::FunnelPageVersion,
    FunnelsRead,
    FunnelsPublish
);
tenancy::sub_account_data!(
    submission::Entity,
    NodeKind::FormSubmission,
    ContactsRead,
    ContactsWrite,
    |row, payload| {
        payload["funnelId"] = gid(NodeKind::Funnel, row.funnel_id).to_string().into();
        payload["contactId"] = gid(NodeKind::Contact, row.contact_id).to_string().into();
    }
);
