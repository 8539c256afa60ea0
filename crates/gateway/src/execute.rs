//! One GraphQL request over HTTP, in the order it happens: [`execute`] reads as the list of
//! its steps, each a small function below it.
//!
//! Architecture Invariant: every GraphQL request runs in one database transaction, begun here
//! by its first statement (`kernel::frame::Frame`: with a warm credential cache, the settings
//! that set its tenant) and committed here after execution (a query on PostgreSQL, read-only,
//! is rolled back instead: [`commit`]); services open savepoints inside it.

use crate::AppState;
use crate::budget;
use crate::metrics::OperationLabel;
use crate::schema::{CanopySchema, LOADERS};
use async_graphql::Value;
use async_graphql::parser::types::{OperationType, Selection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use identity::UserAgent;
use kernel::budget::Subject;
use kernel::credentials::Stamp;
use kernel::db::{RequestTx, Settings};
use kernel::frame::Frame;
use kernel::{Actor, Principal, RequestContext, TenantContext};
use live::wire::{
    AGENCY_HEADER, Limits, Media, SUB_ACCOUNT_HEADER, Shape, bearer_token, error_response,
    errors_response, finish_errors, header_str, operation, rejected,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Runs a GraphQL request (a query or a mutation; `is_get` when it came as a GET) and shapes
/// the HTTP response.
///
/// Awaited boxed: the request's future (the frame, the schema's execution) is kilobytes, and
/// held inline it made the handler's future as large, which axum and the layers above it that box
/// a future each copied whole (33,000 instructions of a lookup's 360,000, callgrind); boxed here,
/// it is copied once (17,500).
pub async fn execute(
    state: AppState,
    headers: HeaderMap,
    addr: SocketAddr,
    request: async_graphql::Request,
    media: Media,
    is_get: bool,
) -> Response {
    Box::pin(run(state, headers, addr, request, media, is_get)).await
}

/// [`execute`]'s work.
async fn run(
    state: AppState,
    headers: HeaderMap,
    addr: SocketAddr,
    mut request: async_graphql::Request,
    media: Media,
    is_get: bool,
) -> Response {
    let request_id = header_str(&headers, "x-request-id")
        .unwrap_or("-")
        .to_owned();
    let reject = |e: kernel::Error| rejected(e, media, &request_id);
    // A persisted query's text, and the parsed document of a text seen before.
    let resolved = match state.documents.resolve(&mut request) {
        Ok(r) => r,
        Err(r) => return r.respond(media),
    };
    if let Some(kept) = &resolved.parsed_before {
        state.metrics.documents_reused.inc();
        // Validated once: a reused document's validation checks only what this request
        // brings (its variables' values against the arguments, and the limits). Checked
        // against the query schema: the mutation schema is built from the same types
        // (`schema::build_one`), only its extensions differ, so their registries are one.
        if kept.prevalidated(&state.schema) {
            request = request.data(async_graphql::Prevalidated);
        }
    }
    let op = parse(&mut request, &Limits::of(&state.config));
    if let Some(refused) = limits(&state, &op, media, is_get) {
        return refused;
    }
    // The client network's budget first: a flood of bad credentials spends it too.
    let ip = client_ip(&state, &headers, addr);
    let points = state.budgets.rules().points(op.cost);
    let by_ip = match state.budgets.spend(&[Subject::Ip(ip)], points) {
        Ok(s) => s,
        Err(r) => return budget::headers(reject(r.error()), r.standing),
    };
    // Before the transaction's first statement: fills read in it are dropped after a clear.
    let stamp = state.identity.credentials.stamp();
    // Begun by its first statement: with a warm cache, the settings `act` ends with.
    let frame = Frame::new(&state.db, op.is_mutation());
    // In the transaction: an API key is read under row-level security opened to its prefix.
    let principal = match authenticate(&state, &frame, stamp, &headers).await {
        Ok(p) => p,
        Err(e) => return budget::headers(reject(e), by_ip),
    };
    let (actor, tenant) = match act(&state, &frame, stamp, principal, &headers, &op).await {
        Ok(a) => a,
        Err(e) => return budget::headers(reject(e), by_ip),
    };
    let tx = match frame.into_transaction().await {
        Ok(tx) => tx,
        Err(e) => return budget::headers(reject(kernel::Error::Db(e)), by_ip),
    };
    // Kept for the next request once the caller is known.
    if !matches!(actor.principal, Principal::Anonymous) {
        state.documents.remember(&mut request, &resolved);
    }
    // Then the credential's and the agency's.
    let standing = match state.budgets.spend(&budget::subjects(&actor), points) {
        Ok(s) => budget::tighter(by_ip, s),
        Err(r) => return budget::headers(reject(r.error()), r.standing),
    };
    let tx = Arc::new(tx);
    let context = RequestContext {
        actor,
        tenant,
        request_id: request_id.clone(),
        client_ip: Some(ip),
    };
    let request = install(request, &tx, context, &headers, &op);
    // A query's access primitive finds the sub-accounts it enters in the credential cache (a
    // mutation reads them: an earlier field may have deleted one, and the cache hears of that
    // only after the commit).
    // On the heap: the layers around it (below) would otherwise copy it on the stack, which a
    // debug build's test thread overflows.
    let run = Box::pin(schema(&state, op.is_mutation()).execute(request));
    // Jobs it enqueues wake the workers after the commit.
    let ((response, recorded), wake) = jobs::deferring_wakes(async {
        if op.is_query() {
            let cache = state.identity.credentials.clone();
            kernel::event::tracking(kernel::credentials::in_request(cache, stamp, run)).await
        } else {
            kernel::event::tracking(run).await
        }
    })
    .await;
    if let Err(e) = commit(&state, tx, &op, &recorded, wake).await {
        return budget::headers(reject(e), standing);
    }
    budget::headers(respond(response, media, &request_id), standing)
}

/// What the edge learns of a request before running it.
struct Operation {
    /// The operation's type, when the document names one unambiguously.
    ty: Option<OperationType>,
    /// Its cost ([`Shape`]), which the rate budgets charge.
    cost: usize,
    /// Whether its selection is one field (not a fragment): a mutation of one field opens its
    /// savepoint with the request's settings (`crate::savepoint`).
    one_field: bool,
    /// Why it must not run, found before it does: no query or over a limit (400), a syntax
    /// error or a string holding U+0000 (a GraphQL request error: 400, or 200 for clients
    /// that accept only `application/json`, as GraphQL over HTTP has it).
    refusal: Option<Refusal>,
}

/// A request refused before it runs (here, or by `crate::documents`).
pub struct Refusal {
    /// The error (message, code, and for limits the limit, its maximum and the value).
    pub error: serde_json::Value,
    /// 400 whatever the client accepts.
    pub always_400: bool,
}

impl Refusal {
    /// The HTTP response: 400, or 200 for a client that accepts only `application/json` when
    /// the error need not be 400 (GraphQL over HTTP).
    pub fn respond(&self, media: Media) -> Response {
        let status = if self.always_400 || media == Media::GraphqlResponse {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        errors_response(status, media, &self.error)
    }
}

impl Operation {
    fn is_mutation(&self) -> bool {
        self.ty == Some(OperationType::Mutation)
    }

    fn is_query(&self) -> bool {
        self.ty == Some(OperationType::Query)
    }

    /// A mutation of one top-level field: its savepoint is opened in the frame's settings
    /// statement and never released (the commit ends it), two round trips fewer.
    fn is_sole_mutation(&self) -> bool {
        self.is_mutation() && self.one_field
    }
}

/// Parses the document once (async-graphql keeps the parsed document) to learn the operation
/// type and measure what it asks ([`live::wire::Shape`]).
fn parse(request: &mut async_graphql::Request, limits: &Limits) -> Operation {
    if request.query.trim().is_empty() {
        return Operation {
            ty: None,
            cost: 0,
            one_field: false,
            refusal: Some(Refusal {
                error: serde_json::json!({
                    "message": "the request has no query: send {\"query\": \"…\", \"variables\": {…}}",
                    "extensions": { "code": "BAD_USER_INPUT" }
                }),
                always_400: true,
            }),
        };
    }
    let operation_name = request.operation_name.clone();
    let variables = std::mem::take(&mut request.variables);
    let op = match request.parsed_query() {
        Ok(doc) => {
            let op = operation(doc, operation_name.as_deref());
            let shape = op.map(|o| Shape::of(doc, &o.node.selection_set.node, &variables));
            let items = op.map(|o| &o.node.selection_set.node.items[..]);
            Operation {
                ty: op.map(|o| o.node.ty),
                cost: shape.map_or(0, |s| s.cost),
                one_field: matches!(items, Some([only]) if matches!(only.node, Selection::Field(_))),
                refusal: shape.and_then(|shape| {
                    shape.refusal(limits).map(|error| Refusal {
                        error,
                        always_400: !shape.nul,
                    })
                }),
            }
        }
        Err(e) => Operation {
            ty: None,
            cost: 0,
            one_field: false,
            refusal: Some(Refusal {
                error: syntax_error(&e),
                always_400: false,
            }),
        },
    };
    request.variables = variables;
    op
}

/// A syntax error in one line, with where it is (not the parser's multi-line report).
fn syntax_error(e: &async_graphql::ServerError) -> serde_json::Value {
    let at = e
        .locations
        .first()
        .map(|p| format!(" at line {}, column {}", p.line, p.column))
        .unwrap_or_default();
    // The parser's report ends with what it expected (`= expected selection_set`).
    let expected = e
        .message
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("= "))
        .map(|x| format!(": {x}"))
        .unwrap_or_default();
    let locations: Vec<_> = e
        .locations
        .iter()
        .map(|p| serde_json::json!({ "line": p.line, "column": p.column }))
        .collect();
    serde_json::json!({
        "message": format!("the query is not valid GraphQL{at}{expected}"),
        "locations": locations,
        "extensions": { "code": "BAD_USER_INPUT" }
    })
}

/// Refuses what this endpoint does not run: subscriptions (they have endpoints of their own),
/// mutations sent with GET (405, `Allow: POST`) and documents over a limit or otherwise refused
/// by [`parse`]. Counts every query and mutation in the metrics, refused or not. The refusal,
/// if any.
fn limits(state: &AppState, op: &Operation, media: Media, is_get: bool) -> Option<Response> {
    if op.ty == Some(OperationType::Subscription) {
        return Some(error_response(
            StatusCode::BAD_REQUEST,
            media,
            "subscriptions are served over WebSocket at /graphql/ws (protocol graphql-transport-ws) and as an event stream at /graphql/stream (GraphQL over SSE)",
            "BAD_USER_INPUT",
        ));
    }
    state
        .metrics
        .requests
        .get_or_create(&OperationLabel {
            operation: if op.is_mutation() {
                "mutation"
            } else {
                "query"
            },
        })
        .inc();
    if is_get && op.is_mutation() {
        let mut resp = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "mutations must be sent with POST",
            "BAD_USER_INPUT",
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Some(resp);
    }
    op.refusal.as_ref().map(|r| r.respond(media))
}

/// Authenticates at the edge: no `Authorization` header is anonymous; a bearer access token or
/// API key is checked; anything else is refused.
async fn authenticate(
    state: &AppState,
    tx: &impl ConnectionTrait,
    stamp: Stamp,
    headers: &HeaderMap,
) -> Result<Principal, kernel::Error> {
    match header_str(headers, header::AUTHORIZATION.as_str()) {
        None => Ok(Principal::Anonymous),
        Some(value) => match bearer_token(value) {
            Some(t) => identity::authenticate(tx, &state.identity, stamp, t).await,
            None => Err(kernel::Error::Unauthenticated(
                "use `Authorization: Bearer <token>`".into(),
            )),
        },
    }
}

/// The actor's memberships and the tenant the headers name, checked once, here; this also sets
/// what row-level security lets the transaction see, and makes a query's transaction read-only
/// (PostgreSQL), all in one statement when the credential cache is warm.
async fn act(
    state: &AppState,
    tx: &Frame<'_>,
    stamp: Stamp,
    principal: Principal,
    headers: &HeaderMap,
    op: &Operation,
) -> Result<(Actor, Option<TenantContext>), kernel::Error> {
    let settings = if op.is_query() {
        Settings::read_only()
    } else if op.is_sole_mutation() {
        Settings::default().then_savepoint(crate::savepoint::NAME)
    } else {
        Settings::default()
    };
    tenancy::act(
        tx,
        &state.identity.credentials,
        stamp,
        principal,
        header_str(headers, AGENCY_HEADER),
        header_str(headers, SUB_ACCOUNT_HEADER),
        settings,
    )
    .await
}

/// The client's address. The rightmost `X-Forwarded-For` entry is the one our proxy appended
/// (trusted only with `CANOPY_TRUST_FORWARDED_FOR`); entries to its left are whatever the
/// client sent, and could be forged to dodge per-IP throttles.
pub(crate) fn client_ip(state: &AppState, headers: &HeaderMap, addr: SocketAddr) -> IpAddr {
    let forwarded = || {
        header_str(headers, "x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    };
    state
        .config
        .trust_forwarded_for
        .then(forwarded)
        .flatten()
        .unwrap_or_else(|| addr.ip())
}

/// Puts what resolvers read into the request: every crate's loaders (on the transaction, held
/// weakly, with a short batching window and a cache cleared before each top-level mutation;
/// see `kernel::loader`), the transaction, the request context and the user agent.
fn install(
    request: async_graphql::Request,
    tx: &Arc<DatabaseTransaction>,
    context: RequestContext,
    headers: &HeaderMap,
    op: &Operation,
) -> async_graphql::Request {
    let weak = Arc::downgrade(tx);
    let tenant = context.actor.tenant;
    let mut request = LOADERS
        .iter()
        .fold(request, |r, loaders| loaders.install(r, &weak, tenant))
        .data(RequestTx(tx.clone()))
        .data(context);
    if let Some(ua) = header_str(headers, header::USER_AGENT.as_str()) {
        request = request.data(UserAgent(ua.to_owned()));
    }
    if op.is_mutation() {
        let variables = request.variables.clone();
        request = request.data(crate::savepoint::MutationVariables(variables));
    }
    if op.is_sole_mutation() {
        request = request.data(crate::savepoint::Opened);
    }
    request
}

/// Mutations run on the schema with savepoints, queries on the one without (`crate::schema`).
fn schema(state: &AppState, is_mutation: bool) -> &CanopySchema {
    if is_mutation {
        &state.mutation_schema
    } else {
        &state.schema
    }
}

/// Commits whatever the operations did: each mutation is atomic on its own (savepoints), and
/// some failures must persist (a replayed refresh token revokes its session). Live subscribers
/// then hear of what a mutation committed, this replica's cached pages that its events may
/// have changed (`recorded`: a funnel's, a tenant's lifecycle) are read again before the
/// response leaves, and the job workers look for work if the request asked them to (`wake`:
/// [`jobs::deferring_wakes`]).
///
/// A query on PostgreSQL has nothing to commit (its transaction is read-only from its first
/// statement of work, `Settings::read_only`): it is dropped, which queues its `ROLLBACK`, and
/// sqlx sends that with the ping it makes as the pool takes the connection back, one round
/// trip after the response has left instead of `COMMIT`'s before it and the ping's after.
async fn commit(
    state: &AppState,
    tx: Arc<DatabaseTransaction>,
    op: &Operation,
    recorded: &[(Option<sea_orm::prelude::Uuid>, kernel::event::EventType)],
    wake: bool,
) -> Result<(), kernel::Error> {
    let tx = Arc::try_unwrap(tx)
        .map_err(|_| kernel::Error::internal("request transaction still shared after execution"))?;
    if op.is_query() && recorded.is_empty() && tx.get_database_backend() == DbBackend::Postgres {
        drop(tx);
        if wake {
            // Read-only, it enqueued nothing here; whatever asked committed elsewhere.
            jobs::wake();
        }
        return Ok(());
    }
    let is_mutation = op.is_mutation();
    // A commit cut off may or may not have happened: never tell the client it may retry
    // (`UNAVAILABLE`), which could do a mutation twice.
    tx.commit()
        .await
        .map_err(|e| kernel::Error::internal(format!("commit failed: {e}")))?;
    for (agency, event_type) in recorded {
        if kernel::event::touches_sites(event_type.as_str()) {
            state.page_cache.changed(*agency);
        }
        // This replica at once; the others when their bus hears of the event.
        state.identity.credentials.clear_after(*event_type);
    }
    if is_mutation {
        state.live.bus.poke();
    }
    if wake {
        // Whatever the request enqueued is visible now.
        jobs::wake();
    }
    Ok(())
}

/// The HTTP response: every error coded (`INTERNAL` ones with the request id); a request
/// error (nothing executed) is 400 with no `data` entry for `application/graphql-response+json`
/// clients, per GraphQL over HTTP, and 200 for `application/json` ones.
fn respond(mut response: async_graphql::Response, media: Media, request_id: &str) -> Response {
    finish_errors(&mut response.errors, request_id);
    let request_error = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // The database out of reach: the transaction rolled back, so nothing happened, and the
    // client is told to retry (503 and `Retry-After`), not to report a bug.
    let unavailable = response.errors.iter().any(|e| {
        e.extensions.as_ref().and_then(|x| x.get("code"))
            == Some(&Value::from(kernel::error::ErrorCode::Unavailable.as_str()))
    });
    let status = if unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else if media == Media::GraphqlResponse && request_error {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // A request error (nothing executed) has no `data` entry at all, per GraphQL over HTTP.
    // Serialised straight from the response: through a `serde_json::Value` first, the board
    // spent 5 % of the gateway's CPU building a tree only to write it out.
    let body = if request_error {
        serde_json::to_value(&response).and_then(|mut v| {
            if let Some(obj) = v.as_object_mut() {
                obj.remove("data");
            }
            serde_json::to_vec(&v)
        })
    } else {
        serde_json::to_vec(&response)
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return rejected(
                kernel::Error::internal(format!("cannot serialize response: {e}")),
                media,
                request_id,
            );
        }
    };
    let mut resp = (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response();
    if unavailable {
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            kernel::error::UNAVAILABLE_RETRY_AFTER_SECS.into(),
        );
    }
    resp
}
