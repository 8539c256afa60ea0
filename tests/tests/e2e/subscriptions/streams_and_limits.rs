//! The live API's edges: the event stream (GraphQL over SSE), how live connections end, the
//! per-credential connection limit, and the broadcast lag metric.

use super::*;

#[tokio::test]
async fn the_event_stream_carries_a_subscription_to_its_reader_alone() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let other = world(&app, "rival").await;

    // Refusals come before the stream, as JSON with a code.
    let anonymous = app
        .stream(None, None, BOARD, json!({ "p": w.pipeline }))
        .await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.json().await["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let forged = app
        .stream(Some("not-a-token"), None, BOARD, json!({ "p": w.pipeline }))
        .await;
    assert_eq!(forged.status, 401);
    // An operation that cannot run is, as the protocol asks, an error in the stream.
    for query in [
        "{ viewer { id } }",
        "subscription($p: ID!) { a: pipelineChanged(pipelineId: $p) { id } b: notificationAdded { kind } }",
        "subscription { nope }",
        "subscription {",
    ] {
        let mut refused = app
            .stream(
                Some(&w.owner.access),
                Some(&w.agency),
                query,
                json!({ "p": w.pipeline }),
            )
            .await;
        assert_eq!(refused.status, 200, "{query}");
        let (name, data) = refused.next().await;
        assert_eq!(name, "next", "{query}");
        assert!(data["errors"][0]["message"].is_string(), "{query}: {data}");
        assert!(data.get("data").is_none_or(Value::is_null), "{data}");
        assert_eq!(refused.next().await.0, "complete", "{query}");
        assert_eq!(refused.event_within(WAIT_END).await, SseEvent::Ended);
    }
    let wrong_accept = app
        .http
        .post(format!("{}/graphql/stream", app.url))
        .bearer_auth(&w.owner.access)
        .json(&json!({ "query": BOARD, "variables": { "p": w.pipeline } }))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_accept.status(), 406);

    // Another tenant's pipeline reads as if it did not exist: one error, then the end.
    let mut steal = app
        .stream(
            Some(&other.owner.access),
            Some(&other.agency),
            BOARD,
            json!({ "p": w.pipeline }),
        )
        .await;
    assert_eq!(steal.status, 200);
    let (name, data) = steal.next().await;
    assert_eq!(name, "next");
    assert_eq!(
        data["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{data}"
    );
    assert_eq!(steal.next().await.0, "complete");
    assert_eq!(steal.event_within(WAIT_END).await, SseEvent::Ended);

    // The owner's board and the rival's own board, both listening once the head arrives.
    let mut board = app
        .stream(
            Some(&w.owner.access),
            Some(&w.agency),
            BOARD,
            json!({ "p": w.pipeline }),
        )
        .await;
    assert_eq!(board.status, 200);
    assert!(
        board.content_type.starts_with("text/event-stream"),
        "{}",
        board.content_type
    );
    let mut rival = app
        .stream(
            Some(&other.owner.access),
            Some(&other.agency),
            BOARD,
            json!({ "p": other.pipeline }),
        )
        .await;
    assert_eq!(rival.status, 200);
    assert!(rival.content_type.starts_with("text/event-stream"));
    let t = create_ticket(&app, &w.owner, &w.lanes[0], "Implants").await;
    app.gql(
        Some(&w.owner.access),
        MOVE,
        json!({ "t": t, "l": w.lanes[1] }),
    )
    .await
    .ok();
    // The rival's own board still works: its change reaches it (and only it).
    create_ticket(&app, &other.owner, &other.lanes[0], "Theirs").await;
    let (_, theirs) = rival.next().await;
    assert_eq!(theirs["data"]["pipelineChanged"]["type"], "ticket.created");
    let (name, created) = board.next().await;
    assert_eq!(name, "next");
    assert_eq!(
        created["data"]["pipelineChanged"]["type"], "ticket.created",
        "{created}"
    );
    assert_eq!(created["data"]["pipelineChanged"]["subjectId"], t.as_str());
    let (_, moved) = board.next().await;
    assert_eq!(moved["data"]["pipelineChanged"]["type"], "ticket.moved");
    assert_eq!(board.event_within(QUIET).await, SseEvent::Silence);
    assert_eq!(rival.event_within(QUIET).await, SseEvent::Silence);
}

