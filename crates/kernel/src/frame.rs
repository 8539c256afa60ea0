//! A request's transaction, begun at its first statement, so that on PostgreSQL the request's
//! settings (the user's opening, the tenant, read-only mode, a sole mutation's savepoint) are
//! sent with `BEGIN`, in one round trip.
//!
//! With a warm credential cache the edge authenticates and resolves the tenant without reading
//! the database: the frame's first statement is then its settings, and [`Settle`] begins
//! the transaction with them (`BEGIN; SELECT set_config(…); …`, one simple query). A query's
//! begin is not waited for: it goes in the same write as the query's first prepared statement
//! (`begin_postgres_pipelined`, vendor/README.md), so a warm lookup is two round trips, its
//! statement with the begin and the rollback with the pool's ping. Should that begin fail, the
//! statement and every later one fail, and the connection is closed. When a read comes first
//! (a cold cache, an API key), the frame begins as any transaction does and the settings follow
//! as before. A `BEGIN` sent with settings that fails, or is dropped while the server runs it,
//! closes its connection instead of returning it to the pool inside a transaction that holds
//! them (the patch in `vendor/README.md`).
//!
//! Architecture Invariant: nothing reads or writes through a [`Frame`] outside its
//! transaction. Every statement first begins it, and the only way to its
//! `DatabaseTransaction` is [`Frame::into_transaction`], which begins it too.

use crate::db::Settings;
use crate::error::Error;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, Statement, TransactionTrait,
};
use tokio::sync::OnceCell;

/// A request's transaction, begun by its first statement or by its settings ([`Settle`]).
pub struct Frame<'a> {
    db: &'a DatabaseConnection,
    /// Whether the transaction will write (`crate::db::begin_write`).
    write: bool,
    tx: OnceCell<DatabaseTransaction>,
}

impl<'a> Frame<'a> {
    /// A frame on `db` that has not begun; `write` for a mutation.
    pub fn new(db: &'a DatabaseConnection, write: bool) -> Self {
        Self {
            db,
            write,
            tx: OnceCell::new(),
        }
    }

    /// The transaction, begun plainly if nothing has begun it yet.
    async fn tx(&self) -> Result<&DatabaseTransaction, DbErr> {
        self.tx
            .get_or_try_init(|| async {
                if self.write {
                    crate::db::begin_write(self.db).await
                } else {
                    self.db.begin().await
                }
            })
            .await
    }

    /// The transaction, for the rest of the request (begun now if nothing has begun it).
    pub async fn into_transaction(self) -> Result<DatabaseTransaction, DbErr> {
        self.tx().await?;
        self.tx
            .into_inner()
            .ok_or_else(|| DbErr::Custom("the request's transaction was not begun".into()))
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Frame<'_> {
    fn get_database_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.tx().await?.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.tx().await?.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.tx().await?.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.tx().await?.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.db.support_returning()
    }
}

/// Where a request's last settings go: a transaction sends them ([`Settings::apply_last`]); a
/// [`Frame`] not yet begun may begin with them (on PostgreSQL).
pub trait Settle: ConnectionTrait {
    /// Sends `settings`, the last of the request's frame.
    fn settle(
        &self,
        settings: &mut Settings,
    ) -> impl std::future::Future<Output = Result<(), Error>> + Send;
}

impl Settle for DatabaseTransaction {
    async fn settle(&self, settings: &mut Settings) -> Result<(), Error> {
        settings.apply_last(self).await
    }
}

/// When nothing has begun the transaction yet and the database is PostgreSQL, the settings
/// begin it, in the same round trip ([`Settings::take_begin`]), unless a value must go as a
/// parameter; otherwise they are sent as on any transaction.
impl Settle for Frame<'_> {
    async fn settle(&self, settings: &mut Settings) -> Result<(), Error> {
        if !self.tx.initialized()
            && self.db.get_database_backend() == DbBackend::Postgres
            && let Some(sql) = settings.take_begin()
        {
            // A read's begin is not waited for: it goes with the first statement, in one round
            // trip. Should it fail, that statement and every later one fail, and the connection
            // is closed; a statement sent behind a begin rejected whole has run outside the
            // transaction, without the settings, but it is a read and its rows are not returned
            // (vendor/README.md). A write waits for its begin before anything else is sent.
            self.tx
                .get_or_try_init(|| async {
                    if self.write {
                        self.db.begin_postgres_with(sql).await
                    } else {
                        self.db.begin_postgres_pipelined(sql).await
                    }
                })
                .await?;
            return Ok(());
        }
        settings.apply_last(self).await
    }
}
