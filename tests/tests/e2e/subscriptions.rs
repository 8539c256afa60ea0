//! Live subscriptions over `/graphql/ws` (graphql-transport-ws), driven by a real WebSocket
//! client: the protocol's close codes, every subscription, cross-tenant silence, revoked
//! access and expired tokens, and two replicas on one database.

mod shared;
mod streams_and_limits;

use kernel::Role;
use serde_json::{Value, json};
use std::time::Duration;
use tests::{Session, SseEvent, TestApp, Ws, WsEvent, spawn_app, spawn_app_with};

const BOARD: &str = "subscription($p: ID!) { pipelineChanged(pipelineId: $p) { id type subjectType subjectId scopeId payload occurredAt actorKind } }";
const CONTACTS: &str =
    "subscription($s: ID!) { contactChanged(subAccountId: $s) { type subjectId scopeId } }";
const ACTIVITY: &str = "subscription($s: ID!, $f: ActivityFilterInput) { activityAdded(scopeId: $s, filter: $f) { type subjectType scopeId } }";
const NOTIFICATIONS: &str = "subscription { notificationAdded { kind text subjectId } }";
const TICKET_CREATE: &str = "mutation($l: ID!, $t: String!, $a: ID) { ticketCreate(input: { laneId: $l, title: $t, assigneeId: $a }) { ticket { id } userErrors { code } } }";
const MOVE: &str = "mutation($t: ID!, $l: ID!) { ticketMove(input: { ticketId: $t, laneId: $l }) { ticket { id } userErrors { code } } }";
const CONTACT_CREATE: &str = "mutation($s: ID!, $n: String!) { contactCreate(input: { subAccountId: $s, firstName: $n }) { contact { id } userErrors { code } } }";
/// Long enough for anything that was coming to have come.
const QUIET: Duration = Duration::from_millis(1500);
/// How long to wait for a finished event stream to end (it ends at once; an open one stays
/// silent for longer than this, its keep-alive comments coming every 15 s).
const WAIT_END: Duration = Duration::from_secs(5);

struct World {
    owner: Session,
    agency: String,
    dental: String,
    gardens: String,
    pipeline: String,
    lanes: Vec<String>,
}

async fn world(app: &TestApp, prefix: &str) -> World {
    let admin = app.platform_admin(&format!("root@{prefix}.test")).await;
    let owner_email = format!("owner@{prefix}.test");
    let owner = app.user(&owner_email).await;
    let agency = app.agency(&admin, prefix, &owner_email).await;
    let dental = app.sub_account(&owner, &agency, "Dental").await;
    let gardens = app.sub_account(&owner, &agency, "Gardens").await;
    let (pipeline, lanes) = fenced_pipeline(app, &owner, &dental, "Sales").await;
    World {
        owner,
        agency,
        dental,
        gardens,
        pipeline,
        lanes,
    }
}

async fn pipeline(app: &TestApp, who: &Session, sub: &str, name: &str) -> (String, Vec<String>) {
    let r = app
        .gql(
            Some(&who.access),
            "mutation($s: ID!, $n: String!) { pipelineCreate(input: { subAccountId: $s, name: $n }) { pipeline { id lanes { id } } } }",
            json!({ "s": sub, "n": name }),
        )
        .await
        .ok();
    let p = r.data("pipelineCreate.pipeline");
    (
        p["id"].as_str().expect("pipeline").to_owned(),
        p["lanes"]
            .as_array()
            .expect("lanes")
            .iter()
            .map(|l| l["id"].as_str().expect("lane").to_owned())
            .collect(),
    )
}

/// A new pipeline, once the live bus has broadcast its creation: a subscription made after
/// this returns does not hear of it (it could otherwise, see `tests::heard`).
async fn fenced_pipeline(
    app: &TestApp,
    who: &Session,
    sub: &str,
    name: &str,
) -> (String, Vec<String>) {
    let mut bus = app.hear().await;
    let made = pipeline(app, who, sub, name).await;
    tests::heard(&mut bus, "pipeline.created", &made.0).await;
    made
}

async fn create_ticket(app: &TestApp, who: &Session, lane: &str, title: &str) -> String {
    let r = app
        .gql(
            Some(&who.access),
            TICKET_CREATE,
            json!({ "l": lane, "t": title }),
        )
        .await
        .ok();
    r.data("ticketCreate.ticket.id")
        .as_str()
        .unwrap_or_else(|| panic!("ticket: {}", r.body))
        .to_owned()
}

/// The owner's event stream of the board.
async fn open_board(app: &TestApp, w: &World) -> tests::Sse {
    app.stream(
        Some(&w.owner.access),
        Some(&w.agency),
        BOARD,
        json!({ "p": w.pipeline }),
    )
    .await
}

