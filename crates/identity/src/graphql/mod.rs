//! The identity crate's GraphQL: types, the query root and the mutation root.

mod mutation;
mod query;
mod types;

pub use mutation::{IdentityMutation, UserAgent};
pub use query::IdentityQuery;
pub use types::{ApiKey, ApiKeyConnection, ApiKeyEdge, ApiKeyStatus, ScopeRef, User};

use crate::Identity;
use std::sync::Arc;

/// The identity state from the schema data.
pub(crate) fn identity<'a>(
    ctx: &'a async_graphql::Context<'_>,
) -> Result<&'a Arc<Identity>, kernel::Error> {
    ctx.data::<Arc<Identity>>()
        .map_err(|_| kernel::Error::internal("identity state missing from the schema"))
}
