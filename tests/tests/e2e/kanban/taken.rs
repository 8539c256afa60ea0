//! A ticket move opens no savepoint of its own (its lane's lock is no write), so a rank taken
//! after all — by a writer that skipped the lane's lock — must still answer the user error
//! `TAKEN` and leave nothing behind: on PostgreSQL the failed update aborted the transaction,
//! and the gateway rolls the mutation back (`kernel::audit::roll_back_mutation`) instead of
//! failing the request with `INTERNAL`.

use super::{MOVE, pipeline, ticket};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use std::time::Duration;
use tests::{spawn_app, uuid_of};

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
    let events = app.count("events").await;
    let entries = app.count("ticket_lane_entries").await;

    // Another writer puts a ticket into the empty lane 1, at the rank a move to its top takes,
    // without the lane's lock, and holds it uncommitted.
    let rank = kernel::rank::between(None, None).expect("rank");
    let intruder = app.db.begin().await.expect("begin");
    intruder
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "UPDATE tickets SET lane_id = $1, rank = $2 WHERE id = $3",
            [
                uuid_of(lane(1).as_str().expect("lane")).into(),
                rank.into(),
                uuid_of(other["id"].as_str().expect("ticket")).into(),
            ],
        ))
        .await
        .expect("intrude");
    let vars = json!({ "t": moving["id"], "l": lane(1) });
    let request = app.gql(Some(&w.owner.access), MOVE, vars);
    // The move reads an empty lane, picks the same rank, and waits on the intruder's row; then
    // the intruder commits.
    let intruder = async {
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
    let (r, waiting) = tokio::join!(request, intruder);
    assert_eq!(waiting, 1, "the move never waited on the intruder");

    assert!(r.body.get("errors").is_none(), "{}", r.body);
    let codes: Vec<String> = r
        .user_errors("ticketMove")
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(codes, vec!["TAKEN"], "{}", r.body);
    assert_eq!(r.data("ticketMove.ticket"), &json!(null));
    // Nothing of the move is kept: the ticket's lane, its lane history, its events.
    let id = uuid_of(moving["id"].as_str().expect("ticket"));
    let from = uuid_of(lane(0).as_str().expect("lane"));
    let at_home = format!("id = $1 AND lane_id = '{from}'");
    assert_eq!(app.count_where("tickets", &at_home, id).await, 1);
    assert_eq!(app.count("events").await, events);
    assert_eq!(app.count("ticket_lane_entries").await, entries);
    // The audit log holds the attempt all the same.
    assert_eq!(
        app.count("audit_log WHERE operation = 'ticketMove'").await,
        1
    );
}