/// A new access token for `email`.
async fn fresh_token(app: &TestApp, email: &str) -> String {
    let r = app.login(email, tests::PASSWORD).await.ok();
    r.data("sessionCreate.session.accessToken")
        .as_str()
        .expect("access token")
        .to_owned()
}

/// The next `next` payload's data for subscription `id`.
async fn next_data(ws: &mut Ws, id: &str) -> Value {
    let msg = ws.next().await.expect("a message");
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(msg["id"], id, "{msg}");
    assert!(msg["payload"].get("errors").is_none(), "{msg}");
    msg["payload"]["data"].clone()
}

#[tokio::test]
async fn the_protocol_keeps_its_close_codes() {
    let app = spawn_app_with(|c| c.ws_init_timeout_ms = 400).await;
    let w = world(&app, "acme").await;

    // A page on another site may not open a connection; the server's own origin may.
    assert_eq!(
        app.ws_connect(Some("https://evil.example")).await.err(),
        Some(403)
    );
    let own = format!("http://{}", app.addr);
    assert!(app.ws_connect(Some(&own)).await.is_ok());

    // Without the subprotocol: 4406.
    let mut ws = app.ws_connect_with(None, None).await.expect("upgrade");
    assert_eq!(ws.expect_close().await.0, 4406);

    // No connection_init within the timeout: 4408.
    let mut ws = app.ws_connect(None).await.expect("upgrade");
    assert_eq!(ws.expect_close().await.0, 4408);

    // A missing or bad credential: no ack, 4403.
    for payload in [
        json!({}),
        json!({ "authorization": "Bearer nonsense" }),
        json!({ "authorization": "Bearer ck_000000000000_nope" }),
    ] {
        let mut ws = app.ws_connect(None).await.expect("upgrade");
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let (code, _) = ws.expect_close().await;
        assert_eq!(code, 4403, "{payload}");
    }

    // Subscribe before the acknowledgement: 4401.
    let mut ws = app.ws_connect(None).await.expect("upgrade");
    ws.subscribe_only("1", BOARD, json!({ "p": w.pipeline }))
        .await;
    assert_eq!(ws.expect_close().await.0, 4401);

    // Ping works before and after init; a second init is 4429.
    let mut ws = app.ws_connect(None).await.expect("upgrade");
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.next().await.expect("pong")["type"], "pong");
    ws.send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", w.owner.access) } }))
        .await;
    assert_eq!(ws.next().await.expect("ack")["type"], "connection_ack");
    ws.send(json!({ "type": "connection_init", "payload": {} }))
        .await;
    assert_eq!(ws.expect_close().await.0, 4429);

    // A duplicate subscription id: 4409.
    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.subscribe("a", BOARD, json!({ "p": w.pipeline })).await;
    ws.subscribe_only("a", BOARD, json!({ "p": w.pipeline }))
        .await;
    assert_eq!(ws.expect_close().await.0, 4409);

    // Not JSON, or not a message of the protocol: 4400.
    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.send_text("{ not json").await;
    assert_eq!(ws.expect_close().await.0, 4400);
    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.send(json!({ "type": "start", "id": "1" })).await;
    assert_eq!(ws.expect_close().await.0, 4400);

    // Queries, mutations and invalid documents get the protocol's `error` message, and the
    // connection stays open.
    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.subscribe("q", "{ viewer { id } }", json!({})).await;
    let msg = ws.next().await.expect("error");
    assert_eq!(
        (msg["type"].as_str(), msg["id"].as_str()),
        (Some("error"), Some("q"))
    );
    assert_eq!(msg["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    ws.subscribe("v", "subscription { noSuchField }", json!({}))
        .await;
    let msg = ws.next().await.expect("error");
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(msg["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    // One root field per subscription.
    ws.subscribe(
        "two",
        "subscription { a: notificationAdded { kind } b: notificationAdded { kind } }",
        json!({}),
    )
    .await;
    let msg = ws.next().await.expect("error");
    assert_eq!(msg["type"], "error", "{msg}");
    assert!(
        msg["payload"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("one root field")
    );
    // The same id may be used again once its subscription is over.
    ws.subscribe("q", BOARD, json!({ "p": w.pipeline })).await;
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.next().await.expect("pong")["type"], "pong");
    // Completing a subscription stops it: nothing arrives for it afterwards.
    ws.send(json!({ "type": "complete", "id": "q" })).await;
    create_ticket(&app, &w.owner, &w.lanes[0], "After complete").await;
    assert!(ws.silent_for(QUIET).await);

    // Over HTTP, a subscription is a clear request error.
    let r = app
        .gql(Some(&w.owner.access), BOARD, json!({ "p": w.pipeline }))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert!(
        r.error_message()
            .unwrap_or_default()
            .contains("/graphql/ws")
    );
}

#[tokio::test]
async fn the_subscription_limit_answers_with_an_error() {
    let app = spawn_app_with(|c| c.ws_max_subscriptions = 2).await;
    let w = world(&app, "acme").await;
    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.subscribe("1", BOARD, json!({ "p": w.pipeline })).await;
    ws.subscribe("2", BOARD, json!({ "p": w.pipeline })).await;
    ws.subscribe("3", BOARD, json!({ "p": w.pipeline })).await;
    let msg = ws.next().await.expect("error");
    assert_eq!(
        (msg["type"].as_str(), msg["id"].as_str()),
        (Some("error"), Some("3"))
    );
    // The two others still work.
    create_ticket(&app, &w.owner, &w.lanes[0], "Crowns").await;
    let mut ids = vec![
        ws.next().await.expect("next")["id"].clone(),
        ws.next().await.expect("next")["id"].clone(),
    ];
    ids.sort_by_key(|v| v.to_string());
    assert_eq!(ids, [json!("1"), json!("2")]);
}

#[tokio::test]
async fn pipeline_changed_follows_one_board_and_no_other_tenant_hears_it() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let other = world(&app, "rival").await;

    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;
    // The rival tenant listens to everything it may: its own board, its agency's feed and its
    // notifications.
    let mut rival = app.live(&other.owner.access, Some(&other.agency)).await;
    rival
        .subscribe("board", BOARD, json!({ "p": other.pipeline }))
        .await;
    rival
        .subscribe("feed", ACTIVITY, json!({ "s": other.agency }))
        .await;
    rival.subscribe("mine", NOTIFICATIONS, json!({})).await;
    // Asking for the victim's board, sub-account or agency reads as if they did not exist.
    rival
        .subscribe("steal", BOARD, json!({ "p": w.pipeline }))
        .await;
    let msg = rival.next().await.expect("next");
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
    assert_eq!(rival.next().await.expect("complete")["type"], "complete");
    for (query, vars) in [
        (CONTACTS, json!({ "s": w.dental })),
        (ACTIVITY, json!({ "s": w.agency })),
        (ACTIVITY, json!({ "s": w.dental })),
    ] {
        rival.subscribe("steal", query, vars).await;
        let msg = rival.next().await.expect("next");
        assert_eq!(
            msg["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{msg}"
        );
        assert_eq!(rival.next().await.expect("complete")["type"], "complete");
    }

    // A ticket is created, moved and closed on the board: three events, in order.
    let (_, other_lanes) = pipeline(&app, &w.owner, &w.dental, "Referrals").await;
    let t = create_ticket(&app, &w.owner, &w.lanes[0], "Implants").await;
    create_ticket(&app, &w.owner, &other_lanes[0], "Elsewhere").await;
    app.gql(
        Some(&w.owner.access),
        MOVE,
        json!({ "t": t, "l": w.lanes[1] }),
    )
    .await
    .ok();
    app.gql(
        Some(&w.owner.access),
        "mutation($l: ID!) { laneRename(id: $l, name: \"Fresh\") { lane { id } } }",
        json!({ "l": w.lanes[0] }),
    )
    .await
    .ok();

    let created = next_data(&mut ws, "board").await;
    let e = &created["pipelineChanged"];
    assert_eq!(e["type"], "ticket.created");
    assert_eq!(e["subjectType"], "Ticket");
    assert_eq!(e["subjectId"], t.as_str());
    assert_eq!(e["scopeId"], w.dental.as_str());
    assert_eq!(e["actorKind"], "user");
    let payload: Value =
        serde_json::from_str(e["payload"].as_str().expect("payload")).expect("json");
    assert_eq!(payload["pipelineId"], w.pipeline.as_str());
    let moved = next_data(&mut ws, "board").await;
    assert_eq!(moved["pipelineChanged"]["type"], "ticket.moved");
    assert_eq!(moved["pipelineChanged"]["subjectId"], t.as_str());
    let renamed = next_data(&mut ws, "board").await;
    assert_eq!(renamed["pipelineChanged"]["type"], "lane.updated");
    // The other pipeline's ticket never came, and nothing else is coming.
    assert!(ws.silent_for(QUIET).await);

    // The rival heard nothing of all this.
    assert!(rival.silent_for(QUIET).await);
}

#[tokio::test]
async fn contact_changed_and_activity_added_deliver_what_each_may_read() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    // A user of Gardens alone, and a Dental user without contacts.read.
    let gardener = app.user("gardener@acme.test").await;
    app.grant_in(&gardener.user_id, &w.gardens, Role::SubaccountUser)
        .await;

    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.subscribe("contacts", CONTACTS, json!({ "s": w.dental }))
        .await;
    ws.subscribe(
        "agency",
        ACTIVITY,
        json!({ "s": w.agency, "f": { "types": ["contact.created"] } }),
    )
    .await;
    let mut g = app.live(&gardener.access, Some(&w.agency)).await;
    g.subscribe("feed", ACTIVITY, json!({ "s": w.gardens }))
        .await;
    // The gardener may not follow the agency's feed or Dental's contacts.
    g.subscribe("agency", ACTIVITY, json!({ "s": w.agency }))
        .await;
    let msg = g.next().await.expect("next");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{msg}"
    );
    assert_eq!(g.next().await.expect("complete")["type"], "complete");
    g.subscribe("dental", CONTACTS, json!({ "s": w.dental }))
        .await;
    let msg = g.next().await.expect("next");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{msg}"
    );
    assert_eq!(g.next().await.expect("complete")["type"], "complete");

    let r = app
        .gql(
            Some(&w.owner.access),
            CONTACT_CREATE,
            json!({ "s": w.dental, "n": "Ada" }),
        )
        .await
        .ok();
    let ada = r
        .data("contactCreate.contact.id")
        .as_str()
        .expect("id")
        .to_owned();
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { contactUpdate(id: $id, input: { lastName: \"Lovelace\" }) { contact { id } } }",
        json!({ "id": ada }),
    )
    .await
    .ok();
    app.gql(
        Some(&w.owner.access),
        CONTACT_CREATE,
        json!({ "s": w.gardens, "n": "Grace" }),
    )
    .await
    .ok();

    // Messages of the two subscriptions interleave: sort them by id.
    let mut got: Vec<(String, Value)> = Vec::new();
    for _ in 0..4 {
        let msg = ws.next().await.expect("next");
        assert_eq!(msg["type"], "next", "{msg}");
        got.push((
            msg["id"].as_str().expect("id").to_owned(),
            msg["payload"]["data"].clone(),
        ));
    }
    let contacts: Vec<&Value> = got
        .iter()
        .filter(|(id, _)| id == "contacts")
        .map(|(_, d)| &d["contactChanged"])
        .collect();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0]["type"], "contact.created");
    assert_eq!(contacts[0]["subjectId"], ada.as_str());
    assert_eq!(contacts[1]["type"], "contact.updated");
    let feed: Vec<&Value> = got
        .iter()
        .filter(|(id, _)| id == "agency")
        .map(|(_, d)| &d["activityAdded"])
        .collect();
    // The agency feed has both sub-accounts' creations, and only creations (the filter).
    assert_eq!(
        feed.iter()
            .map(|e| e["scopeId"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        [w.dental.as_str(), w.gardens.as_str()]
    );
    assert!(feed.iter().all(|e| e["type"] == "contact.created"));
    assert!(ws.silent_for(QUIET).await);

    // The gardener heard Grace's creation and nothing of Dental.
    let msg = g.next().await.expect("next");
    assert_eq!(msg["id"], "feed");
    assert_eq!(
        msg["payload"]["data"]["activityAdded"]["type"],
        "contact.created"
    );
    assert_eq!(
        msg["payload"]["data"]["activityAdded"]["scopeId"],
        w.gardens.as_str()
    );
    assert!(g.silent_for(QUIET).await);
}

#[tokio::test]
async fn notification_added_reaches_the_recipient_alone() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let staff = app.user("staff@acme.test").await;
    app.grant_in(&staff.user_id, &w.dental, Role::SubaccountUser)
        .await;
    let mut s = app.live(&staff.access, Some(&w.agency)).await;
    s.subscribe("n", NOTIFICATIONS, json!({})).await;
    let mut o = app.live(&w.owner.access, Some(&w.agency)).await;
    o.subscribe("n", NOTIFICATIONS, json!({})).await;

    let r = app
        .gql(
            Some(&w.owner.access),
            TICKET_CREATE,
            json!({ "l": w.lanes[0], "t": "Implants", "a": staff.user_id }),
        )
        .await
        .ok();
    let ticket = r.data("ticketCreate.ticket.id").clone();
    let n = next_data(&mut s, "n").await;
    assert_eq!(n["notificationAdded"]["kind"], "ticket.assigned");
    assert_eq!(n["notificationAdded"]["subjectId"], ticket);
    // The owner did it: nobody tells them.
    assert!(o.silent_for(QUIET).await);
    // An API key has no notifications to follow.
    let key = app
        .gql(Some(&w.owner.access), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [PIPELINES_READ] }) { secret } }", json!({ "s": w.dental }))
        .await
        .ok();
    let key = key
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    let mut k = app.live(&key, None).await;
    k.subscribe("n", NOTIFICATIONS, json!({})).await;
    let msg = k.next().await.expect("next");
    assert!(
        msg["payload"]["errors"][0]["extensions"]["code"].is_string(),
        "{msg}"
    );
    // The key may follow the board it may read.
    k.subscribe("b", BOARD, json!({ "p": w.pipeline })).await;
    assert_eq!(k.next().await.expect("complete")["type"], "complete");
    create_ticket(&app, &w.owner, &w.lanes[0], "Seen by the key").await;
    let e = next_data(&mut k, "b").await;
    assert_eq!(e["pipelineChanged"]["type"], "ticket.created");
}

