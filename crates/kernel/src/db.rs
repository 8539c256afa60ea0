//! Database helpers shared by every crate.
//!
//! Architecture Invariant: every query of a GraphQL request runs on that request's transaction
//! (the [`RequestTx`] in the request data), so PostgreSQL's row-level security sees the tenant
//! the gateway set on it. A service that writes more than one row opens a savepoint with
//! `begin()` on it, so a failure leaves nothing half-written — or marks its user errors after a
//! write (`crate::audit::roll_back_mutation`, which [`taken_rank`] calls), so the gateway rolls
//! the mutation back.

use crate::error::Error;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, SqlErr, Statement};
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

/// Begins a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
/// `SQLITE_BUSY_SNAPSHOT` whenever another writer (a request, the job runtime) committed in
/// between, and waiting cannot help it. Elsewhere an ordinary transaction.
pub async fn begin_write<C: sea_orm::TransactionTrait + ConnectionTrait>(
    db: &C,
) -> Result<C::Transaction, DbErr> {
    let mode = (db.get_database_backend() == DbBackend::Sqlite)
        .then_some(sea_orm::SqliteTransactionMode::Immediate);
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: mode,
        ..Default::default()
    })
    .await
}

/// Takes, for the rest of the transaction, the lock of one ordered list (`list` names its kind,
/// `parent` the row it hangs from: a pipeline's lanes, a task's checklist): whoever places an
/// item reads the neighbours' ranks under it, so two concurrent inserts or moves cannot pick
/// the same rank. A transaction-scoped advisory lock on PostgreSQL (no row is touched, so it
/// blocks nothing else); SQLite's writers are serialised already (`begin_write`). Each list's
/// unique `(agency_id, parent, rank)` index is the backstop, and [`taken_rank`] its message.
pub async fn lock_list(
    db: &impl ConnectionTrait,
    list: &str,
    parent: uuid::Uuid,
) -> Result<(), Error> {
    lock(db, &format!("rank:{list}:{parent}")).await
}

/// Takes, for the rest of the transaction, the lock named `key`: a transaction-scoped advisory
/// lock on PostgreSQL; nothing on SQLite, whose writers are serialised already
/// (`begin_write`). For check-then-insert paths with no unique index to fall back on (a
/// contact found by email address, else created).
pub async fn lock(db: &impl ConnectionTrait, key: &str) -> Result<(), Error> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// A unique violation on a list's rank (which [`lock_list`] prevents) as the message a person
/// can act on; any other error unchanged. The mutation is marked failed
/// ([`crate::audit::roll_back_mutation`]), so the gateway rolls back what it wrote.
pub fn taken_rank(err: DbErr) -> Error {
    if is_unique_violation(&err) {
        crate::audit::roll_back_mutation();
        Error::user(
            "input",
            crate::error::UserErrorCode::Taken,
            "the list changed at the same moment: try again",
        )
    } else {
        err.into()
    }
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Finds which agency a sub-account belongs to. Implemented by the tenancy crate and put into
/// the schema data by the gateway, so crates below tenancy can resolve sub-account scopes.
#[async_graphql::async_trait::async_trait]
pub trait ScopeDirectory: Send + Sync {
    /// The agency of a live sub-account, or `None`.
    async fn sub_account_agency(
        &self,
        db: &DatabaseTransaction,
        actor: &crate::Actor,
        sub_account_id: uuid::Uuid,
    ) -> Result<Option<uuid::Uuid>, Error>;
}

/// Resolves the scope a global id names (platform, reseller, agency or sub-account). It says
/// nothing about whether the actor may act there: services check that, and a scope the actor
/// holds nothing in is `NOT_FOUND` to them.
pub async fn resolve_scope(
    ctx: &async_graphql::Context<'_>,
    id: &str,
) -> Result<crate::auth::Scope, Error> {
    use crate::auth::Scope;
    use crate::id::{GlobalId, NodeKind};
    let (tx, rc) = request(ctx)?;
    let gid = GlobalId::parse(id)?;
    if gid.kind != NodeKind::SubAccount {
        return rc.actor.resolve_scope(gid);
    }
    let directory = ctx
        .data::<std::sync::Arc<dyn ScopeDirectory>>()
        .map_err(|_| Error::internal("scope directory missing from the schema"))?;
    let agency_id = directory
        .sub_account_agency(tx, &rc.actor, gid.uuid)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Scope::SubAccount {
        agency_id,
        id: gid.uuid,
    })
}

