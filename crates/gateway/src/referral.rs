//! A referral code's public link (`referrals::service::redeem`), with no sign-in, on the API's
//! origin:
//!
//! - `GET /refer/<token>`: the code, its offer and whether it can be redeemed, as JSON.
//! - `POST /refer/<token>` with a JSON body `{"firstName", "lastName", "email", "phone"}`: the
//!   visitor redeems it and becomes a lead attributed to the referrer. `201`; `409` when it is
//!   used up or expired, `422` for other problems, both with `userErrors`; `403` from a page on a
//!   host that is not one of the sub-account's embed domains; `400` for a body that is not a
//!   JSON object, `413` for one over 16 KiB. A visitor who is the referrer, or who redeemed the
//!   code before, gets the same `201` as anyone (and nothing is counted), so the link tells no
//!   one whose address is whose.
//!
//! An unknown token and a suspended or deleted tenant answer the same `404`. The limits and the
//! CORS answer are the booking pages' (`crate::booking`).

use crate::AppState;
use crate::booking::{client, json_response, read_body, refused, text};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::Response;
use referrals::service::code::status;
use referrals::service::redeem::{self, Visitor};
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use std::net::SocketAddr;

fn shown(c: &referrals::entity::code::Model) -> Value {
    json!({
        "code": c.code,
        "offerDetails": c.offer_details,
        "expiresAt": c.expires_at.map(|e| e.to_rfc3339()),
        "status": async_graphql::resolver_utils::enum_value(status(c, chrono::Utc::now())).to_string(),
    })
}

/// `GET /refer/<token>`: the code and its offer.
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let connected = req.extensions().get::<ConnectInfo<SocketAddr>>().cloned();
    let done = async {
        if let Some(ip) = client(&state, &headers, connected.map(|c| c.0)) {
            state.bookings.reads.check(&ip)?;
        }
        let txn = state.db.begin().await?;
        let found = redeem::by_token(&txn, &token).await;
        txn.commit().await?;
        let c = found?.ok_or(kernel::Error::NotFound)?;
        Ok::<_, kernel::Error>(json!({ "referral": shown(&c) }))
    }
    .await;
    match done {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => refused(e, &headers, "accepted"),
    }
}

/// `POST /refer/<token>`: a visitor redeems the code.
pub async fn redeem(
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
        return refused(e, &headers, "accepted");
    }
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let done = async {
        let visitor = Visitor {
            first_name: text(&body, "firstName"),
            last_name: text(&body, "lastName"),
            email: text(&body, "email"),
            phone: text(&body, "phone"),
            origin_host: headers
                .get(header::ORIGIN)
                .and_then(|o| o.to_str().ok())
                .map(funnels::service::site::origin_host),
        };
        let txn = kernel::db::begin_write(&state.db).await?;
        let c = redeem::redeem_public(&txn, &token, visitor).await?;
        txn.commit().await?;
        Ok::<_, kernel::Error>(json!({ "accepted": true, "referral": shown(&c) }))
    }
    .await;
    match done {
        Ok(body) => json_response(StatusCode::CREATED, body),
        Err(e) => refused(e, &headers, "accepted"),
    }
}
