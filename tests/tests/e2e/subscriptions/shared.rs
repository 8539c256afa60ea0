//! Shared live results (`live::share`): subscriptions to the same document and variables,
//! naming the same tenant, are resolved once per event whoever subscribed, each member still
//! getting its own id, its own checks, only what its own actor may read, and its own end.

use super::{ACTIVITY, BOARD, MOVE, QUIET, World, create_ticket, fresh_token, next_data, world};
use kernel::Role;
use serde_json::{Value, json};
use tests::{Session, TestApp, Ws, spawn_app, spawn_app_with};

#[tokio::test]
async fn subscriptions_of_one_tenant_share_one_render() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let board = json!({ "p": w.pipeline });
    // Three subscriptions of the owner's token (two on one connection), one of another token
    // of the owner's, one of another user.
    let mut one = app.live(&w.owner.access, Some(&w.agency)).await;
    one.subscribe("a", BOARD, board.clone()).await;
    one.subscribe("b", BOARD, board.clone()).await;
    let mut two = app.live(&w.owner.access, Some(&w.agency)).await;
    two.subscribe("c", BOARD, board.clone()).await;
    let other = fresh_token(&app, "owner@acme.test").await;
    let mut three = app.live(&other, Some(&w.agency)).await;
    three.subscribe("d", BOARD, board.clone()).await;
    let staff = app
        .member("staff@acme.test", &w.dental, Role::SubaccountUser)
        .await;
    let mut four = app.live(&staff.access, Some(&w.agency)).await;
    four.subscribe("e", BOARD, board.clone()).await;

    let before = app.metrics.live_renders.get();
    let t = create_ticket(&app, &w.owner, &w.lanes[0], "Implants").await;
    let a = next_data(&mut one, "a").await;
    assert_eq!(next_data(&mut one, "b").await, a);
    assert_eq!(next_data(&mut two, "c").await, a);
    assert_eq!(next_data(&mut three, "d").await, a);
    assert_eq!(next_data(&mut four, "e").await, a);
    assert_eq!(a["pipelineChanged"]["subjectId"], t.as_str());
    // One render for all five.
    assert_eq!(app.metrics.live_renders.get() - before, 1);
    assert!(one.silent_for(QUIET).await);
}

/// The owner ("o") and an agency user given Gardens alone ("g", whom the agency's feed shows
/// Gardens, not Dental) follow the agency's contact creations; returns their connections and
/// the agency user.
async fn owner_and_gardener_on_the_agency_feed(app: &TestApp, w: &World) -> (Ws, Ws, Session) {
    let gardener = app
        .member("gardener@acme.test", &w.agency, Role::AgencyUser)
        .await;
    app.grant_in(&gardener.user_id, &w.gardens, Role::SubaccountUser)
        .await;
    let feed = json!({ "s": w.agency, "f": { "types": ["contact.created"] } });
    let mut o = app.live(&w.owner.access, Some(&w.agency)).await;
    o.subscribe("o", ACTIVITY, feed.clone()).await;
    let mut g = app.live(&gardener.access, Some(&w.agency)).await;
    g.subscribe("g", ACTIVITY, feed).await;
    (o, g, gardener)
}

#[tokio::test]
async fn each_member_receives_only_what_its_own_actor_may_read() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let (mut o, mut g, _) = owner_and_gardener_on_the_agency_feed(&app, &w).await;

    let before = app.metrics.live_renders.get();
    for sub in [&w.dental, &w.gardens] {
        app.create_contact_selecting(&w.owner, sub, json!({ "firstName": "Ada" }), "id")
            .await;
    }
    let scope = |d: Value| d["activityAdded"]["scopeId"].as_str().map(str::to_owned);
    assert_eq!(scope(next_data(&mut o, "o").await), Some(w.dental.clone()));
    assert_eq!(scope(next_data(&mut o, "o").await), Some(w.gardens.clone()));
    // The gardener's first (and only) delivery is Gardens'.
    assert_eq!(scope(next_data(&mut g, "g").await), Some(w.gardens.clone()));
    assert!(g.silent_for(QUIET).await);
    // Both events were resolved once, in one group (apart, Gardens' would be resolved twice).
    assert_eq!(app.metrics.live_renders.get() - before, 2);

    // With the owner gone, what no one left may read is not resolved at all.
    o.send(json!({ "id": "o", "type": "complete" })).await;
    o.send(json!({ "type": "ping" })).await;
    assert_eq!(o.next().await.expect("pong")["type"], "pong");
    let before = app.metrics.live_renders.get();
    app.create_contact_selecting(&w.owner, &w.dental, json!({ "firstName": "Bo" }), "id")
        .await;
    assert!(g.silent_for(QUIET).await);
    assert_eq!(app.metrics.live_renders.get(), before);
}

