//! What a move records: its event, and its lane history when it changes lanes. On PostgreSQL
//! both are written by the update's own statement (inserts selected from its `RETURNING`).

use super::*;
use tests::uuid_of;

const MOVED: &str = "query($s: ID!) { activity(scopeId: $s, filter: { types: [\"ticket.moved\"] }, first: 10) { nodes { subjectId actorKind actor { id } payload } } }";

/// The `ticket.moved` events of the sub-account, newest first: (subject, actor, payload).
async fn moved_events(app: &TestApp, w: &World) -> Vec<(Value, Value, Value)> {
    let r = app
        .gql(Some(&w.owner.access), MOVED, json!({ "s": w.dental }))
        .await
        .ok();
    let nodes = r.data("activity.nodes").as_array().expect("nodes").clone();
    nodes
        .into_iter()
        .map(|e| {
            assert_eq!(e["actorKind"], "user");
            let payload = serde_json::from_str(e["payload"].as_str().expect("payload"));
            (
                e["subjectId"].clone(),
                e["actor"]["id"].clone(),
                payload.expect("json"),
            )
        })
        .collect()
}

/// The ticket's rows in its lane history.
async fn entries(app: &TestApp, ticket: &Value) -> i64 {
    let id = uuid_of(ticket.as_str().expect("id"));
    app.count_where("ticket_lane_entries", "ticket_id = $1", id)
        .await
}

#[tokio::test]
async fn a_move_records_its_event_and_enters_the_lane_history_only_across_lanes() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Sales" })).await;
    let (from, to) = (&p["lanes"][0]["id"], &p["lanes"][1]["id"]);
    let t = ticket(&app, &w.owner, from, json!({ "title": "Crowns" })).await;
    assert_eq!(entries(&app, &t["id"]).await, 1, "entered at its creation");

    let vars = json!({ "t": t["id"], "l": to });
    let r = app.gql(Some(&w.owner.access), MOVE, vars).await.ok();
    assert_eq!(r.user_errors("ticketMove"), vec![], "{}", r.body);
    let events = moved_events(&app, &w).await;
    assert_eq!(events.len(), 1);
    let (subject, actor, payload) = &events[0];
    assert_eq!(
        (subject, actor.as_str()),
        (&t["id"], Some(w.owner.user_id.as_str()))
    );
    assert_eq!((&payload["fromLaneId"], &payload["toLaneId"]), (from, to));
    assert_eq!(payload["pipelineId"], p["id"]);
    assert_eq!(entries(&app, &t["id"]).await, 2);

    // Within its lane (to the top of it): an event, and no lane history.
    let vars = json!({ "t": t["id"], "l": to });
    let r = app.gql(Some(&w.owner.access), MOVE, vars).await.ok();
    assert_eq!(r.user_errors("ticketMove"), vec![], "{}", r.body);
    let events = moved_events(&app, &w).await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        (&events[0].2["fromLaneId"], &events[0].2["toLaneId"]),
        (to, to)
    );
    assert_eq!(entries(&app, &t["id"]).await, 2);
}

#[tokio::test]
async fn moves_to_the_top_of_a_lane_keep_its_rank_keys_short() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Top" })).await;
    let lane = &p["lanes"][0]["id"];
    let a = ticket(&app, &w.owner, lane, json!({ "title": "A" })).await["id"].clone();
    let b = ticket(&app, &w.owner, lane, json!({ "title": "B" })).await["id"].clone();
    // Each move puts one ticket above the other: 250 keys, each below the last. Stepping to the
    // shortest key below would take a digit per 15 moves (18 digits here).
    for i in 0..250 {
        let t = if i % 2 == 0 { &b } else { &a };
        move_ok(&app, &w.owner, json!({ "t": t, "l": lane })).await;
    }
    assert_eq!(titles(&board(&app, &w.owner, &p).await, 0), ["A", "B"]);
    assert_eq!(app.count("tickets WHERE length(rank) > 4").await, 0);
}
