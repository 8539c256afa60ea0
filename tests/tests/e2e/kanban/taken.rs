//! A ticket move opens no savepoint of its own (its lane's lock is no write), so a rank taken
//! after all — by a writer that skipped the lane's lock — must still answer the user error
//! `TAKEN` and leave nothing behind: on PostgreSQL the failed update aborted the transaction,
//! and the gateway rolls the mutation back (`kernel::audit::roll_back_mutation`) instead of
//! failing the request with `INTERNAL`. The same for a ticket moved by someone else meanwhile,
//! and a lane of another sub-account finds nothing.

use super::{MOVE, pipeline, ticket};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use std::time::Duration;
use tests::{Gql, TestApp, spawn_app, uuid_of};

/// Runs `sql` (`$1`, `$2`, `$3` bound to the uuids of `ids` and to `rank`) in a transaction of
/// its own, left open: a writer that skipped the lane's lock.
async fn intrude(app: &TestApp, sql: &str, ids: [&Value; 2], rank: &str) -> DatabaseTransaction {
    let txn = app.db.begin().await.expect("begin");
    let uuid = |v: &Value| uuid_of(v.as_str().expect("id"));
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        sql,
        [uuid(ids[0]).into(), rank.into(), uuid(ids[1]).into()],
    ))
    .await
    .expect("intrude");
    txn
}

/// Sends the move, waits until it is blocked on the intruder's row, then commits the intruder.
async fn move_past(app: &TestApp, token: &str, vars: Value, intruder: DatabaseTransaction) -> Gql {
    let request = app.gql(Some(token), MOVE, vars);
    let commit = async {
        let mut waiting = 0;
        for _ in 0..200 {
            waiting = app
                .count("pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
                .await;
            if waiting > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        intruder.commit().await.expect("commit");
        waiting
    };
    let (r, waiting) = tokio::join!(request, commit);
    assert_eq!(waiting, 1, "the move never waited on the intruder");
    r
}

/// The lane a ticket is in, as the API shows it.
async fn lane_of(app: &TestApp, token: &str, ticket: &Value) -> Value {
    let q = "query($id: ID!) { node(id: $id) { ... on Ticket { lane { id } } } }";
    let r = app.gql(Some(token), q, json!({ "id": ticket })).await.ok();
    r.data("node.lane.id").clone()
}

/// The events and lane history recorded so far.
async fn recorded(app: &TestApp) -> (i64, i64) {
    (
        app.count("events").await,
        app.count("ticket_lane_entries").await,
    )
}

/// The answer is the user error `TAKEN` alone, with no ticket and no top-level error.
fn assert_taken(r: &Gql) {
    assert!(r.body.get("errors").is_none(), "{}", r.body);
    assert_eq!(
        r.user_error_codes("ticketMove"),
        vec!["TAKEN"],
        "{}",
        r.body
    );
    assert_eq!(r.data("ticketMove.ticket"), &json!(null));
}

#[tokio::test]
async fn a_move_whose_rank_is_taken_meanwhile_answers_taken_and_changes_nothing() {
    let app = spawn_app().await;
    if app.pg_addr().is_none() {
        return; // SQLite's writers are serial: no other writer can take the rank meanwhile.
    }
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Sales" })).await;
    let lane = |i: usize| p["lanes"][i]["id"].clone();
    let moving = ticket(&app, &w.owner, &lane(0), json!({ "title": "Moving" })).await;
    let other = ticket(&app, &w.owner, &lane(2), json!({ "title": "Other" })).await;
    let before = recorded(&app).await;

    // Another writer puts a ticket into the empty lane 1, at the rank a move to its top takes.
    let rank = kernel::rank::between(None, None).expect("rank");
    let set = "UPDATE tickets SET lane_id = $1, rank = $2 WHERE id = $3";
    let intruder = intrude(&app, set, [&lane(1), &other["id"]], &rank).await;
    // The move reads an empty lane, picks the same rank, and waits on the intruder's row.
    let vars = json!({ "t": moving["id"], "l": lane(1) });
    assert_taken(&move_past(&app, &w.owner.access, vars, intruder).await);

    // Nothing of the move is kept: the ticket's lane, its lane history, its events.
    assert_eq!(lane_of(&app, &w.owner.access, &moving["id"]).await, lane(0));
    assert_eq!(recorded(&app).await, before);
    // The audit log holds the attempt all the same.
    assert_eq!(
        app.count("audit_log WHERE operation = 'ticketMove'").await,
        1
    );
}

#[tokio::test]
async fn a_ticket_moved_by_someone_else_meanwhile_is_not_moved_from_where_it_was() {
    let app = spawn_app().await;
    if app.pg_addr().is_none() {
        return; // SQLite's writers are serial: no one moves the ticket meanwhile.
    }
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Sales" })).await;
    let lane = |i: usize| p["lanes"][i]["id"].clone();
    let moving = ticket(&app, &w.owner, &lane(0), json!({ "title": "Moving" })).await;
    let before = recorded(&app).await;

    // Someone else moves the ticket to lane 2 and holds it uncommitted; the move to lane 1
    // read it in lane 0, and its update waits on the row.
    let set = "UPDATE tickets SET lane_id = $1, rank = $2 WHERE id = $3";
    let intruder = intrude(&app, set, [&lane(2), &moving["id"]], "zz").await;
    let vars = json!({ "t": moving["id"], "l": lane(1) });
    assert_taken(&move_past(&app, &w.owner.access, vars, intruder).await);

    // The ticket stays where the other move put it, and this one recorded nothing.
    assert_eq!(lane_of(&app, &w.owner.access, &moving["id"]).await, lane(2));
    assert_eq!(recorded(&app).await, before);
}

#[tokio::test]
async fn a_move_into_another_sub_accounts_lane_finds_nothing() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Sales" })).await;
    let q = pipeline(&app, &w.owner, &w.gardens, json!({ "name": "Beds" })).await;
    let moving = ticket(
        &app,
        &w.owner,
        &p["lanes"][0]["id"],
        json!({ "title": "Moving" }),
    )
    .await;
    let before = recorded(&app).await;
    // The owner may write both sub-accounts, but a ticket moves only within its own.
    let vars = json!({ "t": moving["id"], "l": q["lanes"][0]["id"] });
    let r = app.gql(Some(&w.owner.access), MOVE, vars).await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
    let home = &p["lanes"][0]["id"];
    assert_eq!(&lane_of(&app, &w.owner.access, &moving["id"]).await, home);
    assert_eq!(recorded(&app).await, before);
}
