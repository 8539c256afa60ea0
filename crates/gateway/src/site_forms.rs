//! Form submissions on a site's host (`funnels::service::form`): `POST` to a published page's
//! address. CORS (the preflight a page on another site sends first, and the headers of the
//! answer) is the gateway's CORS layer's, which asks `crate::sites::origin_allowed`.
//!
//! A browser's own post (`application/x-www-form-urlencoded`) gets HTML: the form's thanks
//! (or a `303` to its redirect), or the problems to fix. A script's post (`application/json`,
//! or `Accept: application/json`) gets JSON: `{"accepted": true, "message", "redirect"}` or
//! `{"accepted": false, "userErrors": [{"field", "code", "message"}], "errors": […]}` (status
//! 422; `errors` is the refusal shape every 4xx has, coded `BAD_USER_INPUT`). Rate
//! limits answer 429 with `Retry-After`; a post from a page on a host that is neither the
//! funnel's nor one of the sub-account's embed domains is refused with 403.

use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use funnels::document::render;
use funnels::service::form::{self, Checking, Outcome, Sent};
use funnels::service::site;
use std::net::SocketAddr;

/// Largest form body read.
pub const MAX_FORM_BODY: usize = 64 * 1024;

/// What a post asked for and sent.
struct Posted {
    json: bool,
    sent: Sent,
    path: String,
}

fn parse(
    state: &AppState,
    req_headers: &HeaderMap,
    addr: Option<SocketAddr>,
    path: &str,
    host: &str,
    body: &Bytes,
) -> Result<Posted, Box<Response>> {
    let content_type = req_headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let accepts_json = req_headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let is_json = content_type.starts_with("application/json");
    let fields: Vec<(String, String)> = if is_json {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
        else {
            return Err(Box::new(live::wire::error_response(
                StatusCode::BAD_REQUEST,
                live::wire::Media::Json,
                "the body must be a JSON object of field names and values",
                "BAD_USER_INPUT",
            )));
        };
        map.into_iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Bool(b) => {
                        if b {
                            "yes".into()
                        } else {
                            String::new()
                        }
                    }
                    serde_json::Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                Some((k, v))
            })
            .collect()
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let mut seen = std::collections::HashSet::new();
        form_urlencoded::parse(body)
            .filter(|(k, _)| seen.insert(k.to_string()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    } else {
        return Err(Box::new(live::wire::error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            live::wire::Media::Json,
            "send a form as application/x-www-form-urlencoded or application/json",
            "BAD_USER_INPUT",
        )));
    };
    let cross = req_headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(site::origin_host)
        .filter(|o| o != host);
    Ok(Posted {
        json: is_json || accepts_json,
        sent: Sent {
            fields,
            client_ip: addr.map(|a| crate::execute::client_ip(state, req_headers, a)),
            origin_host: cross,
            referer: req_headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        },
        path: path.to_owned(),
    })
}

/// The answer to a form post on a site's host, or the request back when no funnel has the
/// host (a custom domain may fall through to the API).
pub async fn post(
    state: &AppState,
    sites: &str,
    host: &str,
    req: Request,
) -> Result<Response, Request> {
    let (parts, body) = req.into_parts();
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let bytes = match axum::body::to_bytes(body, MAX_FORM_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return Ok(live::wire::error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                live::wire::Media::Json,
                &format!("a form's body is at most {} KiB", MAX_FORM_BODY / 1024),
                "BAD_USER_INPUT",
            ));
        }
    };
    let addr = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let posted = match parse(state, &parts.headers, addr, parts.uri.path(), host, &bytes) {
        Ok(p) => p,
        Err(resp) => return Ok(*resp),
    };
    // Checked reading only (refused submissions never wait for the write lock), then recorded.
    let done = async {
        let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
        let checking =
            form::check(&txn, sites, &state.forms, host, &posted.path, &posted.sent).await;
        txn.commit().await?;
        match checking? {
            Checking::Done(outcome) => Ok(outcome),
            Checking::Record(checked) => {
                let txn = kernel::db::begin_write(&state.db).await?;
                let outcome = form::record(&txn, *checked).await?;
                txn.commit().await?;
                Ok::<_, kernel::Error>(outcome)
            }
        }
    }
    .await;
    let resp = match done {
        Ok(Outcome::NoSite) => return Err(Request::from_parts(parts, Body::from(bytes))),
        Ok(Outcome::NotFound) => {
            crate::sites::html(StatusCode::NOT_FOUND, render::not_found(), None)
        }
        Ok(Outcome::Accepted {
            message, redirect, ..
        }) => accepted(&posted, &message, redirect.as_deref()),
        Ok(Outcome::Dropped { message, redirect }) => {
            accepted(&posted, &message, redirect.as_deref())
        }
        Err(kernel::Error::User(errors)) => {
            if posted.json {
                let list: Vec<serde_json::Value> = errors
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "field": u.field,
                            "code": async_graphql::resolver_utils::enum_value(u.code).to_string(),
                            "message": u.message,
                        })
                    })
                    .collect();
                // The refusal shape (`errors`) as every 4xx has, with the details beside it.
                json(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    serde_json::json!({
                        "accepted": false,
                        "userErrors": list,
                        "errors": [{
                            "message": "the form was not accepted: see userErrors",
                            "extensions": { "code": "BAD_USER_INPUT" }
                        }],
                    }),
                )
            } else {
                let problems: Vec<String> = errors.iter().map(|u| u.message.clone()).collect();
                crate::sites::html(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render::form_answer(
                        "Your form",
                        "Please check your form",
                        &problems,
                        &posted.path,
                    ),
                    None,
                )
            }
        }
        Err(kernel::Error::Forbidden) => live::wire::error_response(
            StatusCode::FORBIDDEN,
            live::wire::Media::Json,
            "this site may not send this form: add its domain to the sub-account's embed domains",
            "FORBIDDEN",
        ),
        Err(e) => live::wire::rejected(e, live::wire::Media::Json, &request_id),
    };
    Ok(resp)
}

fn accepted(posted: &Posted, message: &str, redirect: Option<&str>) -> Response {
    if posted.json {
        return json(
            StatusCode::OK,
            serde_json::json!({ "accepted": true, "message": message, "redirect": redirect }),
        );
    }
    match redirect {
        // Another site: a page that moves on by itself (the pages' policy allows form posts to
        // their own origin only, and browsers apply it to a redirect after the post too).
        Some(to) if is_elsewhere(to) => {
            return crate::sites::html(StatusCode::OK, render::moving_on(to), None);
        }
        Some(to) => {
            if let Ok(to) = HeaderValue::from_str(to) {
                let mut resp = (StatusCode::SEE_OTHER, Body::empty()).into_response();
                resp.headers_mut().insert(header::LOCATION, to);
                return resp;
            }
        }
        None => {}
    }
    crate::sites::html(
        StatusCode::OK,
        render::form_answer("Thank you", message, &[], &posted.path),
        None,
    )
}

/// Whether a redirect leaves the site: an absolute URL, or one relative to the scheme
/// (`//host/…`).
fn is_elsewhere(to: &str) -> bool {
    let lower = to.trim_start().to_ascii_lowercase();
    lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//")
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
