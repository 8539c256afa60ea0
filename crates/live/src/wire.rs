//! The wire rules the HTTP endpoint (the gateway's `/graphql`) and the live transports
//! (`/graphql/ws`, `/graphql/stream`) share: the tenant headers, the bearer credential, which
//! operation a document runs and what it asks ([`Shape`]: aliases, depth, cost, U+0000), and
//! the shape of errors (every error coded, `INTERNAL` ones with the request id; refusals with
//! their HTTP status).
//!
//! They live here, in the lower of the two crates, so that both edges read a request the same
//! way.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, Selection, SelectionSet,
};
use async_graphql::{Positioned, ServerError, Value, Variables};
use async_graphql_value::{ConstValue, Value as AstValue};
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// The header naming the agency a request acts in (a global id).
pub const AGENCY_HEADER: &str = "canopy-agency";
/// The header naming the sub-account a request acts in (a global id).
pub const SUB_ACCOUNT_HEADER: &str = "canopy-sub-account";
/// The GraphQL over HTTP response media type.
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The response media type the client accepts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Media {
    /// `application/graphql-response+json`: status codes follow the GraphQL over HTTP spec.
    GraphqlResponse,
    /// `application/json` for older clients: 200 for every well-formed request.
    Json,
}

impl Media {
    /// The media type `Accept` asks for (`application/json` without one); `None` when it
    /// accepts neither.
    pub fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Some(Media::Json);
        };
        let accept = accept.to_ascii_lowercase();
        if accept.contains(GRAPHQL_RESPONSE_JSON) {
            Some(Media::GraphqlResponse)
        } else if accept.contains("application/json")
            || accept.contains("*/*")
            || accept.contains("application/*")
            || accept.trim().is_empty()
        {
            Some(Media::Json)
        } else {
            None
        }
    }

    /// The `Content-Type` of a response in this media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// A response with one coded error and no `data`.
pub fn error_response(status: StatusCode, media: Media, message: &str, code: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        Json(body).0.to_string(),
    )
        .into_response()
}

/// A response with one error (already shaped, with its code) and no `data`.
pub fn errors_response(status: StatusCode, media: Media, error: &serde_json::Value) -> Response {
    let body = serde_json::json!({ "errors": [error] });
    (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response()
}

/// The token of an `Authorization: Bearer <token>` value (the scheme in either case).
pub fn bearer_token(value: &str) -> Option<&str> {
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// A header's value, trimmed; `None` when absent, empty or not text.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The operation a request will run, if the document names one unambiguously.
pub fn operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a Positioned<async_graphql::parser::types::OperationDefinition>> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    }
}

/// What a document asks of the server, measured before it runs (one walk, each fragment once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Aliased fields, each fragment's once per spread.
    pub aliases: usize,
    /// The deepest nesting of fields (a root field is 1).
    pub depth: usize,
    /// What it may resolve: each field costs 1, and a page (`first` or `last`; 20 for a field
    /// that selects `nodes` or `edges` without either; the length of `ids`) multiplies the cost
    /// of what it selects.
    pub cost: usize,
    /// Whether a string in it (a literal or a variable) holds U+0000, which no database column
    /// stores the same way (PostgreSQL refuses it).
    pub nul: bool,
}

/// The limits a document must stay within.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most aliased fields.
    pub aliases: usize,
    /// Deepest nesting.
    pub depth: usize,
    /// Highest cost.
    pub cost: usize,
}

impl Limits {
    /// The limits the configuration sets.
    pub fn of(config: &kernel::Config) -> Self {
        Self {
            aliases: config.max_aliases,
            depth: config.max_depth,
            cost: config.max_complexity,
        }
    }
}

impl Shape {
    /// Measures the operation `set` of `doc`, with its variables.
    pub fn of(doc: &ExecutableDocument, set: &SelectionSet, variables: &Variables) -> Self {
        let mut memo = HashMap::new();
        let mut shape = walk(doc, set, variables, &mut memo);
        shape.nul |= variables.iter().any(|(_, v)| const_has_nul(v));
        shape
    }

    /// The refusal of a document over a limit (status 400, `BAD_USER_INPUT`, with the limit,
    /// its maximum and the document's value), or of one holding U+0000.
    pub fn refusal(&self, limits: &Limits) -> Option<serde_json::Value> {
        if self.nul {
            return Some(serde_json::json!({
                "message": "a string holds the NUL character (U+0000), which Canopy does not store",
                "extensions": { "code": "BAD_USER_INPUT" }
            }));
        }
        let over = [
            ("aliases", "aliased fields", limits.aliases, self.aliases),
            ("depth", "nesting depth", limits.depth, self.depth),
            ("cost", "cost", limits.cost, self.cost),
        ]
        .into_iter()
        .find(|(_, _, max, actual)| actual > max)?;
        let (limit, what, max, actual) = over;
        let why = if limit == "cost" {
            " (each field costs 1, and a page multiplies what it selects by its size)"
        } else {
            ""
        };
        Some(serde_json::json!({
            "message": format!("the query's {what} is {actual}; at most {max} is allowed{why}"),
            "extensions": { "code": "BAD_USER_INPUT", "limit": limit, "max": max, "actual": actual }
        }))
    }
}

