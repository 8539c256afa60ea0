//! Respacing a lane: when a new rank key would be longer than `MAX_RANK_LEN` (many inserts into
//! one gap, or a lane's end past its levels), a move and a create first give the lane short,
//! evenly spaced keys in its order, and so does a lane's deletion when the first key it appends
//! would be (or when the lane's last key is malformed), and again after appending if its last
//! appended key is past the limit.
//! A respacing is a few statements whatever the lane's size.

use super::*;
use sea_orm::ConnectionTrait;

/// Gives the tickets titled `title` the rank key `rank` (a fixture: what long use leaves).
async fn set_rank(app: &TestApp, title: &str, rank: &str) {
    let sql = format!("UPDATE tickets SET rank = '{rank}' WHERE title = '{title}'");
    app.db.execute_unprepared(&sql).await.expect("fixture");
}

/// The titles of a lane's tickets in rank order, read from the table, and the longest key (a
/// respaced lane's keys have a few digits: 3 for a lane of 3, 5 for one of 1,103).
async fn lane_order(app: &TestApp, lane: &Value) -> (Vec<String>, usize) {
    let lane = tests::uuid_of(lane.as_str().expect("lane"));
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT title, rank FROM tickets WHERE lane_id = $1 ORDER BY rank",
            [lane.into()],
        ))
        .await
        .expect("lane");
    let mut longest = 0;
    let titles = rows
        .iter()
        .map(|r| {
            longest = longest.max(r.try_get::<String>("", "rank").expect("rank").len());
            r.try_get::<String>("", "title").expect("title")
        })
        .collect();
    (titles, longest)
}

/// A key of 64 `f`s: the longest kept, and the last of its level, so the next key after it
/// would need 128 digits.
fn last_of_the_longest_level() -> String {
    "f".repeat(kanban::service::ticket::MAX_RANK_LEN)
}

/// A pipeline of one lane holding X, Y and Z, X and Y adjacent on a long shared prefix (what
/// thousands of inserts into one gap leave behind): Z placed between them needs a key past the
/// limit. Returns the pipeline, the lane and the three tickets' ids.
async fn gap(app: &TestApp, w: &World) -> (Value, Value, Vec<Value>) {
    let p = pipeline(
        app,
        &w.owner,
        &w.dental,
        json!({ "name": "Gap", "lanes": ["A"] }),
    )
    .await;
    let lane = p["lanes"][0]["id"].clone();
    let mut ids = Vec::new();
    for t in ["X", "Y", "Z"] {
        ids.push(ticket(app, &w.owner, &lane, json!({ "title": t })).await["id"].clone());
    }
    let prefix = format!("0000{}", "17".repeat(33));
    set_rank(app, "X", &format!("{prefix}18")).await;
    set_rank(app, "Y", &format!("{prefix}2")).await;
    (p, lane, ids)
}

/// A move between two keys too close for a key of 64 digits respaces the lane, then places the
/// ticket.
#[tokio::test]
async fn a_lane_is_respaced_when_its_rank_keys_grow_long() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (p, lane, ids) = gap(&app, &w).await;
    move_ok(
        &app,
        &w.owner,
        json!({ "t": ids[2], "l": lane, "a": ids[0] }),
    )
    .await;
    assert_eq!(titles(&board(&app, &w.owner, &p).await, 0), ["X", "Z", "Y"]);
    assert!(lane_order(&app, &lane).await.1 <= 4, "respaced");
}

/// A create respaces its lane only when its own key would be past the limit: after a last key of
/// 64 digits with room above it in its level it appends a short key and leaves the lane as it is;
/// after the last key of the longest level it respaces.
#[tokio::test]
async fn a_ticket_created_after_the_longest_key_respaces_its_lane() {
    let app = spawn_app().await;
    let w = app.world().await;
    let input = json!({ "name": "End", "lanes": ["A"] });
    let p = pipeline(&app, &w.owner, &w.dental, input).await;
    let lane = p["lanes"][0]["id"].clone();
    for t in ["X", "Y"] {
        ticket(&app, &w.owner, &lane, json!({ "title": t })).await;
    }
    let long = "8".repeat(kanban::service::ticket::MAX_RANK_LEN);
    set_rank(&app, "Y", &long).await;
    ticket(&app, &w.owner, &lane, json!({ "title": "Z" })).await;
    let sql = format!("tickets WHERE title = 'Y' AND rank = '{long}'");
    assert_eq!(app.count(&sql).await, 1, "Y keeps its key: no respacing");
    assert_eq!(lane_order(&app, &lane).await.0, ["X", "Y", "Z"]);

    set_rank(&app, "Z", &last_of_the_longest_level()).await;
    ticket(&app, &w.owner, &lane, json!({ "title": "W" })).await;
    let (order, longest) = lane_order(&app, &lane).await;
    assert_eq!(order, ["X", "Y", "Z", "W"]);
    assert!(longest <= 4, "respaced: {longest} digits");
}