#[tokio::test]
async fn revoked_access_ends_the_subscription() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let staff = app.user("staff@acme.test").await;
    app.grant_in(&staff.user_id, &w.dental, Role::SubaccountUser)
        .await;
    let mut s = app.live(&staff.access, Some(&w.agency)).await;
    s.subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;
    create_ticket(&app, &w.owner, &w.lanes[0], "Before").await;
    assert_eq!(
        next_data(&mut s, "board").await["pipelineChanged"]["type"],
        "ticket.created"
    );

    app.remove_membership(&w.owner, &w.dental, &staff.user_id)
        .await;
    // The subscription ends with an error, then completes; later changes are not delivered.
    let msg = s.next().await.expect("next");
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{msg}"
    );
    assert_eq!(s.next().await.expect("complete")["type"], "complete");
    create_ticket(&app, &w.owner, &w.lanes[0], "After").await;
    assert!(s.silent_for(QUIET).await);
}

#[tokio::test]
async fn an_expired_token_closes_the_connection() {
    let app = spawn_app_with(|c| c.access_token_ttl_secs = 2).await;
    let w = world(&app, "acme").await;
    // A token signed now: setting the world up may outlast the first one.
    let token = fresh_token(&app, "owner@acme.test").await;
    let mut ws = app.live(&token, Some(&w.agency)).await;
    ws.subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;
    match ws.event_within(Duration::from_secs(6)).await {
        WsEvent::Closed(code, reason) => {
            assert_eq!(code, 4403);
            assert!(reason.contains("expired"), "{reason}");
        }
        other => panic!("expected a close, got {other:?}"),
    }
}