/// The owner ("o") and a Dental user ("s") follow the board; returns their connections and the
/// Dental user.
async fn owner_and_staff_on_the_board(app: &TestApp, w: &World) -> (Ws, Ws, Session) {
    let staff = app
        .member("staff@acme.test", &w.dental, Role::SubaccountUser)
        .await;
    let board = json!({ "p": w.pipeline });
    let mut o = app.live(&w.owner.access, Some(&w.agency)).await;
    o.subscribe("o", BOARD, board.clone()).await;
    let mut s = app.live(&staff.access, Some(&w.agency)).await;
    s.subscribe("s", BOARD, board).await;
    (o, s, staff)
}

#[tokio::test]
async fn what_comes_while_access_is_checked_again_is_delivered_after_it_in_order() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let (mut o, mut s, _) = owner_and_staff_on_the_board(&app, &w).await;
    // A new API key is an access change in the tenant: both slots check again, and a ticket
    // committed with it (the two sent at once) waits for their checks.
    let mut tickets = Vec::new();
    for round in 0..5 {
        let key = app.gql(
            Some(&w.owner.access),
            "mutation($s: ID!, $n: String!) { apiKeyCreate(input: { scopeId: $s, name: $n, permissions: [PIPELINES_READ] }) { secret } }",
            json!({ "s": w.dental, "n": format!("k{round}") }),
        );
        let (key, t) = tokio::join!(key, create_ticket(&app, &w.owner, &w.lanes[0], "T"));
        assert!(key.ok().data("apiKeyCreate.secret").is_string());
        tickets.push(t);
    }
    for (ws, id) in [(&mut o, "o"), (&mut s, "s")] {
        for t in &tickets {
            let got = next_data(ws, id).await;
            assert_eq!(got["pipelineChanged"]["subjectId"], t.as_str(), "{id}");
        }
    }
    assert!(s.silent_for(QUIET).await);
}

#[tokio::test]
async fn a_member_whose_access_narrows_stops_receiving_what_it_no_longer_may_read() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let (mut o, mut g, gardener) = owner_and_gardener_on_the_agency_feed(&app, &w).await;
    // The gardener loses Gardens but keeps the agency: the feed stays theirs, Gardens does not.
    app.remove_membership(&w.owner, &w.gardens, &gardener.user_id)
        .await;
    app.create_contact_selecting(&w.owner, &w.gardens, json!({ "firstName": "Ada" }), "id")
        .await;
    assert_eq!(
        next_data(&mut o, "o").await["activityAdded"]["scopeId"],
        w.gardens.as_str()
    );
    assert!(g.silent_for(QUIET).await);
}

/// Staff and the owner follow the board; staff's membership is removed. Returns the message
/// that ends staff's subscription, after checking the owner still hears the board and staff
/// hears nothing more.
async fn staff_removed_from_the_board(app: &TestApp) -> Value {
    let w = world(app, "acme").await;
    let (mut o, mut s, staff) = owner_and_staff_on_the_board(app, &w).await;
    app.remove_membership(&w.owner, &w.dental, &staff.user_id)
        .await;
    let ended = s.next().await.expect("next");
    assert_eq!(s.next().await.expect("complete")["type"], "complete");
    let t = create_ticket(app, &w.owner, &w.lanes[0], "After").await;
    assert_eq!(
        next_data(&mut o, "o").await["pipelineChanged"]["subjectId"],
        t.as_str()
    );
    assert!(s.silent_for(QUIET).await);
    ended
}

#[tokio::test]
async fn a_member_whose_access_is_revoked_leaves_with_the_error_it_would_get_alone() {
    let shared = staff_removed_from_the_board(&spawn_app().await).await;
    assert_eq!(shared["type"], "next", "{shared}");
    assert_eq!(
        shared["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{shared}"
    );
    let alone =
        staff_removed_from_the_board(&spawn_app_with(|c| c.live_shared = false).await).await;
    assert_eq!(shared, alone);
}

#[tokio::test]
async fn resolution_reads_only_the_item() {
    // What a shared group resolves once reaches members of any credential: the types it
    // resolves must read only the event or notification, never who asks. Before adding a
    // field here, make sure it does (see `live::share`).
    let app = spawn_app().await;
    for (ty, fields) in [
        (
            "LiveEvent",
            "actorKind id occurredAt payload scopeId subjectId subjectType type",
        ),
        (
            "Notification",
            "createdAt id kind readAt scopeId subjectId text",
        ),
    ] {
        let r = app
            .gql(
                None,
                "query($t: String!) { __type(name: $t) { fields { name } } }",
                json!({ "t": ty }),
            )
            .await
            .ok();
        let mut names: Vec<&str> = r
            .data("__type.fields")
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["name"].as_str().expect("name"))
            .collect();
        names.sort_unstable();
        assert_eq!(names.join(" "), fields, "{ty}");
    }
}