#[tokio::test]
async fn event_streams_free_their_connection_slot() {
    let app = spawn_app_with(|c| c.ws_max_connections = 1).await;
    let w = world(&app, "acme").await;
    let first = open_board(&app, &w).await;
    assert_eq!(first.status, 200);
    // The only slot is taken.
    let second = open_board(&app, &w).await;
    assert_eq!(second.status, 503);
    // A client that goes away gives it back.
    drop(first);
    let mut freed = false;
    for _ in 0..50 {
        let s = open_board(&app, &w).await;
        if s.status == 200 {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed, "the slot came back after the client left");
}

#[tokio::test]
async fn an_event_stream_ends_when_its_token_expires() {
    let app = spawn_app_with(|c| c.access_token_ttl_secs = 2).await;
    let w = world(&app, "acme").await;
    // A token signed now: setting the world up may outlast the first one.
    let token = fresh_token(&app, "owner@acme.test").await;
    let mut board = app
        .stream(
            Some(&token),
            Some(&w.agency),
            BOARD,
            json!({ "p": w.pipeline }),
        )
        .await;
    assert_eq!(board.status, 200);
    let SseEvent::Event(name, data) = board.event_within(Duration::from_secs(6)).await else {
        panic!("expected an event");
    };
    assert_eq!(name, "next");
    assert_eq!(
        data["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{data}"
    );
    assert_eq!(board.next().await.0, "complete");
    assert_eq!(board.event_within(WAIT_END).await, SseEvent::Ended);
}

#[tokio::test]
async fn ending_a_session_ends_its_live_connections() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    // Three sessions of the owner: the first signs out, the third changes the password (which
    // ends every other session); API keys are not sessions and listen on.
    let second = fresh_token(&app, "owner@acme.test").await;
    let third = fresh_token(&app, "owner@acme.test").await;
    let mut first_ws = app.live(&w.owner.access, Some(&w.agency)).await;
    first_ws
        .subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;
    let mut first_sse = open_board(&app, &w).await;
    assert_eq!(first_sse.status, 200);
    let mut second_ws = app.live(&second, Some(&w.agency)).await;
    second_ws
        .subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;
    let mut third_ws = app.live(&third, Some(&w.agency)).await;
    third_ws
        .subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;

    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation { sessionRevoke { revokedCount } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(r.data("sessionRevoke.revokedCount"), 1);
    // The signed-out session's subscriptions end, on both transports.
    let msg = first_ws.next().await.expect("next");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{msg}"
    );
    assert_eq!(first_ws.next().await.expect("complete")["type"], "complete");
    let (_, data) = first_sse.next().await;
    assert_eq!(
        data["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{data}"
    );
    assert_eq!(first_sse.next().await.0, "complete");
    // Its token, though unexpired, no longer opens live connections.
    first_ws
        .subscribe_only("again", BOARD, json!({ "p": w.pipeline }))
        .await;
    let msg = first_ws.next().await.expect("next");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{msg}"
    );
    let refused = open_board(&app, &w).await;
    assert_eq!(refused.status, 401);

    let as_third = Session {
        user_id: w.owner.user_id.clone(),
        access: third.clone(),
        refresh: String::new(),
    };
    // The other sessions were re-checked and still hear the board.
    let t = create_ticket(&app, &as_third, &w.lanes[0], "Still here").await;
    for ws in [&mut second_ws, &mut third_ws] {
        let e = next_data(ws, "board").await;
        assert_eq!(e["pipelineChanged"]["subjectId"], t.as_str());
    }

    // A password change ends every other session: the second one's subscription ends.
    let r = app
        .gql(
            Some(&third),
            "mutation($i: PasswordChangeInput!) { passwordChange(input: $i) { user { id } userErrors { code } } }",
            json!({ "i": { "currentPassword": tests::PASSWORD, "newPassword": "another good password" } }),
        )
        .await
        .ok();
    assert_eq!(r.data("passwordChange.userErrors"), &json!([]));
    let msg = second_ws.next().await.expect("next");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{msg}"
    );
    // The session that changed it listens on.
    let t = create_ticket(&app, &as_third, &w.lanes[0], "Later").await;
    let e = next_data(&mut third_ws, "board").await;
    assert_eq!(e["pipelineChanged"]["subjectId"], t.as_str());
}

#[tokio::test]
async fn a_credential_holds_a_limited_number_of_live_connections() {
    let app = spawn_app_with(|c| c.ws_max_connections_per_user = 1).await;
    let w = world(&app, "acme").await;
    let other = world(&app, "rival").await;
    let first = app.live(&w.owner.access, Some(&w.agency)).await;
    // The same user again, from another session: over the limit, on both transports.
    let second_token = fresh_token(&app, "owner@acme.test").await;
    let mut second = app.ws_connect(None).await.expect("upgrade");
    second
        .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {second_token}") } }))
        .await;
    let (code, reason) = second.expect_close().await;
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.contains("live connections"), "{reason}");
    let stream = open_board(&app, &w).await;
    assert_eq!(stream.status, 429);
    assert_eq!(
        stream.json().await["errors"][0]["extensions"]["code"],
        "RATE_LIMITED"
    );
    // Another user is not affected.
    let mut theirs = app.live(&other.owner.access, Some(&other.agency)).await;
    theirs
        .subscribe("board", BOARD, json!({ "p": other.pipeline }))
        .await;
    // Leaving gives the slot back.
    drop(first);
    let mut back = false;
    for _ in 0..50 {
        let s = open_board(&app, &w).await;
        if s.status == 200 {
            back = true;
            break;
        }
        assert_eq!(s.status, 429);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "the slot came back after the connection closed");
}

#[tokio::test]
async fn metrics_show_how_late_live_events_are_broadcast() {
    // Off by default.
    let quiet = spawn_app().await;
    let r = quiet
        .http
        .get(format!("{}/metrics", quiet.url))
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), 404);

    let app = spawn_app_with(|c| c.metrics = true).await;
    let w = world(&app, "acme").await;
    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.subscribe("board", BOARD, json!({ "p": w.pipeline }))
        .await;
    create_ticket(&app, &w.owner, &w.lanes[0], "Measured").await;
    next_data(&mut ws, "board").await;
    let text = app
        .http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    let count = text
        .lines()
        .find_map(|l| l.strip_prefix("canopy_live_lag_seconds_count "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no lag count in:\n{text}"));
    // At least the ticket's event was broadcast (the set-up's events too).
    assert!(count >= 1, "{text}");
    assert!(text.contains("canopy_live_connections 1"), "{text}");
}
