//! A service's public booking page, for a booking widget or a server
//! (`calendars::service::public`), with no sign-in, on the API's origin:
//!
//! - `GET /book/<token>?from=…&to=…&timeZone=…`: the service and its free slots (by default the
//!   next 7 days in UTC; at most 62 days), as JSON.
//! - `POST /book/<token>` with a JSON body `{"start", "timeZone", "firstName", "lastName",
//!   "email", "phone", "notes"}`: books it. `201` with the appointment's times; `409` when the
//!   slot was taken (`SLOT_TAKEN`), `422` for other problems, both with `userErrors`; `403` from
//!   a page on a host that is not one of the sub-account's embed domains; `400` for a body that
//!   is not a JSON object, `413` for one over 16 KiB.
//!
//! An unknown token, an archived service and a suspended or deleted tenant all answer the same
//! `404`. Each client address (an IPv6 address by its /64) may read
//! `CANOPY_PUBLIC_READS_PER_IP_PER_MIN` (120) pages and make `CANOPY_PUBLIC_WRITES_PER_IP_PER_MIN`
//! (10) bookings or redemptions a minute (`429` with `Retry-After` past that). CORS: the layer asks
//! [`origin_allowed`], which allows the service's sub-account's embed domains.

use crate::AppState;
use axum::extract::{ConnectInfo, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use calendars::service::public::{self, Visitor};
use chrono::{DateTime, Duration, Utc};
use kernel::throttle::PerMinute;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};

/// Largest booking body read.
pub const MAX_BODY: usize = 16 * 1024;

/// The public pages' rate limits (booking pages and referral links), per client address.
pub struct Limits {
    /// Pages read.
    pub(crate) reads: PerMinute<IpAddr>,
    /// Bookings made and referral codes redeemed.
    pub(crate) books: PerMinute<IpAddr>,
}

