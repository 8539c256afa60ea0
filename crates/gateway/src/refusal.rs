//! One shape for every refusal: whatever answers with a 4xx or 5xx (a handler, a layer's
//! timeout, the router's 404 and 405, a panic), the client gets the GraphQL error shape,
//! `{"errors": [{"message", "extensions": {"code", "requestId"}}]}`, with the request id that
//! is also in `x-request-id`. Successful responses pass through untouched.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Largest error body rewritten (Canopy's own are far smaller; a larger one, or one of unknown
/// size, passes as is).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The middleware: runs the request (cut off after the request timeout) and shapes a refusal.
pub async fn shape(timeout: Duration, req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let response = match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            let message = format!(
                "the request took longer than {} s and was cut off; nothing it did was kept",
                timeout.as_secs()
            );
            let mut resp = live::wire::error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                live::wire::Media::Json,
                &message,
                "UNAVAILABLE",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(1u32));
            // Shaped below like every refusal (the request id added).
            resp
        }
    };
    let status = response.status();
    let small = axum::body::HttpBody::size_hint(response.body())
        .upper()
        .is_some_and(|n| n <= MAX_ERROR_BODY as u64);
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error())
        || !small
        || html
        || response.headers().contains_key(header::CONTENT_ENCODING)
    {
        return response;
    }
    let (mut parts, old) = response.into_parts();
    let Ok(bytes) = to_bytes(old, MAX_ERROR_BODY).await else {
        return (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            error(default_message(status), code(status), &request_id).to_string(),
        )
            .into_response();
    };
    let mut json = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(|v| v.get("errors").is_some_and(serde_json::Value::is_array))
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim();
            // Plain-text bodies from layers and extractors are short and say what went wrong.
            let message = if text.is_empty() || text.len() > 300 {
                default_message(status).to_owned()
            } else {
                text.to_owned()
            };
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            error(&message, code(status), &request_id)
        });
    if let Some(errors) = json.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for e in errors {
            if let Some(obj) = e.as_object_mut() {
                let ext = obj
                    .entry("extensions")
                    .or_insert_with(|| serde_json::json!({}));
                if let Some(ext) = ext.as_object_mut() {
                    ext.entry("code").or_insert_with(|| code(status).into());
                    ext.entry("requestId")
                        .or_insert_with(|| request_id.clone().into());
                }
            }
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json.to_string()))
}

fn error(message: &str, code: &str, request_id: &str) -> serde_json::Value {
    serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code, "requestId": request_id } }]
    })
}

/// The code a bare status stands for.
fn code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
        StatusCode::FORBIDDEN => "FORBIDDEN",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::TOO_MANY_REQUESTS => "RATE_LIMITED",
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => "UNAVAILABLE",
        s if s.is_client_error() => "BAD_USER_INPUT",
        _ => "INTERNAL",
    }
}

fn default_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "there is nothing at this address",
        StatusCode::METHOD_NOT_ALLOWED => "this address does not answer this method",
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "the request body's media type is not accepted",
        StatusCode::REQUEST_TIMEOUT => "the request was not sent in time",
        StatusCode::TOO_MANY_REQUESTS => "too many requests; retry later",
        StatusCode::SERVICE_UNAVAILABLE => "the server is unavailable for a moment; retry shortly",
        s if s.is_client_error() => "the request was refused",
        _ => kernel::error::INTERNAL_MESSAGE,
    }
}