#[tokio::test]
async fn a_member_that_completes_leaves_the_others_listening() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let board = json!({ "p": w.pipeline });
    let mut one = app.live(&w.owner.access, Some(&w.agency)).await;
    one.subscribe("a", BOARD, board.clone()).await;
    let mut two = app.live(&w.owner.access, Some(&w.agency)).await;
    two.subscribe("b", BOARD, board.clone()).await;

    one.send(json!({ "id": "a", "type": "complete" })).await;
    let t = create_ticket(&app, &w.owner, &w.lanes[0], "Implants").await;
    assert_eq!(
        next_data(&mut two, "b").await["pipelineChanged"]["subjectId"],
        t.as_str()
    );
    assert!(one.silent_for(QUIET).await);
    // The last member gone, the group stops: the next change is resolved for no one.
    two.send(json!({ "id": "b", "type": "complete" })).await;
    two.send(json!({ "type": "ping" })).await;
    assert_eq!(two.next().await.expect("pong")["type"], "pong");
    let before = app.metrics.live_renders.get();
    create_ticket(&app, &w.owner, &w.lanes[0], "Crowns").await;
    assert!(one.silent_for(QUIET).await);
    assert_eq!(app.metrics.live_renders.get(), before);
    // A new subscription starts a new group and hears the next change.
    one.subscribe("a2", BOARD, board).await;
    app.gql(
        Some(&w.owner.access),
        MOVE,
        json!({ "t": t, "l": w.lanes[1] }),
    )
    .await
    .ok();
    assert_eq!(
        next_data(&mut one, "a2").await["pipelineChanged"]["type"],
        "ticket.moved"
    );
    assert!(two.silent_for(QUIET).await);
}

#[tokio::test]
async fn other_variables_are_another_group() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let (other, other_lanes) = super::fenced_pipeline(&app, &w.owner, &w.dental, "Referrals").await;
    let mut ws = app.live(&w.owner.access, Some(&w.agency)).await;
    ws.subscribe("sales", BOARD, json!({ "p": w.pipeline }))
        .await;
    ws.subscribe("referrals", BOARD, json!({ "p": other }))
        .await;
    let before = app.metrics.live_renders.get();
    let t = create_ticket(&app, &w.owner, &other_lanes[0], "Implants").await;
    let got = next_data(&mut ws, "referrals").await;
    assert_eq!(got["pipelineChanged"]["subjectId"], t.as_str());
    // Only the other pipeline's group heard it.
    assert!(ws.silent_for(QUIET).await);
    assert_eq!(app.metrics.live_renders.get() - before, 1);
}

#[tokio::test]
async fn a_member_joins_only_after_its_own_check() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let staff = app.user("staff@acme.test").await;
    app.grant_in(&staff.user_id, &w.dental, Role::SubaccountUser)
        .await;
    let board = json!({ "p": w.pipeline });
    let mut first = app.live(&staff.access, Some(&w.agency)).await;
    first.subscribe("a", BOARD, board.clone()).await;
    let mut second = app.live(&staff.access, Some(&w.agency)).await;
    // The membership goes behind the API's back: no event, so the running group hears
    // nothing of it (the cache is cleared as the API would have).
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use tenancy::entity::membership;
    let gone = membership::Entity::delete_many()
        .filter(membership::Column::UserId.eq(tests::uuid_of(&staff.user_id)))
        .exec(&app.db)
        .await
        .expect("delete the membership");
    assert_eq!(gone.rows_affected, 1);
    app.credentials
        .clear_after(kernel::event::EventType::MembershipRemoved);
    // A new subscription of the same token, document and variables is refused by its own check.
    second.subscribe("b", BOARD, board).await;
    let msg = second.next().await.expect("next");
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{msg}"
    );
    assert_eq!(second.next().await.expect("complete")["type"], "complete");
}

#[tokio::test]
async fn revoked_access_ends_every_member() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let staff = app
        .member("staff@acme.test", &w.dental, Role::SubaccountUser)
        .await;
    let board = json!({ "p": w.pipeline });
    let mut one = app.live(&staff.access, Some(&w.agency)).await;
    one.subscribe("a", BOARD, board.clone()).await;
    let mut two = app.live(&staff.access, Some(&w.agency)).await;
    two.subscribe("b", BOARD, board).await;
    let r = app
        .gql(
            Some(&staff.access),
            "mutation { sessionRevoke { revokedCount } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(r.data("sessionRevoke.revokedCount"), 1);
    for (ws, id) in [(&mut one, "a"), (&mut two, "b")] {
        let msg = ws.next().await.expect("next");
        assert_eq!(msg["id"], id, "{msg}");
        assert_eq!(
            msg["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{msg}"
        );
        assert_eq!(ws.next().await.expect("complete")["type"], "complete");
    }
}

#[tokio::test]
async fn without_sharing_each_subscription_runs_alone() {
    let app = spawn_app_with(|c| c.live_shared = false).await;
    let w = world(&app, "acme").await;
    let board = json!({ "p": w.pipeline });
    let mut one = app.live(&w.owner.access, Some(&w.agency)).await;
    one.subscribe("a", BOARD, board.clone()).await;
    one.subscribe("b", BOARD, board).await;
    let t = create_ticket(&app, &w.owner, &w.lanes[0], "Implants").await;
    assert_eq!(
        next_data(&mut one, "a").await["pipelineChanged"]["subjectId"],
        t.as_str()
    );
    assert_eq!(
        next_data(&mut one, "b").await["pipelineChanged"]["subjectId"],
        t.as_str()
    );
    assert_eq!(app.metrics.live_renders.get(), 0);
}
