//! Notifications: sent on assignments, read only by their recipient while they still belong
//! to the scope, marked read.

use kernel::Role;
use serde_json::json;
use tests::spawn_app;

const MINE: &str =
    "{ notifications { nodes { id kind text subjectId scopeId readAt } } notificationUnreadCount }";

#[tokio::test]
async fn assignments_notify_the_assignee_alone() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let dental = app.sub_account(&owner, &agency, "Dental").await;
    let staff = app
        .member("staff@dental.test", &dental, Role::SubaccountUser)
        .await;
    let other = app
        .member("staff2@dental.test", &dental, Role::SubaccountUser)
        .await;

    let r = app.gql(Some(&owner.access), "mutation($s: ID!) { pipelineCreate(input: { subAccountId: $s, name: \"Sales\" }) { pipeline { lanes { id } } } }", json!({ "s": dental })).await.ok();
    let lane = r.data("pipelineCreate.pipeline.lanes")[0]["id"].clone();
    let r = app.gql(Some(&owner.access), "mutation($l: ID!, $a: ID) { ticketCreate(input: { laneId: $l, title: \"Implants\", assigneeId: $a }) { ticket { id } } }", json!({ "l": lane, "a": staff.user_id })).await.ok();
    let ticket = r.data("ticketCreate.ticket.id").clone();
    // Assigning yourself tells nobody.
    app.gql(Some(&owner.access), "mutation($s: ID!, $a: ID) { taskCreate(input: { subAccountId: $s, title: \"Mine\", assigneeId: $a }) { task { id } } }", json!({ "s": dental, "a": owner.user_id })).await.ok();
    let r = app.gql(Some(&owner.access), "mutation($s: ID!, $a: ID) { taskCreate(input: { subAccountId: $s, title: \"Call back\", assigneeId: $a }) { task { id } } }", json!({ "s": dental, "a": staff.user_id })).await.ok();
    let task = r.data("taskCreate.task.id").clone();
    // An update that keeps the assignee tells nobody again.
    app.gql(Some(&owner.access), "mutation($id: ID!) { ticketUpdate(id: $id, input: { title: \"Implants x2\" }) { ticket { id } } }", json!({ "id": ticket })).await.ok();

    let r = app.gql(Some(&staff.access), MINE, json!({})).await.ok();
    let nodes = r
        .data("notifications.nodes")
        .as_array()
        .expect("nodes")
        .clone();
    let kinds: Vec<&str> = nodes.iter().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(kinds, ["task.assigned", "ticket.assigned"]);
    assert_eq!(nodes[1]["subjectId"], ticket);
    assert_eq!(nodes[0]["subjectId"], task);
    assert_eq!(nodes[0]["scopeId"], dental.as_str());
    assert_eq!(r.data("notificationUnreadCount"), 2);
    // Through one's own API key, too, one is not told what one did.
    let key = app
        .gql(Some(&owner.access), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [PIPELINES_READ, PIPELINES_WRITE] }) { secret } }", json!({ "s": dental }))
        .await
        .ok();
    let key = key
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    app.gql(Some(&key), "mutation($l: ID!, $a: ID) { ticketCreate(input: { laneId: $l, title: \"Via key\", assigneeId: $a }) { ticket { id } } }", json!({ "l": lane, "a": owner.user_id })).await.ok();
    let r = app.gql(Some(&owner.access), MINE, json!({})).await.ok();
    assert_eq!(r.data("notificationUnreadCount"), 0);
    let r = app
        .gql(
            Some(&staff.access),
            "{ notifications(first: 1) { totalCount } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(r.data("notifications.totalCount"), 2);

    // Reassigning tells the new assignee.
    app.gql(Some(&owner.access), "mutation($id: ID!, $a: ID) { ticketUpdate(id: $id, input: { assigneeId: $a }) { ticket { id } } }", json!({ "id": ticket, "a": other.user_id })).await.ok();
    let r = app.gql(Some(&other.access), MINE, json!({})).await.ok();
    assert_eq!(r.data("notificationUnreadCount"), 1);

    // Marking read: your own only.
    let mark = "mutation($ids: [ID!]!) { notificationsMarkRead(ids: $ids) { marked { count } userErrors { code } } }";
    let first = nodes[0]["id"].clone();
    let r = app
        .gql(Some(&other.access), mark, json!({ "ids": [first] }))
        .await
        .ok();
    assert_eq!(r.data("notificationsMarkRead.marked.count"), 0);
    let r = app
        .gql(Some(&staff.access), mark, json!({ "ids": [first] }))
        .await
        .ok();
    assert_eq!(r.data("notificationsMarkRead.marked.count"), 1);
    let r = app
        .gql(
            Some(&staff.access),
            "{ notifications(unreadOnly: true) { nodes { kind } } notificationUnreadCount }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        r.data("notifications.nodes"),
        &json!([{ "kind": "ticket.assigned" }])
    );
    let r = app
        .gql(
            Some(&staff.access),
            "mutation { notificationsMarkAllRead { marked { count } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(r.data("notificationsMarkAllRead.marked.count"), 1);
    let r = app
        .gql(Some(&staff.access), mark, json!({ "ids": [] }))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));

    // Removed from the sub-account, the staff member no longer sees its notifications.
    app.remove_membership(&owner, &dental, &staff.user_id).await;
    // (Memberships are read on every request: the same token now holds none there.)
    let r = app.gql(Some(&staff.access), MINE, json!({})).await.ok();
    assert_eq!(r.data("notifications.nodes"), &json!([]));
}