/// One selection set's shape. A fragment is walked once (memoised); a cycle counts nothing here
/// and is rejected by validation.
fn walk<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    vars: &Variables,
    memo: &mut HashMap<&'a str, Option<Shape>>,
) -> Shape {
    let mut s = Shape::default();
    for sel in &set.items {
        let sub = match &sel.node {
            Selection::Field(f) => {
                let f = &f.node;
                let inner = walk(doc, &f.selection_set.node, vars, memo);
                let n = page_size(f, vars);
                Shape {
                    aliases: usize::from(f.alias.is_some()).saturating_add(inner.aliases),
                    depth: inner.depth.saturating_add(1),
                    cost: n.saturating_mul(inner.cost).saturating_add(1),
                    nul: inner.nul || f.arguments.iter().any(|(_, v)| value_has_nul(&v.node)),
                }
            }
            Selection::InlineFragment(fr) => walk(doc, &fr.node.selection_set.node, vars, memo),
            Selection::FragmentSpread(sp) => {
                let name = sp.node.fragment_name.node.as_str();
                match memo.get(name) {
                    Some(Some(shape)) => *shape,
                    Some(None) => Shape::default(),
                    None => match doc.fragments.get(&sp.node.fragment_name.node) {
                        Some(fr) => {
                            memo.insert(name, None);
                            let shape = walk(doc, &fr.node.selection_set.node, vars, memo);
                            memo.insert(name, Some(shape));
                            shape
                        }
                        None => Shape::default(),
                    },
                }
            }
        };
        s.aliases = s.aliases.saturating_add(sub.aliases);
        s.depth = s.depth.max(sub.depth);
        s.cost = s.cost.saturating_add(sub.cost);
        s.nul |= sub.nul;
    }
    s
}

/// How many times a field's selection may be resolved: its page size, the number of ids it
/// names, or 1.
fn page_size(f: &Field, vars: &Variables) -> usize {
    let arg = |name: &str| {
        f.arguments
            .iter()
            .find(|(n, _)| n.node.as_str() == name)
            .map(|(_, v)| &v.node)
    };
    let resolve = |v: &AstValue| -> Option<ConstValue> {
        match v {
            AstValue::Variable(name) => vars.get(name).cloned(),
            other => other.clone().into_const(),
        }
    };
    let number = |name: &str| {
        arg(name)
            .and_then(resolve)
            .and_then(|v| match v {
                ConstValue::Number(n) => n.as_u64(),
                _ => None,
            })
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    };
    if let Some(n) = number("first").or_else(|| number("last")) {
        return n.max(1);
    }
    if let Some(ConstValue::List(ids)) = arg("ids").and_then(resolve) {
        return ids.len().max(1);
    }
    let pages = f.selection_set.node.items.iter().any(|s| {
        matches!(&s.node, Selection::Field(c) if matches!(c.node.name.node.as_str(), "nodes" | "edges"))
    });
    if pages {
        kernel::connection::DEFAULT_PAGE_SIZE as usize
    } else {
        1
    }
}

fn value_has_nul(v: &AstValue) -> bool {
    match v {
        AstValue::String(s) => s.contains('\0'),
        AstValue::List(items) => items.iter().any(value_has_nul),
        AstValue::Object(fields) => fields.values().any(value_has_nul),
        _ => false,
    }
}

fn const_has_nul(v: &ConstValue) -> bool {
    match v {
        ConstValue::String(s) => s.contains('\0'),
        ConstValue::List(items) => items.iter().any(const_has_nul),
        ConstValue::Object(fields) => fields
            .iter()
            .any(|(k, v)| k.contains('\0') || const_has_nul(v)),
        _ => false,
    }
}

/// Gives every error a code (errors from parsing, validation and limits get `BAD_USER_INPUT`)
/// and every `INTERNAL` error the request id.
pub fn finish_errors(errors: &mut [ServerError], request_id: &str) {
    for e in errors {
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
        if ext.get("code") == Some(&Value::from("INTERNAL")) {
            ext.set("requestId", request_id);
        }
    }
}

/// A request refused before or after execution.
pub fn rejected(err: kernel::Error, media: Media, request_id: &str) -> Response {
    let code = err.code();
    let status = match code {
        kernel::error::ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        kernel::error::ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        kernel::error::ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        kernel::error::ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        kernel::error::ErrorCode::NotFound => StatusCode::NOT_FOUND,
        kernel::error::ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
        kernel::error::ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    let retry_after = match &err {
        kernel::Error::RateLimited { retry_after_secs } => Some(*retry_after_secs),
        _ if code == kernel::error::ErrorCode::Unavailable => {
            Some(kernel::error::UNAVAILABLE_RETRY_AFTER_SECS)
        }
        _ => None,
    };
    let gql: async_graphql::Error = err.into();
    let mut server = gql.into_server_error(async_graphql::Pos::default());
    server.locations.clear(); // not about a place in the document
    finish_errors(std::slice::from_mut(&mut server), request_id);
    let body = serde_json::json!({ "errors": [server] });
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response();
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}