/// A pipeline of lanes A and B holding tickets of these titles, the ticket `titled` given the rank
/// key `rank`; then B deleted, its tickets moved to A. Returns A.
async fn delete_b_into_a(
    app: &TestApp,
    w: &World,
    (in_a, in_b): (&[&str], &[&str]),
    (titled, rank): (&str, &str),
) -> Value {
    let input = json!({ "name": "Merge", "lanes": ["A", "B"] });
    let p = pipeline(app, &w.owner, &w.dental, input).await;
    let (a, b) = (p["lanes"][0]["id"].clone(), p["lanes"][1]["id"].clone());
    for (lane, titles) in [(&a, in_a), (&b, in_b)] {
        for t in titles {
            ticket(app, &w.owner, lane, json!({ "title": t })).await;
        }
    }
    set_rank(app, titled, rank).await;
    let del = "mutation($l: ID!, $to: ID) { laneDelete(input: { laneId: $l, moveTicketsToLaneId: $to }) { userErrors { field code } } }";
    let r = app
        .gql(Some(&w.owner.access), del, json!({ "l": b, "to": a }))
        .await
        .ok();
    assert_eq!(r.user_errors("laneDelete"), vec![], "{}", r.body);
    a
}

/// A lane's deletion appends its tickets to the lane they go to, and respaces that lane when the
/// appended keys would be past the limit.
#[tokio::test]
async fn a_lane_deleted_into_one_ending_in_the_longest_key_respaces_it() {
    let app = spawn_app().await;
    let w = app.world().await;
    let longest_level = last_of_the_longest_level();
    let tickets = (&["A1"][..], &["B1", "B2"][..]);
    let a = delete_b_into_a(&app, &w, tickets, ("A1", &longest_level)).await;
    let (order, longest) = lane_order(&app, &a).await;
    assert_eq!(order, ["A1", "B1", "B2"]);
    assert!(longest <= 4, "respaced: {longest} digits");
}

/// A lane's deletion into a lane whose last key is malformed (not one `kernel::rank` makes)
/// respaces that lane first, as a move and a create do, where it failed as an internal error.
#[tokio::test]
async fn a_lane_deleted_into_one_ending_in_a_malformed_key_respaces_it() {
    let app = spawn_app().await;
    let w = app.world().await;
    let tickets = (&["A1", "A2"][..], &["B1"][..]);
    let a = delete_b_into_a(&app, &w, tickets, ("A2", "zz")).await;
    let (order, longest) = lane_order(&app, &a).await;
    assert_eq!(order, ["A1", "A2", "B1"]);
    assert!(longest <= 4, "respaced: {longest} digits");
    assert_eq!(app.count("tickets WHERE rank = 'zz'").await, 0);
}

/// A respacing is a few statements whatever the lane's size: one a pass on PostgreSQL, one a pass
/// per 1,000 tickets on SQLite.
#[tokio::test]
async fn a_lane_is_respaced_in_a_few_statements_whatever_its_size() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (p, lane, ids) = gap(&app, &w).await;
    // 1,100 more tickets between Y and Z (keys of 4 digits from `003b`): SQLite respaces in two
    // chunks of at most 1,000.
    fill(&app, &w, std::slice::from_ref(&lane), 1100).await;
    set_rank(&app, "Z", "ffff").await;
    let vars = json!({ "t": ids[2], "l": lane, "a": ids[0] });
    let statements = app.statements_for(&w.owner.access, MOVE, vars).await;
    // Each ticket is written twice, but in one statement a pass on PostgreSQL (11 in all) and
    // one a pass per 1,000 tickets on SQLite (14); one statement a write would be over 2,200.
    // The bounds are the counts observed (session 35): a statement more in any move fails here.
    let most = match app.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => 11,
        _ => 14,
    };
    assert!(statements <= most, "{statements} statements");
    let mut expected: Vec<String> = ["X", "Z", "Y"].map(String::from).to_vec();
    expected.extend((0..1100).map(|i| format!("T{i}")));
    let (order, longest) = lane_order(&app, &lane).await;
    assert_eq!(order, expected);
    assert!(longest <= 6, "respaced: {longest} digits");
    assert_eq!(
        titles(&board(&app, &w.owner, &p).await, 0)[..3],
        ["X", "Z", "Y"]
    );
}
