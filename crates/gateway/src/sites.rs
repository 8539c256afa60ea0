//! Published funnel pages, by host: a request for `<subdomain>.<sites domain>` (or a funnel's
//! custom domain) is answered with the page the funnels crate renders (`funnels::service::
//! site`), never by the API.
//!
//! Which host is which:
//! - under the sites' domain: always a site (the API is not served there);
//! - the platform's domain, its subdomains, the sites' domain itself, `localhost` and IP
//!   addresses: always the API;
//! - any other host (a custom domain): a site if a funnel has it; the API's own paths
//!   (`/graphql…`, `/healthz`, `/readyz`, `/metrics`, `/graphiql/…`) stay the API's.
//!
//! A page comes from the replica's rendered-page cache when it can (no database round trip;
//! `funnels::service::cache`), else from the database, and is kept there.
//!
//! Pages carry an `ETag` (a hash of the HTML) and `Cache-Control: public, no-cache`, so a
//! browser or CDN revalidates and gets `304 Not Modified` while the page is unchanged, and a
//! publish or rollback shows at once. A `Content-Security-Policy` allows no script at all.

use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use funnels::service::site::{self, Served};
use sea_orm::TransactionTrait;

/// The policy every page is served with unless its tracking tags need their scripts: no
/// script runs, whatever the content.
const CSP: &str = funnels::document::tracking::BASE_POLICY;

/// What a host is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    Api,
    Site,
    MaybeSite,
}

fn classify(host: &str, sites_domain: &str, platform_domain: &str) -> HostKind {
    if host.ends_with(&format!(".{sites_domain}")) {
        return HostKind::Site;
    }
    let ip = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
    if ip
        || !host.contains('.')
        || host == sites_domain
        || host == platform_domain
        || host.ends_with(&format!(".{platform_domain}"))
    {
        return HostKind::Api;
    }
    HostKind::MaybeSite
}

fn api_path(path: &str) -> bool {
    path == "/graphql"
        || path.starts_with("/graphql/")
        || path.starts_with("/graphiql/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

fn host_of(req: &Request) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
        .map(|h| site::normalize_host(&h))
}

/// What the request's host is, and the host (normalized).
pub(crate) fn host_kind(
    state: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> (HostKind, String) {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.as_str().to_owned()))
        .map(|h| site::normalize_host(&h))
        .unwrap_or_default();
    let sites = state.config.sites_domain();
    let platform = site::normalize_host(&state.config.platform_domain);
    (classify(&host, &sites, &platform), host)
}

/// The middleware: sends site requests to [`serve`], the rest on to the API.
pub async fn dispatch(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(host) = host_of(&req) else {
        return next.run(req).await;
    };
    let sites = state.config.sites_domain();
    let platform = site::normalize_host(&state.config.platform_domain);
    match classify(&host, &sites, &platform) {
        HostKind::Api => next.run(req).await,
        // Media files are served on funnel hosts too (a page names its files by path);
        // `crate::media` serves a host only its own sub-account's.
        _ if req.uri().path().starts_with("/media/") => next.run(req).await,
        HostKind::MaybeSite if api_path(req.uri().path()) => next.run(req).await,
        kind if *req.method() == Method::POST => {
            // Boxed, as `serve` below: a page's work is kilobytes of future, and inline it made
            // every API request's pass through this layer as large.
            match Box::pin(crate::site_forms::post(&state, &sites, &host, req)).await {
                Ok(resp) => resp,
                Err(req) if kind == HostKind::MaybeSite => next.run(req).await,
                Err(_) => html(
                    StatusCode::NOT_FOUND,
                    funnels::document::render::not_found(),
                    None,
                ),
            }
        }
        kind => match Box::pin(serve(&state, &sites, &host, Asked::of(&state, &req))).await {
            Some(resp) => resp,
            None if kind == HostKind::MaybeSite => next.run(req).await,
            None => html(
                StatusCode::NOT_FOUND,
                funnels::document::render::not_found(),
                None,
            ),
        },
    }
}

/// For CORS: `Some(allowed)` when `host` and `path` reach a site (the origin may call it if it
/// is one of the funnel's hosts or its sub-account's embed domains), `None` for the API.
pub async fn origin_allowed(
    state: &AppState,
    host: &str,
    path: &str,
    origin: &HeaderValue,
) -> Option<bool> {
    let host = site::normalize_host(host);
    let sites = state.config.sites_domain();
    let platform = site::normalize_host(&state.config.platform_domain);
    let kind = classify(&host, &sites, &platform);
    if kind == HostKind::Api || (kind == HostKind::MaybeSite && api_path(path)) {
        return None;
    }
    let origin = origin.to_str().ok()?;
    let origin_host = site::origin_host(origin);
    if origin_host == host {
        // The page's own site (browsers send `Origin` with every post): nothing to look up.
        return Some(true);
    }
    let timeout = std::time::Duration::from_secs(state.config.request_timeout_secs);
    let checked = tokio::time::timeout(timeout, async {
        let txn = state.db.begin().await?;
        let ok = funnels::service::form::origin_allowed(&txn, &sites, &host, &origin_host).await;
        txn.commit().await?;
        ok
    })
    .await
    .unwrap_or_else(|_| Err(kernel::Error::internal("the CORS check timed out")));
    match checked {
        Ok(Some(ok)) => Some(ok && !origin_host.is_empty()),
        Ok(None) if kind == HostKind::MaybeSite => None,
        Ok(None) => Some(false),
        Err(e) => {
            tracing::warn!(error = %e.operator_message(), "CORS check of a site failed");
            Some(false)
        }
    }
}

