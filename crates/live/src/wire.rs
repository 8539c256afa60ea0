//! The wire rules the HTTP endpoint (the gateway's `/graphql`) and the live transports
//! (`/graphql/ws`, `/graphql/stream`) share: the tenant headers, the bearer credential, which
//! operation a document runs and how many aliases it has, and the shape of errors (every error
//! coded, `INTERNAL` ones with the request id; refusals with their HTTP status).
//!
//! They live here, in the lower of the two crates, so that both edges read a request the same
//! way.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{Positioned, ServerError, Value};
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

/// Counts aliased fields, each fragment's aliases once per spread. Each fragment is walked
/// once (memoised), so a document of nested spreads costs time linear in its size; a cycle
/// counts zero here and is rejected by validation.
pub fn count_aliases(doc: &ExecutableDocument, set: &SelectionSet) -> usize {
    fn walk<'a>(
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        memo: &mut HashMap<&'a str, Option<usize>>,
    ) -> usize {
        let mut n = 0usize;
        for sel in &set.items {
            let add =
                match &sel.node {
                    Selection::Field(f) => usize::from(f.node.alias.is_some())
                        .saturating_add(walk(doc, &f.node.selection_set.node, memo)),
                    Selection::InlineFragment(fr) => walk(doc, &fr.node.selection_set.node, memo),
                    Selection::FragmentSpread(sp) => {
                        let name = sp.node.fragment_name.node.as_str();
                        match memo.get(name) {
                            Some(Some(count)) => *count,
                            Some(None) => 0, // a cycle: validation rejects it
                            None => match doc.fragments.get(&sp.node.fragment_name.node) {
                                Some(fr) => {
                                    memo.insert(name, None);
                                    let count = walk(doc, &fr.node.selection_set.node, memo);
                                    memo.insert(name, Some(count));
                                    count
                                }
                                None => 0,
                            },
                        }
                    }
                };
            n = n.saturating_add(add);
        }
        n
    }
    walk(doc, set, &mut HashMap::new())
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
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}
