//! The dispatcher: the event log → one message per matching endpoint, each with its delivery
//! job. It runs on every replica's maintenance tick; what it writes is idempotent (one message
//! per endpoint and event, one job per message), so replicas that dispatch the same event at
//! once make one delivery.
//!
//! It reads events from its cursor less a window (`WINDOW`), so an event whose transaction
//! committed after later ones (up to the request timeout) is still found; what was dispatched
//! already is skipped by the message's unique key.

use crate::entity::{EndpointStatus, cursor, endpoint as ep, message};
use chrono::{DateTime, Utc};
use jobs::Registry;
use kernel::auth::{Permission, PermissionSet, Scope};
use kernel::db::TenantGuard;
use kernel::error::Error;
use kernel::event::entity as event;
use kernel::id::{GlobalId, NodeKind, scope_gid};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// Events read again before the cursor, for transactions that committed late.
const WINDOW: chrono::Duration = chrono::Duration::seconds(35);
/// Most events one tick reads.
const BATCH: u64 = 500;
const CURSOR: &str = "events";

pub(crate) fn register(registry: &mut Registry) {
    registry.tick("webhooks.dispatch", |db: DatabaseConnection| async move {
        dispatch(&db).await
    });
}

/// Dispatches what is new. Returns how many messages it made.
pub(crate) async fn dispatch(db: &DatabaseConnection) -> Result<u64, Error> {
    let now = Utc::now();
    // Every tenant's enabled endpoints (the runner's pool may read them).
    let endpoints = ep::Entity::find()
        .filter(ep::Column::Status.eq(EndpointStatus::Enabled))
        .all(db)
        .await?;
    let Some(from) = advance_from(db, now, endpoints.is_empty()).await? else {
        return Ok(0);
    };
    let mut by_agency: HashMap<Uuid, Vec<ep::Model>> = HashMap::new();
    for e in endpoints {
        by_agency.entry(e.agency_id).or_default().push(e);
    }
    let events = event::Entity::find()
        .filter(event::Column::Id.gte(kernel::id::uuid_floor(from)))
        .filter(event::Column::AgencyId.is_in(by_agency.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(event::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    let until = match events.last() {
        Some(last) if events.len() as u64 == BATCH => last.occurred_at,
        _ => now,
    };
    let mut made = 0;
    let mut may_read: HashMap<(Uuid, Scope, Permission), bool> = HashMap::new();
    let mut per_agency: HashMap<Uuid, Vec<(ep::Model, message::Model)>> = HashMap::new();
    for ev in &events {
        let Some(agency_id) = ev.agency_id else {
            continue;
        };
        let Some(scope) = ev
            .scope_id
            .and_then(|id| Scope::from_stored(&ev.scope_kind, id, ev.agency_id))
        else {
            continue;
        };
        let Some(needed) = kernel::event::subject_read_permission(&ev.subject_type) else {
            continue;
        };
        for e in by_agency.get(&agency_id).into_iter().flatten() {
            if !matches(e, ev) {
                continue;
            }
            // What the endpoint may see: what its creator could, and still can, read.
            let granted = PermissionSet::from_json(&e.permissions);
            if !granted.contains(needed) {
                continue;
            }
            let key = (e.created_by, scope, needed);
            let can = match may_read.get(&key) {
                Some(c) => *c,
                None => {
                    let c = tenancy::user_can(db, e.created_by, needed, scope).await?;
                    may_read.insert(key, c);
                    c
                }
            };
            if !can {
                continue;
            }
            let m = message::Model {
                agency_id,
                id: kernel::id::new_uuid(),
                endpoint_id: e.id,
                event_id: ev.id,
                event_type: ev.event_type.clone(),
                body: body(ev, scope),
                status: crate::entity::MessageStatus::Pending,
                attempts: 0,
                created_at: now,
                last_attempt_at: None,
                delivered_at: None,
            };
            per_agency
                .entry(agency_id)
                .or_default()
                .push((e.clone(), m));
        }
    }
    for (agency_id, messages) in per_agency {
        let txn = kernel::db::begin_write(db).await?;
        kernel::db::set_tenant(&txn, TenantGuard::Agency(agency_id)).await?;
        for (e, m) in messages {
            let inserted = message::Entity::insert(message::ActiveModel {
                agency_id: Set(m.agency_id),
                id: Set(m.id),
                endpoint_id: Set(m.endpoint_id),
                event_id: Set(m.event_id),
                event_type: Set(m.event_type.clone()),
                body: Set(m.body.clone()),
                status: Set(m.status),
                attempts: Set(0),
                created_at: Set(m.created_at),
                last_attempt_at: Set(None),
                delivered_at: Set(None),
            })
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await?;
            if inserted == 1 {
                crate::deliver::enqueue(&txn, crate::deliver::owner_of(&e), &m, 0).await?;
                made += 1;
            }
        }
        txn.commit().await?;
    }
    cursor::Entity::update_many()
        .col_expr(cursor::Column::DispatchedUntil, Expr::value(until))
        .filter(cursor::Column::Name.eq(CURSOR))
        .filter(cursor::Column::DispatchedUntil.lt(until))
        .exec(db)
        .await?;
    if made > 0 {
        jobs::wake();
    }
    Ok(made)
}

/// Where to read from: the cursor less the window. With no endpoint anywhere, the cursor just
/// follows the clock (`None`: nothing to read), so a first endpoint does not replay history.
async fn advance_from(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    idle: bool,
) -> Result<Option<DateTime<Utc>>, Error> {
    let current = cursor::Entity::find_by_id(CURSOR.to_owned())
        .one(db)
        .await?;
    let Some(c) = current else {
        cursor::Entity::insert(cursor::ActiveModel {
            name: Set(CURSOR.to_owned()),
            dispatched_until: Set(now),
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
        return Ok((!idle).then_some(now - WINDOW));
    };
    if idle {
        cursor::Entity::update_many()
            .col_expr(cursor::Column::DispatchedUntil, Expr::value(now))
            .filter(cursor::Column::Name.eq(CURSOR))
            .filter(cursor::Column::DispatchedUntil.lt(now - WINDOW))
            .exec(db)
            .await?;
        return Ok(None);
    }
    Ok(Some(c.dispatched_until - WINDOW))
}

fn matches(e: &ep::Model, ev: &event::Model) -> bool {
    if ev.occurred_at < e.created_at {
        return false;
    }
    let place = match (e.sub_account_id, e.filter_sub_account_id) {
        (Some(s), _) | (None, Some(s)) => ev.sub_account_id == Some(s),
        (None, None) => true,
    };
    let types = e
        .event_types
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    place
        && (types.is_empty()
            || types
                .iter()
                .any(|t| t.as_str() == Some(ev.event_type.as_str())))
}

/// The body sent: the Standard Webhooks shape, `{ type, timestamp, data }`.
fn body(ev: &event::Model, scope: Scope) -> String {
    let subject = NodeKind::from_type_name(&ev.subject_type)
        .map(|k| GlobalId::new(k, ev.subject_id).to_string());
    json!({
        "type": ev.event_type,
        "timestamp": ev.occurred_at.to_rfc3339(),
        "data": {
            "eventId": GlobalId::new(NodeKind::Event, ev.id).to_string(),
            "scopeId": scope_gid(scope).to_string(),
            "subject": { "type": ev.subject_type, "id": subject },
            "actorKind": ev.actor_kind,
            "details": ev.payload,
        }
    })
    .to_string()
}
