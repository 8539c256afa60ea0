//! Database helpers shared by every crate.
//!
//! Architecture Invariant: every query of a GraphQL request runs on that request's transaction
//! (the [`RequestTx`] in the request data), so PostgreSQL's row-level security sees the tenant
//! the gateway set on it. A service that writes more than one row opens a savepoint with
//! `begin()` on it, so a failure leaves nothing half-written.

use crate::error::Error;
use sea_orm::{DatabaseTransaction, DbErr, SqlErr};
use std::sync::Arc;

/// The request's transaction, as put into the GraphQL request data by the gateway.
#[derive(Clone)]
pub struct RequestTx(pub Arc<DatabaseTransaction>);

impl std::ops::Deref for RequestTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.0
    }
}

/// The request transaction and context from a resolver's context.
pub fn request<'a>(
    ctx: &'a async_graphql::Context<'_>,
) -> Result<(&'a RequestTx, &'a crate::RequestContext), Error> {
    let tx = ctx
        .data::<RequestTx>()
        .map_err(|_| Error::internal("request transaction missing"))?;
    let rc = ctx
        .data::<crate::RequestContext>()
        .map_err(|_| Error::internal("request context missing"))?;
    Ok((tx, rc))
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
