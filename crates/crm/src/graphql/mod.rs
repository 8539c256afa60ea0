//! The CRM crate's GraphQL.

mod mutation;
mod query;
mod types;

pub use mutation::CrmMutation;
pub use query::CrmQuery;
pub use types::{
    Activity, ActivityKind, Contact, ContactSource, ContactStatus, Direction, InteractionStatus,
    Tag,
};
