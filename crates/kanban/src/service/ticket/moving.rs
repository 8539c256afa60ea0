//! Moving a ticket: its rank among its new neighbours, and the lane respaced when ranks grow
//! long.

use crate::entity::{lane, lane_entry, ticket};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::error::{Error, UserErrorCode};
use kernel::event::{self, EventType};
use kernel::id::NodeKind;
use sea_orm::sea_query::{
    Alias, Asterisk, CaseStatement, CommonTableExpression, Expr, ExprTrait, IntoCondition,
    LockType, Query, SubQueryStatement, WithClause,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityName, EntityTrait,
    FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
    UpdateMany,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Moves a ticket into a lane of its own pipeline, after `after` (a ticket of that lane;
/// `None`: to the top). One ticket row changes; its lane history and its event are written with
/// it.
pub async fn move_to(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    lane_id: Uuid,
    after: Option<Uuid>,
) -> Result<ticket::Model, Error> {
    // The ticket, and the lane of its sub-account under the lane's write lock, in one statement
    // (an inner join: no such lane finds nothing, and locks nothing). No savepoint: the lock is
    // no write, and a user error after a write (a respaced lane, a rank taken after all:
    // `taken_rank`) marks the mutation to be rolled back whole by the gateway.
    let (t, lanes) =
        guard::load_with::<ticket::Entity, lane::Entity>(db, actor, id, Access::Write, |q| {
            let to_lane = ticket::Entity::belongs_to(lane::Entity)
                .from((ticket::Column::AgencyId, ticket::Column::SubAccountId))
                .to((lane::Column::AgencyId, lane::Column::SubAccountId))
                .on_condition(move |_, l| {
                    Expr::col((l, lane::Column::Id))
                        .eq(lane_id)
                        .into_condition()
                })
                .into();
            let mut q = q
                .join(JoinType::InnerJoin, to_lane)
                .select_also(lane::Entity);
            QueryTrait::query(&mut q)
                .lock_with_tables(LockType::NoKeyUpdate, [lane::Entity.table_ref()]);
            q
        })
        .await?;
    let agency_id = t.agency_id;
    let target = lanes.into_iter().next().ok_or(Error::NotFound)?;
    if target.pipeline_id != t.pipeline_id {
        return Err(Error::user(
            "input.laneId",
            UserErrorCode::NotAllowed,
            "a ticket moves only between the lanes of its own pipeline",
        ));
    }
    if after == Some(t.id) {
        return Err(Error::user(
            "input.afterTicketId",
            UserErrorCode::Invalid,
            "a ticket cannot be placed after itself",
        ));
    }
    let rank = match placed(neighbours_rank(db, agency_id, target.id, t.id, after).await)? {
        Some(r) => r,
        None => {
            rebalance(db, agency_id, target.id).await?;
            // The ticket to follow may have left the lane since: then the respacing is undone
            // with the move (the gateway rolls it back).
            neighbours_rank(db, agency_id, target.id, t.id, after)
                .await
                .inspect_err(|e| {
                    if matches!(e, Error::User(_)) {
                        kernel::audit::roll_back_mutation();
                    }
                })?
        }
    };
    // Only if the ticket is still where it was read (the read took no lock on it): a move of the
    // same ticket that committed meanwhile leaves it elsewhere, and this one is refused rather
    // than record a lane history and an event from the wrong lane.
    let from = t.lane_id;
    let now = Utc::now();
    let update = ticket::Entity::update_many()
        .col_expr(ticket::Column::LaneId, Expr::value(target.id))
        .col_expr(ticket::Column::Rank, Expr::value(rank))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(now))
        .filter(ticket::Column::AgencyId.eq(agency_id))
        .filter(ticket::Column::Id.eq(t.id))
        .filter(ticket::Column::LaneId.eq(from));
    let entry = (from != target.id).then(|| super::lane_entry_row(&t, target.id, now));
    let event = guard::unwritten(
        actor,
        &t,
        EventType::TicketMoved,
        json!({
            "fromLaneId": kernel::id::gid(NodeKind::Lane, from).to_string(),
            "toLaneId": kernel::id::gid(NodeKind::Lane, target.id).to_string(),
        }),
    );
    let t = write(db, update, entry, &event).await?.ok_or_else(|| {
        kernel::audit::roll_back_mutation();
        Error::user(
            "input.ticketId",
            UserErrorCode::Taken,
            "the ticket moved at the same moment: try again",
        )
    })?;
    event.written();
    Ok(t)
}

/// The move's update and, if it updated the ticket, its lane history (when it changes lanes)
/// and its event: on PostgreSQL one statement, whose inserts select from the update's
/// `RETURNING` (`kernel::db::insert_from`); on SQLite, which has no data-modifying common table
/// expressions, one statement each. The ticket as moved, or `None` if it was not in the lane
/// the update names.
async fn write(
    db: &impl ConnectionTrait,
    update: UpdateMany<ticket::Entity>,
    entry: Option<lane_entry::ActiveModel>,
    event: &event::Unwritten,
) -> Result<Option<ticket::Model>, Error> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Postgres {
        let Some(t) = update
            .exec_with_returning(db)
            .await
            .map_err(kernel::db::taken_rank)?
            .pop()
        else {
            return Ok(None);
        };
        if let Some(entry) = entry {
            entry.insert(db).await?;
        }
        event.insert(db).await?;
        return Ok(Some(t));
    }
    const MOVED: &str = "moved";
    let cte = |name: &str, query: SubQueryStatement| {
        CommonTableExpression::new()
            .query(query)
            .table_name(Alias::new(name))
            .to_owned()
    };
    let mut update = update.into_query();
    update.returning_all();
    let mut with = WithClause::new();
    with.cte(cte(MOVED, update.into()));
    if let Some(entry) = &entry {
        with.cte(cte("entry", kernel::db::insert_from(entry, MOVED)?.into()));
    }
    with.cte(cte("event", event.insert_from(MOVED)?.into()));
    let select = Query::select()
        .column(Asterisk)
        .from(Alias::new(MOVED))
        .with_cte(with)
        .to_owned();
    ticket::Model::find_by_statement(backend.build(&select))
        .one(db)
        .await
        .map_err(kernel::db::taken_rank)
}

