//! The counter rows behind `SubAccount.contactCount` and `openTicketCount`: kept by triggers
//! through every way a contact or ticket comes, goes or changes state, and always equal to a
//! count of the rows.

use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const SUBS: &str = "query($a: ID!) { node(id: $a) { ... on Agency { subAccounts(first: 20) { nodes { id contactCount openTicketCount } } } } }";

async fn run(app: &TestApp, who: &Session, query: &str, vars: Value) -> Value {
    let r = app.gql(Some(&who.access), query, vars).await.ok();
    assert!(r.body["errors"].is_null(), "{}", r.body);
    r.body["data"].clone()
}

async fn contact(app: &TestApp, who: &Session, sub: &str, name: &str) -> String {
    let d = run(
        app,
        who,
        "mutation($s: ID!, $n: String!) { contactCreate(input: { subAccountId: $s, firstName: $n, lastName: \"Counted\" }) { contact { id } } }",
        json!({ "s": sub, "n": name }),
    )
    .await;
    d["contactCreate"]["contact"]["id"]
        .as_str()
        .expect("contact")
        .to_owned()
}

async fn ticket(app: &TestApp, who: &Session, lane: &str, title: &str) -> String {
    let d = run(
        app,
        who,
        "mutation($l: ID!, $t: String!) { ticketCreate(input: { laneId: $l, title: $t }) { ticket { id } } }",
        json!({ "l": lane, "t": title }),
    )
    .await;
    d["ticketCreate"]["ticket"]["id"]
        .as_str()
        .expect("ticket")
        .to_owned()
}

/// (contactCount, openTicketCount) of each sub-account, by id, through the API.
async fn counts(app: &TestApp, who: &Session, agency: &str) -> Vec<(String, i64, i64)> {
    let d = run(app, who, SUBS, json!({ "a": agency })).await;
    d["node"]["subAccounts"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().expect("id").to_owned(),
                n["contactCount"].as_i64().expect("contacts"),
                n["openTicketCount"].as_i64().expect("tickets"),
            )
        })
        .collect()
}

/// Counter rows that disagree with the rows they count, and sub-accounts without one.
async fn drift(app: &TestApp) -> (i64, i64) {
    let wrong = app
        .count(
            "sub_account_counters k WHERE k.contacts <> (SELECT COUNT(*) FROM contacts c
               WHERE c.agency_id = k.agency_id AND c.sub_account_id = k.sub_account_id AND c.deleted_at IS NULL)
             OR k.open_tickets <> (SELECT COUNT(*) FROM tickets t
               WHERE t.agency_id = k.agency_id AND t.sub_account_id = k.sub_account_id AND t.status = 'open')",
        )
        .await;
    let missing = app
        .count(
            "sub_accounts s WHERE NOT EXISTS (SELECT 1 FROM sub_account_counters k
               WHERE k.agency_id = s.agency_id AND k.sub_account_id = s.id)",
        )
        .await;
    (wrong, missing)
}