/// `column` is one of `ids`, in SQL that does not grow with their number on PostgreSQL:
/// `column = ANY($1)`, the ids in one `uuid[]` parameter, sent in binary. A loader's batch is
/// then one prepared statement for 1 id or 100, parsed and planned once per connection, where
/// `IN` with a placeholder per id is a new statement (a round trip to prepare it, and a plan) for
/// every batch size, crowding the driver's statement cache. Elsewhere `column IN (…)`.
///
/// Not `ANY(CAST($1 AS uuid[]))` with the ids as text: once PostgreSQL settles on a statement's
/// generic plan, a scan that tests the condition row by row parses the text again for every row
/// (the sub-accounts page's counters: 0.205 ms, against 0.053 ms with a `uuid[]` parameter).
pub fn one_of<C: sea_orm::ColumnTrait>(
    backend: DbBackend,
    column: C,
    ids: impl IntoIterator<Item = uuid::Uuid>,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, extension::postgres::PgFunc};
    if backend != DbBackend::Postgres {
        return column.is_in(ids);
    }
    let ids: Vec<uuid::Uuid> = ids.into_iter().collect();
    Expr::col(column.as_column_ref()).eq(PgFunc::any(Expr::val(ids)))
}

/// `query` built for `backend` with its unsigned integers written into the text as numbers, not
/// bound: a page's `LIMIT` (and an `OFFSET`). Every `u64` value is written so (digits only,
/// nothing to escape); in the contacts list, its one caller, nothing else binds one, and a
/// `u64` bound there later would make a statement text per value.
///
/// PostgreSQL plans a prepared statement for any values (a generic plan) once custom plans have
/// not proved cheaper, after five runs. A generic plan does not know a bound `LIMIT`, and costs
/// it as keeping a tenth of the rows, so a page ordered by an index but filtered by another
/// table walks the index: a tag's contacts by name read 958 buffers where, with the limit known,
/// the same generic plan reads the tag's rows and sorts them in 60 (BENCHMARKS.md, session 32).
/// Each limit is its own statement text, prepared once per connection, so a caller writes a
/// page's limit rounded up to one of three sizes ([`crate::connection::Page::fetch_limit`]):
/// with the limit as asked, every page of a size not seen before on a connection cost a round
/// trip to prepare its statement (CI's `frame::a_loader_batch_is_one_statement_whatever_its_size`
/// caught it, session 32).
pub fn with_literal_limits(
    backend: DbBackend,
    query: &sea_orm::sea_query::SelectStatement,
) -> Statement {
    use sea_orm::sea_query::{QueryBuilder, SqlWriter, Value};
    use std::fmt::Write;
    /// `sea_query::SqlWriterValues`, but with unsigned integers written in place.
    struct Writer {
        sql: String,
        values: Vec<Value>,
        placeholder: &'static str,
        numbered: bool,
    }
    impl Write for Writer {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.sql.write_str(s)
        }
    }
    impl std::fmt::Display for Writer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.sql)
        }
    }
    impl SqlWriter for Writer {
        fn push_param<T: QueryBuilder>(&mut self, value: Value, _: &T) {
            if let Value::BigUnsigned(Some(n)) = value {
                // A number has no syntax to escape.
                let _ = write!(self.sql, "{n}");
                return;
            }
            self.sql.push_str(self.placeholder);
            if self.numbered {
                let _ = write!(self.sql, "{}", self.values.len() + 1);
            }
            self.values.push(value);
        }

        fn as_writer(&mut self) -> &mut dyn Write {
            self as _
        }
    }
    fn build(query: &sea_orm::sea_query::SelectStatement, builder: impl QueryBuilder) -> Writer {
        let (placeholder, numbered) = builder.placeholder();
        let mut w = Writer {
            sql: String::with_capacity(1024),
            values: Vec::new(),
            placeholder,
            numbered,
        };
        sea_orm::sea_query::QueryStatementBuilder::build_collect_any_into(query, &builder, &mut w);
        w
    }
    let w = match backend {
        DbBackend::Postgres => build(query, sea_orm::sea_query::PostgresQueryBuilder),
        DbBackend::Sqlite => build(query, sea_orm::sea_query::SqliteQueryBuilder),
        _ => build(query, sea_orm::sea_query::MysqlQueryBuilder),
    };
    Statement::from_sql_and_values(backend, w.sql, w.values)
}