/// Longest rank key kept before a lane is respaced (the column holds 255 characters).
pub const MAX_RANK_LEN: usize = 64;

/// Whether a new rank key may be stored as it is. A move, a create and a lane's deletion's first
/// appended ticket respace the lane rather than store a longer key (many inserts into one gap,
/// or a lane's end past its levels; see [`placed`]); a lane's deletion also respaces after
/// appending if its last key is longer. So no committed key is longer than [`MAX_RANK_LEN`].
pub(crate) fn fits(rank: &str) -> bool {
    rank.len() <= MAX_RANK_LEN
}

/// A new key as a move or an append (`super::appended_rank`) computed it: `Some` to store;
/// `None` when the lane must be respaced first and the key computed again (it is too long, or its
/// neighbours left no room: an internal error from `kernel::rank`); any other error as it is.
pub(crate) fn placed(rank: Result<String, Error>) -> Result<Option<String>, Error> {
    match rank {
        Ok(r) if fits(&r) => Ok(Some(r)),
        Ok(_) | Err(Error::Internal(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The rank for `ticket` placed right after `after` in `lane_id` (`None`: at the top).
async fn neighbours_rank(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    lane_id: Uuid,
    ticket_id: Uuid,
    after: Option<Uuid>,
) -> Result<String, Error> {
    let in_lane = || {
        ticket::Entity::find()
            .filter(ticket::Column::AgencyId.eq(agency_id))
            .filter(ticket::Column::LaneId.eq(lane_id))
            .filter(ticket::Column::Id.ne(ticket_id))
    };
    let lower = match after {
        None => None,
        Some(a) => Some(
            in_lane()
                .filter(ticket::Column::Id.eq(a))
                .one(db)
                .await?
                .ok_or_else(|| {
                    Error::user(
                        "input.afterTicketId",
                        UserErrorCode::Invalid,
                        "no such ticket in that lane",
                    )
                })?
                .rank,
        ),
    };
    let mut upper_q = in_lane();
    if let Some(l) = &lower {
        upper_q = upper_q.filter(ticket::Column::Rank.gt(l.clone()));
    }
    let upper = upper_q
        .select_only()
        .column(ticket::Column::Rank)
        .order_by_asc(ticket::Column::Rank)
        .limit(1)
        .into_tuple::<String>()
        .one(db)
        .await?;
    kernel::rank::between(lower.as_deref(), upper.as_deref())
}

/// Rows one respacing statement sets at most on SQLite: its `CASE` binds two parameters a row and
/// its `IN` one, 3,002 in all, well under SQLite's parameter limit (32,766).
const RESPACE_CHUNK: usize = 1000;

/// Gives a lane's tickets short, evenly spaced ranks in their current order, in two passes (so
/// the unique `(lane, rank)` index holds at every step) of one statement each (on SQLite, one per
/// 1,000 tickets). Runs under the lane's lock.
pub async fn rebalance(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    lane_id: Uuid,
) -> Result<(), Error> {
    let ids: Vec<Uuid> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::Id)
        .filter(ticket::Column::AgencyId.eq(agency_id))
        .filter(ticket::Column::LaneId.eq(lane_id))
        .order_by_asc(ticket::Column::Rank)
        .order_by_asc(ticket::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    // Temporary keys: unique, and never a hex key (`~` is no hex digit), so neither pass can
    // meet a key still in use.
    let temporary: Vec<String> = ids.iter().map(|id| format!("~{id}")).collect();
    for keys in [temporary, kernel::rank::spaced(ids.len())] {
        set_ranks(db, agency_id, lane_id, &ids, keys).await?;
    }
    Ok(())
}

/// Sets the rank of each of `ids` to its key in `keys`: on PostgreSQL in one statement, joined to
/// both as arrays (`UNNEST`); on SQLite in one per 1,000 tickets, a `CASE` of ids to keys. Only
/// while the ticket is still in this lane: a ticket moving out commits under its new lane's
/// lock, not this one, and must keep the rank it was given there (giving it one of this lane's
/// ranks could collide with a ticket of its new lane).
async fn set_ranks(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    lane_id: Uuid,
    ids: &[Uuid],
    keys: Vec<String>,
) -> Result<(), Error> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            r#"UPDATE "tickets" SET "rank" = "v"."rank" FROM UNNEST($1::uuid[], $2::text[]) AS "v"("id", "rank") WHERE "tickets"."agency_id" = $3 AND "tickets"."lane_id" = $4 AND "tickets"."id" = "v"."id""#,
            [ids.to_vec().into(), keys.into(), agency_id.into(), lane_id.into()],
        ))
        .await?;
        return Ok(());
    }
    for (ids, keys) in ids.chunks(RESPACE_CHUNK).zip(keys.chunks(RESPACE_CHUNK)) {
        let mut case = CaseStatement::new();
        for (id, key) in ids.iter().zip(keys) {
            case = case.case(ticket::Column::Id.eq(*id), Expr::val(key.as_str()));
        }
        ticket::Entity::update_many()
            .col_expr(
                ticket::Column::Rank,
                case.finally(Expr::col(ticket::Column::Rank)).into(),
            )
            .filter(ticket::Column::AgencyId.eq(agency_id))
            .filter(ticket::Column::LaneId.eq(lane_id))
            .filter(ticket::Column::Id.is_in(ids.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}