#[tokio::test]
async fn counters_follow_every_change_and_equal_the_rows() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@acme.test").await;
    let owner = app.user("owner@acme.test").await;
    let agency = app.agency(&admin, "acme", "owner@acme.test").await;
    let dental = app.sub_account(&owner, &agency, "Dental").await;
    let gardens = app.sub_account(&owner, &agency, "Gardens").await;
    // A fresh sub-account has its row, at zero.
    assert_eq!(drift(&app).await, (0, 0));
    let of = |all: &[(String, i64, i64)], id: &str| {
        all.iter()
            .find(|(s, _, _)| s == id)
            .map(|(_, c, t)| (*c, *t))
            .expect("listed")
    };
    assert_eq!(of(&counts(&app, &owner, &agency).await, &dental), (0, 0));

    // Contacts: created, deleted, restored, deleted again, merged (the merged one is gone
    // for good).
    let ann = contact(&app, &owner, &dental, "Ann").await;
    let bob = contact(&app, &owner, &dental, "Bob").await;
    let cy = contact(&app, &owner, &dental, "Cy").await;
    contact(&app, &owner, &gardens, "Dee").await;
    let del = "mutation($id: ID!) { contactDelete(id: $id) { contact { id } } }";
    let restore = "mutation($id: ID!) { contactRestore(id: $id) { contact { id } } }";
    run(&app, &owner, del, json!({ "id": cy })).await;
    run(&app, &owner, restore, json!({ "id": cy })).await;
    run(&app, &owner, del, json!({ "id": cy })).await;
    run(
        &app,
        &owner,
        "mutation($s: ID!, $m: ID!) { contactMerge(input: { survivorId: $s, mergedId: $m }) { contact { id } } }",
        json!({ "s": ann, "m": bob }),
    )
    .await;
    // Deleting an already deleted contact, however it is answered, counts nothing twice.
    let _ = app.gql(Some(&owner.access), del, json!({ "id": cy })).await;

    // Tickets: created, closed, reopened, closed lost, deleted open and deleted closed.
    let d = run(
        &app,
        &owner,
        "mutation($s: ID!) { pipelineCreate(input: { subAccountId: $s, name: \"Sales\" }) { pipeline { lanes { id } } } }",
        json!({ "s": dental }),
    )
    .await;
    let lane = d["pipelineCreate"]["pipeline"]["lanes"][0]["id"]
        .as_str()
        .expect("lane")
        .to_owned();
    let t1 = ticket(&app, &owner, &lane, "One").await;
    let t2 = ticket(&app, &owner, &lane, "Two").await;
    let t3 = ticket(&app, &owner, &lane, "Three").await;
    let close = "mutation($t: ID!, $o: TicketOutcome!) { ticketClose(input: { ticketId: $t, outcome: $o }) { ticket { id } } }";
    run(&app, &owner, close, json!({ "t": t1, "o": "WON" })).await;
    assert_eq!(of(&counts(&app, &owner, &agency).await, &dental), (1, 2));
    run(
        &app,
        &owner,
        "mutation($t: ID!) { ticketReopen(id: $t) { ticket { id } } }",
        json!({ "t": t1 }),
    )
    .await;
    run(&app, &owner, close, json!({ "t": t2, "o": "LOST" })).await;
    let delete = "mutation($t: ID!) { ticketDelete(id: $t) { ticket { id } } }";
    run(&app, &owner, delete, json!({ "t": t3 })).await;
    run(&app, &owner, delete, json!({ "t": t2 })).await;

    // Dental: Ann (Bob merged into her, Cy deleted), one open ticket; Gardens: Dee.
    let all = counts(&app, &owner, &agency).await;
    assert_eq!(of(&all, &dental), (1, 1));
    assert_eq!(of(&all, &gardens), (1, 0));
    assert_eq!(drift(&app).await, (0, 0));
}

/// A page's three counts come in one statement (counters and members together), and each
/// count lands on its own sub-account.
#[tokio::test]
async fn a_pages_counts_are_one_statement() {
    let app = spawn_app().await;
    let w = app.world().await;
    contact(&app, &w.owner, &w.dental, "Ann").await;
    app.member(
        "dana@acme.test",
        &w.dental,
        kernel::auth::Role::SubaccountUser,
    )
    .await;
    let q = |fields: &str| {
        format!(
            "query($a: ID!) {{ node(id: $a) {{ ... on Agency {{ subAccounts(first: 20) {{ nodes {{ id {fields} }} }} }} }} }}"
        )
    };
    let vars = json!({ "a": w.agency });
    // Warm: the first request also reads the credential's memberships.
    run(&app, &w.owner, &q("id"), vars.clone()).await;
    let none = app
        .fewest_statements_for(&w.owner.access, &q("id"), vars.clone())
        .await;
    let all = q("contactCount openTicketCount memberCount");
    let three = app
        .fewest_statements_for(&w.owner.access, &all, vars.clone())
        .await;
    assert_eq!(three, none + 1, "the three counts are one statement");
    let data = run(&app, &w.owner, &all, vars).await;
    let nodes = data["node"]["subAccounts"]["nodes"]
        .as_array()
        .expect("nodes");
    let dental = nodes
        .iter()
        .find(|n| n["id"] == w.dental.as_str())
        .expect("dental");
    assert_eq!(
        (&dental["contactCount"], &dental["memberCount"]),
        (&json!(1), &json!(1))
    );
    assert!(
        nodes
            .iter()
            .filter(|n| n["id"] != w.dental.as_str())
            .all(|n| n["contactCount"] == 0 && n["memberCount"] == 0),
        "{nodes:?}"
    );
}
