//! The CRM crate's GraphQL.

mod fields;
mod import;
mod merge;
mod mutation;
mod query;
mod segments;
mod types;

pub use fields::{CustomField, CustomFieldKind, CustomValue, FieldMutation, FieldQuery};
pub use mutation::ContactMutation;
pub use query::ContactQuery;
pub use segments::{Segment, SegmentMutation, SegmentQuery};
pub use types::{
    Activity, ActivityKind, Contact, ContactSource, ContactStatus, Direction, InteractionStatus,
    Tag,
};

/// CRM queries.
#[derive(async_graphql::MergedObject, Default)]
pub struct CrmQuery(ContactQuery, FieldQuery, SegmentQuery, merge::MergeQuery);

/// CRM mutations.
#[derive(async_graphql::MergedObject, Default)]
pub struct CrmMutation(
    ContactMutation,
    FieldMutation,
    SegmentMutation,
    merge::MergeMutation,
    import::ImportMutation,
);