/// An insert of `row` (its set columns) as one row selected from `source`, a common table
/// expression of the same statement: written once for each row `source` holds, so not at all
/// if it holds none. A change and the rows that go with it (its history, its event) then take
/// one statement on PostgreSQL, where each was a round trip:
/// `WITH changed AS (UPDATE … RETURNING *), e AS (INSERT … SELECT $1, … FROM changed) SELECT *
/// FROM changed`. Values go through the column's `save_as`, as `Entity::insert` sends them.
/// (SQLite has no data-modifying common table expressions.) A row with no column set is an
/// error: there would be nothing to insert.
pub fn insert_from<A: sea_orm::ActiveModelTrait>(
    row: &A,
    source: &str,
) -> Result<sea_orm::sea_query::InsertStatement, Error> {
    use sea_orm::sea_query::{Alias, Expr, Query};
    use sea_orm::{ActiveValue, ColumnTrait, EntityName, EntityTrait, Iterable};
    let (mut columns, mut values) = (Vec::new(), Vec::new());
    for c in <A::Entity as EntityTrait>::Column::iter() {
        if let ActiveValue::Set(v) | ActiveValue::Unchanged(v) = row.get(c) {
            columns.push(c);
            values.push(c.save_as(Expr::val(v)));
        }
    }
    if columns.is_empty() {
        return Err(Error::internal("insert_from: a row with no column set"));
    }
    let select = Query::select()
        .exprs(values)
        .from(Alias::new(source))
        .to_owned();
    let mut insert = Query::insert();
    insert
        .into_table(A::Entity::default().table_ref())
        .columns(columns)
        .select_from(select)
        .map_err(Error::internal)?;
    Ok(insert)
}

/// What PostgreSQL's row-level security lets the rest of a transaction see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantGuard {
    /// One agency's rows.
    Agency(uuid::Uuid),
    /// The tree rows (sub-accounts, sidebars, ...) of every agency: for platform staff managing
    /// the tree, and for Canopy itself (seeding, jobs). Tenant data tables (CRM) stay closed.
    /// The application's own checks still apply.
    CrossTenant,
    /// The tree rows of the agencies sold by these resellers: for reseller staff.
    Resellers(Vec<uuid::Uuid>),
    /// Nothing (no tenant).
    Nobody,
}

/// Sets the tenant for the rest of the transaction `db` (PostgreSQL; a no-op elsewhere).
/// Transaction-local (`set_config(…, true)`): nothing is left on the pooled connection.
pub async fn set_tenant(db: &impl ConnectionTrait, guard: TenantGuard) -> Result<(), Error> {
    let mut settings = Settings::default();
    settings.tenant(guard);
    settings.apply(db).await
}

/// Transaction-local settings (`set_config(…, true)`) gathered and sent together, in one
/// statement: the request frame sets the user's opening, the tenant and (for queries) read-only
/// mode in one round trip. A later setting of the same name replaces an earlier one not sent yet.
#[derive(Debug, Default)]
pub struct Settings {
    pending: Vec<(&'static str, String)>,
    /// A savepoint to open after the last settings ([`Self::then_savepoint`]).
    savepoint: Option<&'static str>,
}

impl Settings {
    /// Settings that start with the transaction read-only (`transaction_read_only`): a query's
    /// transaction, which no statement may write in. Going read-only is allowed at any point
    /// of a transaction.
    pub fn read_only() -> Self {
        Self {
            pending: vec![("transaction_read_only", "on".to_owned())],
            savepoint: None,
        }
    }

    /// Opens the savepoint `name` (a name from the code, never from input) once the settings
    /// are sent by [`Self::apply_last`], after them: rolling back to it keeps them. On
    /// PostgreSQL, in the same round trip when every value is plain text.
    pub fn then_savepoint(mut self, name: &'static str) -> Self {
        self.savepoint = Some(name);
        self
    }

