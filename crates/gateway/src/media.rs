//! Media files to the public: `GET /media/<token>/<name>` on the API's origin and on the funnel
//! hosts of the file's own sub-account (`crate::sites` passes `/media/` through; another
//! tenant's host answers 404, so nobody serves their files under someone else's domain), with
//! no sign-in. The file is found by its token in its own tenant (`media::service::public`), and
//! sent with the type sniffed when it was uploaded, `nosniff`, an `ETag` (its SHA-256) for
//! `304`s, a policy that runs nothing, and one byte range on request (`206`; videos seek).

use crate::AppState;
use crate::sites::HostKind;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use sea_orm::TransactionTrait;
use std::collections::HashMap;

/// How long browsers and CDNs may keep a file before they check it again (a deleted file, or
/// one of a suspended tenant, stays in their caches this long).
const MAX_AGE: &str = "public, max-age=300";

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A file name safe inside `Content-Disposition`'s quotes.
fn disposition(name: &str) -> HeaderValue {
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| !matches!(c, '"' | '\\' | ';'))
        .take(150)
        .collect();
    HeaderValue::from_str(&format!("inline; filename=\"{safe}\""))
        .unwrap_or(HeaderValue::from_static("inline"))
}

/// The one byte range a request asks for (`Range: bytes=a-b`, `a-` or `-n`) within a file of
/// `size` bytes: `Some(Ok((first, last)))`, `Some(Err(()))` when it lies past the end (`416`),
/// `None` when there is none, it is malformed, or it asks for several (the whole file is sent,
/// as RFC 9110 allows).
fn byte_range(headers: &HeaderMap, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = headers
        .get(header::RANGE)?
        .to_str()
        .ok()?
        .trim()
        .strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let last = size.checked_sub(1);
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        return Some(match last {
            Some(last) if n > 0 => Ok((size.saturating_sub(n), last)),
            _ => Err(()),
        });
    }
    let first: u64 = a.parse().ok()?;
    let end = if b.is_empty() {
        None
    } else {
        Some(b.parse::<u64>().ok()?)
    };
    if end.is_some_and(|e| e < first) {
        return None;
    }
    Some(match last {
        Some(last) if first <= last => Ok((first, end.map_or(last, |e| e.min(last)))),
        _ => Err(()),
    })
}

/// The handler of `/media/{token}` and `/media/{token}/{*name}` (the name is for people only);
/// `?thumbnail` asks for an image's thumbnail.
pub async fn file(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    RawQuery(query): RawQuery,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let thumbnail = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .any(|p| p.split('=').next() == Some("thumbnail"));
    let token = params.get("token").map(String::as_str).unwrap_or("");
    if !media::service::public::is_token(token) {
        return plain(StatusCode::NOT_FOUND, "no such file");
    }
    let (kind, host) = crate::sites::host_kind(&state, &headers, &uri);
    let found = async {
        let txn = state.db.begin().await?;
        let site = match kind {
            HostKind::Api => None,
            _ => {
                funnels::service::site::owner_of_host(&txn, &state.config.sites_domain(), &host)
                    .await?
            }
        };
        let f = media::service::public::by_token(&txn, token).await?;
        txn.commit().await?;
        // A funnel host serves only its own sub-account's files; an unknown custom domain is
        // the API's (as `crate::sites` has it), a name under the sites' domain never.
        Ok::<_, kernel::Error>(f.filter(|f| match site {
            Some(owner) => owner == (f.agency_id, f.sub_account_id),
            None => kind != HostKind::Site,
        }))
    }
    .await;
    let f = match found {
        Ok(Some(f)) => f,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "no such file"),
        Err(e) => {
            tracing::error!(error = %e.operator_message(), "serving a media file failed");
            return plain(StatusCode::SERVICE_UNAVAILABLE, "try again later");
        }
    };
    if thumbnail && !f.has_thumbnail {
        return plain(StatusCode::NOT_FOUND, "no such file");
    }
    let (object, content_type, name) = if thumbnail {
        (
            media::thumbnail_object(&f.sha256),
            "image/jpeg".to_owned(),
            format!("{}.jpg", f.name),
        )
    } else {
        (f.sha256.clone(), f.content_type.clone(), f.name.clone())
    };
    let etag = format!("\"{object}\"");
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; media-src 'self'"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    if crate::sites::matches(&headers, &etag) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_DISPOSITION, disposition(&name));
    if !thumbnail {
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        // `If-Range`: the range holds only for this version of the file (they never change).
        let same = headers
            .get(header::IF_RANGE)
            .is_none_or(|v| v.to_str().ok() == Some(etag.as_str()));
        let size = u64::try_from(f.byte_size).unwrap_or(0);
        match byte_range(&headers, size).filter(|_| same && method == Method::GET) {
            Some(Err(())) => {
                h.insert(
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&format!("bytes */{size}"))
                        .unwrap_or(HeaderValue::from_static("bytes */0")),
                );
                return (StatusCode::RANGE_NOT_SATISFIABLE, h).into_response();
            }
            Some(Ok((first, last))) => {
                let part = match state
                    .media
                    .get_range(f.agency_id, &object, first, last)
                    .await
                {
                    Ok(Some(b)) => b,
                    Ok(None) => return plain(StatusCode::NOT_FOUND, "no such file"),
                    Err(_) => return plain(StatusCode::SERVICE_UNAVAILABLE, "try again later"),
                };
                if let Ok(v) = HeaderValue::from_str(&format!("bytes {first}-{last}/{size}")) {
                    h.insert(header::CONTENT_RANGE, v);
                }
                h.insert(header::CONTENT_LENGTH, HeaderValue::from(part.size));
                let body = Body::from_stream(part.stream.map_err(std::io::Error::other));
                return (StatusCode::PARTIAL_CONTENT, h, body).into_response();
            }
            None => {}
        }
    }
    if method == Method::HEAD {
        return match state.media.size(f.agency_id, &object).await {
            Ok(Some(size)) => {
                h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
                (StatusCode::OK, h).into_response()
            }
            Ok(None) => plain(StatusCode::NOT_FOUND, "no such file"),
            Err(_) => plain(StatusCode::SERVICE_UNAVAILABLE, "try again later"),
        };
    }
    let blob = match state.media.get(f.agency_id, &object).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            tracing::warn!(file = %f.id, "a media file's bytes are missing from the store");
            return plain(StatusCode::NOT_FOUND, "no such file");
        }
        Err(_) => return plain(StatusCode::SERVICE_UNAVAILABLE, "try again later"),
    };
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.size));
    let body = Body::from_stream(blob.stream.map_err(std::io::Error::other));
    (StatusCode::OK, h, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(v: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).expect("value"));
        byte_range(&h, size)
    }

    #[test]
    fn byte_ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(range("bytes=50-500", 100), Some(Ok((50, 99))));
        assert_eq!(range("bytes=100-", 100), Some(Err(())));
        assert_eq!(range("bytes=9-0", 100), None);
        assert_eq!(range("bytes=0-1,5-6", 100), None);
        assert_eq!(range("items=0-1", 100), None);
    }
}