/// An HTML answer with the pages' security headers; with `etag`, cacheable (revalidated).
pub(crate) fn html(status: StatusCode, body: String, etag: Option<&str>) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    security_headers(h);
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert(header::ETAG, tag);
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, no-cache"),
        );
    } else {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

fn security_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
}

/// Whether `If-None-Match` names `etag` (or is `*`), compared weakly (RFC 9110 §13.1.2).
pub(crate) fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag.trim_start_matches("W/") || t == "*")
}

/// What [`serve`] needs of a request (a `Request` itself cannot be held across an await).
struct Asked {
    method: Method,
    path: String,
    query: String,
    if_none_match: HeaderMap,
    request_id: String,
    client_ip: Option<std::net::IpAddr>,
    user_agent: String,
}

impl Asked {
    fn of(state: &AppState, req: &Request) -> Self {
        let mut if_none_match = HeaderMap::new();
        for v in req.headers().get_all(header::IF_NONE_MATCH) {
            if_none_match.append(header::IF_NONE_MATCH, v.clone());
        }
        Self {
            method: req.method().clone(),
            path: req.uri().path().to_owned(),
            query: req.uri().query().unwrap_or_default().to_owned(),
            if_none_match,
            client_ip: req
                .extensions()
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| crate::execute::client_ip(state, req.headers(), c.0)),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .chars()
                .take(512)
                .collect(),
            request_id: req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned(),
        }
    }
}

/// The answer for a site request, or `None` when no funnel has the host.
async fn serve(state: &AppState, sites: &str, host: &str, req: Asked) -> Option<Response> {
    let served = match site::cached(&state.page_cache, &state.forms, host, &req.path) {
        Some(s) => Ok(s),
        None => {
            async {
                let txn = state.db.begin().await?;
                let served = site::serve(
                    &txn,
                    sites,
                    &state.forms,
                    &state.page_cache,
                    host,
                    &req.path,
                )
                .await?;
                txn.commit().await?;
                Ok::<_, kernel::Error>(served)
            }
            .await
        }
    };
    let served = match served {
        Ok(s) => s,
        Err(e) => {
            return Some(live::wire::rejected(
                e,
                live::wire::Media::Json,
                &req.request_id,
            ));
        }
    };
    if matches!(served, Served::Page { .. }) && !matches!(req.method, Method::GET | Method::HEAD) {
        let mut resp = (StatusCode::METHOD_NOT_ALLOWED, Body::empty()).into_response();
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Some(resp);
    }
    match served {
        Served::NoSite => None,
        Served::NotFound => Some(html(
            StatusCode::NOT_FOUND,
            funnels::document::render::not_found(),
            None,
        )),
        Served::Page {
            html: body,
            etag,
            page,
            policy,
        } => {
            if req.method == Method::GET
                && let Some(ip) = req.client_ip
            {
                state.visits.record(funnels::service::visit::View {
                    page,
                    ip,
                    user_agent: req.user_agent.clone(),
                    host: host.to_owned(),
                    utm: serde_json::Value::Object(funnels::service::visit::utm_of(&req.query)),
                    at: chrono::Utc::now(),
                });
            }
            // A 304's headers replace the cached page's: it carries the page's own policy too.
            let policy = policy.and_then(|p| HeaderValue::from_str(&p).ok());
            let mut resp = if matches(&req.if_none_match, &etag) {
                let mut resp = html(StatusCode::NOT_MODIFIED, String::new(), Some(&etag));
                resp.headers_mut().remove(header::CONTENT_TYPE);
                *resp.body_mut() = Body::empty();
                resp
            } else {
                html(StatusCode::OK, body, Some(&etag))
            };
            if let Some(v) = policy {
                resp.headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, v);
            }
            Some(resp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_sorted_into_sites_and_the_api() {
        let k = |h| classify(h, "sites.canopy.test", "canopy.test");
        assert_eq!(k("shop.sites.canopy.test"), HostKind::Site);
        assert_eq!(k("canopy.test"), HostKind::Api);
        assert_eq!(k("api.canopy.test"), HostKind::Api);
        assert_eq!(k("sites.canopy.test"), HostKind::Api);
        assert_eq!(k("127.0.0.1"), HostKind::Api);
        assert_eq!(k("localhost"), HostKind::Api);
        assert_eq!(k("www.example.com"), HostKind::MaybeSite);
    }
}