    /// Adds the tenant [`TenantGuard`] names.
    pub fn tenant(&mut self, guard: TenantGuard) {
        let (name, value) = match guard {
            TenantGuard::Agency(id) => ("app.agency_id", id.to_string()),
            TenantGuard::CrossTenant => ("app.cross_tenant", "on".to_owned()),
            TenantGuard::Resellers(ids) => (
                "app.reseller_ids",
                ids.iter()
                    .map(uuid::Uuid::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            TenantGuard::Nobody => ("app.agency_id", String::new()),
        };
        self.push(name, value);
    }

    fn push(&mut self, name: &'static str, value: String) {
        self.pending.retain(|(n, _)| *n != name);
        self.pending.push((name, value));
    }

    /// Adds what [`Opening`] names.
    pub fn open(&mut self, opening: Opening) {
        match opening {
            Opening::User(id) => {
                let id = id.to_string();
                self.push("app.user_id", id.clone());
                self.push("app.member_of", id);
            }
            Opening::MemberOf(id) => self.push("app.member_of", id.to_string()),
            Opening::ApiKeyPrefix(p) => self.push("app.api_key_prefix", p),
            Opening::InvitationToken(h) => self.push("app.invitation_token", h),
            Opening::SiteHost(h) => self.push("app.site_host", h),
            Opening::MediaToken(t) => self.push("app.media_token", t),
            Opening::BookingToken(t) => self.push("app.booking_token", t),
            Opening::ReferralToken(t) => self.push("app.referral_token", t),
        }
    }

    /// [`Self::apply`] for the last time, then opens the savepoint of [`Self::then_savepoint`]
    /// if one was asked for (on every database): on PostgreSQL as one simple query,
    /// `SELECT set_config('…', '…', true), …; SAVEPOINT …`, when every value is plain text
    /// ([`folded`]); otherwise the settings as a prepared statement and the savepoint after.
    pub async fn apply_last(&mut self, db: &impl ConnectionTrait) -> Result<(), Error> {
        let Some(name) = self.savepoint else {
            return self.apply(db).await;
        };
        if db.get_database_backend() == DbBackend::Postgres
            && let Some(sql) = self.take_folded()
        {
            db.execute_unprepared(&sql).await?;
            return Ok(());
        }
        self.savepoint = None;
        self.apply(db).await?;
        db.execute_unprepared(&format!("SAVEPOINT {name}")).await?;
        Ok(())
    }

    /// What [`Self::apply_last`] would send, as the statement that begins a PostgreSQL
    /// transaction in the same round trip: `BEGIN; SELECT set_config('…', '…', true), …;
    /// SAVEPOINT …` (a `crate::frame::Frame` not yet begun). `None`, and nothing taken, when a
    /// value is not plain text ([`folded`]).
    pub fn take_begin(&mut self) -> Option<String> {
        Some(match self.take_folded()? {
            rest if rest.is_empty() => "BEGIN".to_owned(),
            rest => format!("BEGIN; {rest}"),
        })
    }

    /// [`folded`] of what is pending, which is then sent by whoever runs it.
    fn take_folded(&mut self) -> Option<String> {
        let sql = folded(&self.pending, self.savepoint)?;
        self.pending.clear();
        self.savepoint = None;
        Some(sql)
    }

    /// Sends what was added since the last call, in one statement (none when nothing was;
    /// PostgreSQL only: elsewhere the settings are dropped).
    pub async fn apply(&mut self, db: &impl ConnectionTrait) -> Result<(), Error> {
        if self.pending.is_empty() || db.get_database_backend() != DbBackend::Postgres {
            self.pending.clear();
            return Ok(());
        }
        let mut sql = String::from("SELECT ");
        let mut values = Vec::with_capacity(self.pending.len() * 2);
        for (i, (name, value)) in self.pending.drain(..).enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("set_config(${}, ${}, true)", 2 * i + 1, 2 * i + 2));
            values.push(name.into());
            values.push(value.into());
        }
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
        Ok(())
    }
}

/// The settings and then the savepoint `savepoint` (if any) as simple queries, `;`-separated,
/// with the values written into them: only when every value is plain text (ASCII letters,
/// digits and `-_.,:@`: ids, lists of ids, hosts, tokens), so nothing can end the literal;
/// `None` otherwise, and they go as parameters. Empty when there is nothing to send.
fn folded(pending: &[(&'static str, String)], savepoint: Option<&'static str>) -> Option<String> {
    let plain = |v: &str| {
        v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:@".contains(&b))
    };
    if !pending.iter().all(|(n, v)| plain(n) && plain(v)) {
        return None;
    }
    let mut parts = Vec::with_capacity(2);
    if !pending.is_empty() {
        let calls: Vec<String> = pending
            .iter()
            .map(|(n, v)| format!("set_config('{n}', '{v}', true)"))
            .collect();
        parts.push(format!("SELECT {}", calls.join(", ")));
    }
    if let Some(name) = savepoint {
        parts.push(format!("SAVEPOINT {name}"));
    }
    Some(parts.join("; "))
}

/// After `actor` was authorized in `scope` (`Actor::require_in`), lets the rest of the
/// transaction see and write that scope's agency rows when the request acts in another
/// agency or in none (a user of several agencies who named none): scope management (members,
/// invitations, API keys) is checked against memberships, not against the request's tenant.
pub async fn enter_scope(
    db: &impl ConnectionTrait,
    actor: &crate::Actor,
    scope: crate::auth::Scope,
) -> Result<(), Error> {
    match scope.agency_id() {
        Some(agency) if actor.tenant != Some(agency) => {
            set_tenant(db, TenantGuard::Agency(agency)).await
        }
        _ => Ok(()),
    }
}

/// A narrow, transaction-local opening of row-level security beyond the tenant (PostgreSQL;
/// nothing elsewhere): each lets the rest of the transaction see a few rows of one table that
/// no tenant setting shows.
#[derive(Debug, Clone)]
pub enum Opening {
    /// The signed-in user: their notifications, and their memberships in every scope
    /// (`app.user_id`, and `app.member_of` too, in one statement).
    User(uuid::Uuid),
    /// Another user's memberships, to compute what they may do (`app.member_of`).
    MemberOf(uuid::Uuid),
    /// The API key with this public prefix, to authenticate it (`app.api_key_prefix`).
    ApiKeyPrefix(String),
    /// The invitation whose code hashes to this, to accept it (`app.invitation_token`).
    InvitationToken(String),
    /// The funnel served at a host, to render its published pages to the public
    /// (`app.site_host`): its subdomain (the host's first label under the sites' domain, no
    /// dot) or its custom domain (the whole host).
    SiteHost(String),
    /// The media file with this public token, to serve it to the public (`app.media_token`).
    MediaToken(String),
    /// The calendar service with this public booking token (`app.booking_token`).
    BookingToken(String),
    /// The referral code with this public link token (`app.referral_token`).
    ReferralToken(String),
}

/// Opens what [`Opening`] names for the rest of the transaction (one statement).
pub async fn open(db: &impl ConnectionTrait, opening: Opening) -> Result<(), Error> {
    let mut settings = Settings::default();
    settings.open(opening);
    settings.apply(db).await
}

/// Runs a read in one agency's tenant and puts the transaction's tenant back afterwards: for
/// the rare check that must look into a scope the request does not act in (accepting an
/// invitation into it). PostgreSQL only; elsewhere the read simply runs.
pub async fn peek_into_tenant<T, F, Fut>(
    db: &impl ConnectionTrait,
    agency_id: uuid::Uuid,
    read: F,
) -> Result<T, Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    if db.get_database_backend() != DbBackend::Postgres {
        return read().await;
    }
    let previous = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COALESCE(current_setting('app.agency_id', true), '') AS v",
        ))
        .await?
        .map(|r| r.try_get::<String>("", "v"))
        .transpose()?
        .unwrap_or_default();
    set_tenant(db, TenantGuard::Agency(agency_id)).await?;
    let result = read().await;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('app.agency_id', $1, true)",
        [previous.into()],
    ))
    .await?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

    #[test]
    fn settings_fold_into_the_savepoint_only_when_every_value_is_plain() {
        let id = uuid::Uuid::nil().to_string();
        let plain = vec![
            ("app.agency_id", id.clone()),
            ("transaction_read_only", "on".into()),
        ];
        assert_eq!(
            folded(&plain, Some("canopy_mutation")).as_deref(),
            Some(
                "SELECT set_config('app.agency_id', '00000000-0000-0000-0000-000000000000', true), \
                 set_config('transaction_read_only', 'on', true); SAVEPOINT canopy_mutation"
            )
        );
        for odd in ["it's", "a b", "x\\y", "é", "a;b", ""] {
            let odd = vec![("app.site_host", odd.to_owned())];
            let expected = if odd[0].1.is_empty() { Some(()) } else { None };
            assert_eq!(
                folded(&odd, Some("s")).map(|_| ()),
                expected,
                "{:?}",
                odd[0].1
            );
        }
        assert_eq!(folded(&[], Some("s")).as_deref(), Some("SAVEPOINT s"));
        assert_eq!(folded(&[], None).as_deref(), Some(""));
    }

    #[test]
    fn settings_begin_the_transaction_only_when_every_value_is_plain() {
        let mut read = Settings::read_only();
        read.tenant(TenantGuard::Agency(uuid::Uuid::nil()));
        assert_eq!(
            read.take_begin().as_deref(),
            Some(
                "BEGIN; SELECT set_config('transaction_read_only', 'on', true), \
                 set_config('app.agency_id', '00000000-0000-0000-0000-000000000000', true)"
            )
        );
        assert!(read.pending.is_empty(), "taken, so not sent again");
        let mut anonymous = Settings::default().then_savepoint("m");
        assert_eq!(
            anonymous.take_begin().as_deref(),
            Some("BEGIN; SAVEPOINT m")
        );
        assert_eq!(Settings::default().take_begin().as_deref(), Some("BEGIN"));
        let mut odd = Settings::default().then_savepoint("m");
        odd.open(Opening::SiteHost("it's".into()));
        assert_eq!(odd.take_begin(), None);
        assert_eq!(
            (odd.pending.len(), odd.savepoint),
            (1, Some("m")),
            "left to send"
        );
    }

    #[test]
    fn insert_from_selects_the_set_columns_once_per_row_of_its_source() {
        use sea_orm::ActiveValue::Set;
        use sea_orm::sea_query::PostgresQueryBuilder;
        let row = crate::event::entity::ActiveModel {
            id: Set(uuid::Uuid::nil()),
            event_type: Set("ticket.moved".into()),
            payload: Set(serde_json::json!({ "toLaneId": "x" })),
            ..Default::default()
        };
        let (sql, values) = insert_from(&row, "moved")
            .expect("as many values as columns")
            .build(PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"INSERT INTO "events" ("id", "event_type", "payload") SELECT $1, $2, $3 FROM "moved""#
        );
        assert_eq!(values.0.len(), 3);
    }

    #[test]
    fn one_of_is_one_array_parameter_on_postgres_and_in_elsewhere() {
        let ids = [uuid::Uuid::nil(), uuid::Uuid::max()];
        let pg = crate::event::entity::Entity::find()
            .filter(one_of(
                DbBackend::Postgres,
                crate::event::entity::Column::Id,
                ids,
            ))
            .build(DbBackend::Postgres);
        assert!(
            pg.sql.ends_with(r#"WHERE "events"."id" = ANY($1)"#),
            "{}",
            pg.sql
        );
        let values = pg.values.expect("values").0;
        assert_eq!(
            values,
            vec![sea_orm::Value::Array(
                sea_orm::sea_query::ArrayType::Uuid,
                Some(Box::new(
                    ids.iter().map(|id| sea_orm::Value::from(*id)).collect()
                ))
            )]
        );
        let sqlite = crate::event::entity::Entity::find()
            .filter(one_of(
                DbBackend::Sqlite,
                crate::event::entity::Column::Id,
                ids,
            ))
            .build(DbBackend::Sqlite);
        assert!(sqlite.sql.ends_with(r#"IN (?, ?)"#), "{}", sqlite.sql);
    }

    #[test]
    fn literal_limits_write_the_limit_in_and_bind_everything_else_in_order() {
        use crate::event::entity::{Column, Entity};
        use sea_orm::{ColumnTrait, QueryOrder, QuerySelect};
        let inner = Entity::find()
            .filter(Column::EventType.eq("a"))
            .order_by_asc(Column::Id)
            .limit(51)
            .into_query();
        let mut q = Entity::find().filter(Column::EventType.ne("b")).offset(7);
        QuerySelect::query(&mut q)
            .from_clear()
            .from_subquery(inner, Entity);
        let q = q.into_query();
        let pg = with_literal_limits(DbBackend::Postgres, &q);
        assert!(pg.sql.contains(r#"WHERE "events"."event_type" = $1 ORDER BY "events"."id" ASC LIMIT 51) AS "events""#), "{}", pg.sql);
        assert!(
            pg.sql
                .ends_with(r#"WHERE "events"."event_type" <> $2 OFFSET 7"#),
            "{}",
            pg.sql
        );
        let values = pg.values.expect("values").0;
        assert_eq!(
            values,
            vec![sea_orm::Value::from("a"), sea_orm::Value::from("b")]
        );
        let sqlite = with_literal_limits(DbBackend::Sqlite, &q);
        assert!(
            sqlite.sql.contains("= ? ORDER BY") && sqlite.sql.ends_with("<> ? OFFSET 7"),
            "{}",
            sqlite.sql
        );
        // Bound, the same select is what sea-orm builds.
        assert_eq!(
            DbBackend::Postgres
                .build(&q)
                .sql
                .replace("LIMIT $2", "LIMIT 51")
                .replace("<> $3", "<> $2")
                .replace("OFFSET $4", "OFFSET 7"),
            pg.sql
        );
    }
}