impl Limits {
    /// The limits the configuration sets.
    pub fn new(config: &kernel::Config) -> Self {
        Self {
            reads: PerMinute::new(config.public_reads_per_ip),
            books: PerMinute::new(config.public_writes_per_ip),
        }
    }
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

/// A JSON answer that no cache keeps.
pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The answer to a refused call of a public page: `userErrors` with `409` for a conflict (a
/// slot taken, a code used up, expired or redeemed already) and `422` otherwise, under the key
/// `done` (`booked`, `accepted`) set to false; `403` for a site that is not an embed domain; the
/// refusal shape for everything else.
pub(crate) fn refused(e: kernel::Error, headers: &HeaderMap, done: &str) -> Response {
    use kernel::error::UserErrorCode as C;
    match e {
        kernel::Error::User(errors) => {
            let conflict = errors.iter().any(|u| {
                matches!(
                    u.code,
                    C::SlotTaken | C::UsedUp | C::Expired | C::AlreadyDone
                )
            });
            let list: Vec<Value> = errors
                .iter()
                .map(|u| {
                    json!({
                        "field": u.field.join("."),
                        "code": async_graphql::resolver_utils::enum_value(u.code).to_string(),
                        "message": u.message,
                    })
                })
                .collect();
            let mut body = json!({
                "userErrors": list,
                "errors": [{
                    "message": "not done: see userErrors",
                    "extensions": { "code": "BAD_USER_INPUT" }
                }],
            });
            body[done] = json!(false);
            json_response(
                if conflict {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                body,
            )
        }
        kernel::Error::Forbidden => live::wire::error_response(
            StatusCode::FORBIDDEN,
            live::wire::Media::Json,
            "this site may not call this page: add its domain to the sub-account's embed domains",
            "FORBIDDEN",
        ),
        other => live::wire::rejected(other, live::wire::Media::Json, &request_id(headers)),
    }
}

/// The body of a public page's `POST`: a JSON object of at most [`MAX_BODY`] bytes; `413`
/// past that, `400` when it is not a JSON object.
pub(crate) async fn read_body(body: axum::body::Body) -> Result<Value, Response> {
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Err(live::wire::error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            live::wire::Media::Json,
            &format!("the body is at most {} KiB", MAX_BODY / 1024),
            "BAD_USER_INPUT",
        ));
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(live::wire::error_response(
            StatusCode::BAD_REQUEST,
            live::wire::Media::Json,
            "the body must be a JSON object",
            "BAD_USER_INPUT",
        )),
    }
}

/// The client's address as the limits count it (an IPv6 address by its /64).
pub(crate) fn client(
    state: &AppState,
    headers: &HeaderMap,
    addr: Option<SocketAddr>,
) -> Option<IpAddr> {
    addr.map(|a| kernel::throttle::network(crate::execute::client_ip(state, headers, a)))
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn instant(pairs: &[(String, String)], name: &str) -> Result<Option<DateTime<Utc>>, kernel::Error> {
    param(pairs, name)
        .map(|v| {
            v.parse::<DateTime<Utc>>()
                .map_err(|_| kernel::Error::BadInput {
                    field: Some(name.to_owned()),
                    message: format!("{name} is an RFC 3339 instant"),
                })
        })
        .transpose()
}

/// `GET /book/<token>`: the service and its free slots.
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let connected = req.extensions().get::<ConnectInfo<SocketAddr>>().cloned();
    let done = async {
        if let Some(ip) = client(&state, &headers, connected.map(|c| c.0)) {
            state.bookings.reads.check(&ip)?;
        }
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let from = instant(&pairs, "from")?.unwrap_or_else(Utc::now);
        let to = match instant(&pairs, "to")? {
            Some(t) => t,
            None => from
                .checked_add_signed(Duration::days(7))
                .ok_or_else(|| kernel::Error::BadInput {
                    field: Some("from".into()),
                    message: "a range lies between 1970 and 2200".into(),
                })?,
        };
        let zone_name = param(&pairs, "timeZone").unwrap_or("UTC");
        let zone: chrono_tz::Tz = zone_name.parse().map_err(|_| kernel::Error::BadInput {
            field: Some("timeZone".into()),
            message: format!("{zone_name:?} is not an IANA time zone"),
        })?;
        let txn = state.db.begin().await?;
        let found = public::slots(&txn, &token, from, to).await;
        txn.commit().await?;
        let (s, slots) = found.map_err(|e| match e {
            kernel::Error::User(u) => kernel::Error::BadInput {
                field: u.first().map(|u| u.field.join(".")),
                message: u.first().map(|u| u.message.clone()).unwrap_or_default(),
            },
            other => other,
        })?;
        Ok::<_, kernel::Error>(json!({
            "service": {
                "name": s.name,
                "description": s.description,
                "durationMinutes": s.duration_minutes,
                "priceMinor": s.price_minor,
                "currency": s.currency,
                "locationKind": async_graphql::resolver_utils::enum_value(s.location_kind).to_string(),
                "location": s.location,
            },
            "timeZone": zone.name(),
            "slots": slots.iter().map(|x| json!({
                "start": x.start.to_rfc3339(),
                "end": x.end.to_rfc3339(),
                "localStart": x.start.with_timezone(&zone).to_rfc3339(),
                "localEnd": x.end.with_timezone(&zone).to_rfc3339(),
            })).collect::<Vec<_>>(),
        }))
    }
    .await;
    match done {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => refused(e, &headers, "booked"),
    }
}

/// A text field of a JSON body.
pub(crate) fn text(body: &Value, name: &str) -> Option<String> {
    body.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// `POST /book/<token>`: books the service for the visitor.
pub async fn book(
    State(state): State<AppState>,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    let connected = parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned();
    if let Some(ip) = client(&state, &headers, connected.map(|c| c.0))
        && let Err(e) = state.bookings.books.check(&ip)
    {
        return refused(e, &headers, "booked");
    }
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let done = async {
        let start = match text(&body, "start") {
            Some(s) => Some(s.parse::<DateTime<Utc>>().map_err(|_| {
                kernel::Error::user(
                    "start",
                    kernel::error::UserErrorCode::Invalid,
                    "an RFC 3339 instant",
                )
            })?),
            None => None,
        };
        let visitor = Visitor {
            first_name: text(&body, "firstName"),
            last_name: text(&body, "lastName"),
            email: text(&body, "email"),
            phone: text(&body, "phone"),
            notes: text(&body, "notes"),
            start,
            time_zone: text(&body, "timeZone"),
            origin_host: headers
                .get(header::ORIGIN)
                .and_then(|o| o.to_str().ok())
                .map(funnels::service::site::origin_host),
        };
        let txn = kernel::db::begin_write(&state.db).await?;
        let a = public::book(&txn, &token, visitor).await?;
        txn.commit().await?;
        jobs::wake();
        Ok::<_, kernel::Error>(json!({
            "booked": true,
            "appointment": {
                "status": async_graphql::resolver_utils::enum_value(a.status).to_string(),
                "startsAt": a.starts_at.to_rfc3339(),
                "endsAt": a.ends_at.to_rfc3339(),
                "timeZone": a.time_zone,
                "localStart": calendars::service::appointment::local(a.starts_at, &a.time_zone),
            },
        }))
    }
    .await;
    match done {
        Ok(body) => json_response(StatusCode::CREATED, body),
        Err(e) => refused(e, &headers, "booked"),
    }
}

/// For CORS: whether a page on `origin` may call the public page at `path` (`/book/<token>`, a
/// booking page, or `/refer/<token>`, a referral link): one of the sub-account's embed domains.
/// `None` when `path` is neither. The lookup spends the client's read budget like a `GET` (a
/// preflight never reaches the handlers); past it the answer is no.
pub async fn origin_allowed(
    state: &AppState,
    path: &str,
    origin: &HeaderValue,
    client: Option<IpAddr>,
) -> Option<bool> {
    let (booking, token) = match (path.strip_prefix("/book/"), path.strip_prefix("/refer/")) {
        (Some(t), _) => (true, t),
        (_, Some(t)) => (false, t),
        _ => return None,
    };
    if client.is_some_and(|ip| state.bookings.reads.check(&ip).is_err()) {
        return Some(false);
    }
    let origin_host = funnels::service::site::origin_host(origin.to_str().ok()?);
    let checked = async {
        let txn = state.db.begin().await?;
        let owner = if booking {
            public::by_token(&txn, token)
                .await?
                .map(|s| (s.agency_id, s.sub_account_id))
        } else {
            referrals::service::redeem::by_token(&txn, token)
                .await?
                .map(|c| (c.agency_id, c.sub_account_id))
        };
        let ok = match owner {
            Some((agency, sub)) if !origin_host.is_empty() => {
                tenancy::service::embed_domain::allows(&txn, agency, sub, &origin_host).await?
            }
            _ => false,
        };
        txn.commit().await?;
        Ok::<_, kernel::Error>(ok)
    };
    Some(checked.await.unwrap_or_else(|e| {
        tracing::warn!(error = %e.operator_message(), "CORS check of a public page failed");
        false
    }))
}