#[tokio::test]
async fn a_change_on_one_replica_reaches_a_subscriber_on_another() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let replica = app.replica().await;
    let mut ws = replica.live(&w.owner.access, Some(&w.agency)).await;
    ws.subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;
    // Written through the first server, heard through the second.
    let mut bus = app.hear().await;
    let t = create_ticket(&app, &w.owner, &w.lanes[0], "Across").await;
    let e = next_data(&mut ws, "board").await;
    assert_eq!(e["pipelineChanged"]["subjectId"], t.as_str());
    // The first server has broadcast it too before `ws1` subscribes there.
    tests::heard(&mut bus, "ticket.created", &t).await;
    // And the other way round.
    let mut ws1 = app.live(&w.owner.access, Some(&w.agency)).await;
    ws1.subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;
    let t2 = create_ticket(&replica, &w.owner, &w.lanes[0], "Back").await;
    assert_eq!(
        next_data(&mut ws1, "board").await["pipelineChanged"]["subjectId"],
        t2.as_str()
    );
    assert_eq!(
        next_data(&mut ws, "board").await["pipelineChanged"]["subjectId"],
        t2.as_str()
    );
}

#[tokio::test]
async fn a_replica_that_lost_its_listener_catches_up() {
    let app = spawn_app().await;
    if app.runtime_connection().await.is_none() {
        return; // PostgreSQL only: SQLite has no listener to lose.
    }
    let w = world(&app, "acme").await;
    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;
    // Cut the server's listening connection, then change the board at once: the announcement
    // goes nowhere, and the follower must find the change in the table when it listens again.
    use sea_orm::ConnectionTrait;
    let killed = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                .to_owned(),
        ))
        .await
        .expect("terminate")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(killed, 1);
    let t = create_ticket(&app, &w.owner, &w.lanes[0], "While deaf").await;
    let e = next_data(&mut ws, "board").await;
    assert_eq!(e["pipelineChanged"]["subjectId"], t.as_str());
    // Delivered once.
    assert!(ws.silent_for(QUIET).await);
}
