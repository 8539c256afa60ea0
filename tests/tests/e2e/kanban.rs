//! Kanban: pipelines, lanes, tickets, the board query's cost, concurrent moves and stats.

mod board;
mod moves;
mod respacing;
mod taken;

use kernel::Role;
use serde_json::{Value, json};
use tests::{Gql, Session, TestApp, World, spawn_app};

const PIPELINE_CREATE: &str = "mutation($i: PipelineCreateInput!) { pipelineCreate(input: $i) { pipeline { id name currency lanes { id name } } userErrors { field code message } } }";
const TICKET_CREATE: &str = "mutation($i: TicketCreateInput!) { ticketCreate(input: $i) { ticket { id title value { amount currency } contact { firstName } assignee { email } tags { name } status lane { name } } userErrors { field code message } } }";
const MOVE: &str = "mutation($t: ID!, $l: ID!, $a: ID) { ticketMove(input: { ticketId: $t, laneId: $l, afterTicketId: $a }) { ticket { id lane { name } } userErrors { field code message } } }";
const BOARD: &str = "query($id: ID!) { node(id: $id) { ... on Pipeline { name lanes { name ticketCount ticketValue { amount } tickets(first: 100) { pageInfo { hasNextPage } nodes { title contact { firstName } assignee { email } tags { name } } } } } } }";

async fn pipeline(app: &TestApp, who: &Session, sub: &str, input: Value) -> Value {
    let mut i = input;
    i["subAccountId"] = json!(sub);
    let r = app
        .gql(Some(&who.access), PIPELINE_CREATE, json!({ "i": i }))
        .await
        .ok();
    assert_eq!(r.user_errors("pipelineCreate"), vec![], "{}", r.body);
    r.data("pipelineCreate.pipeline").clone()
}

async fn ticket(app: &TestApp, who: &Session, lane: &Value, input: Value) -> Value {
    let mut i = input;
    i["laneId"] = lane.clone();
    let r = app
        .gql(Some(&who.access), TICKET_CREATE, json!({ "i": i }))
        .await
        .ok();
    assert_eq!(r.user_errors("ticketCreate"), vec![], "{}", r.body);
    r.data("ticketCreate.ticket").clone()
}

async fn contact(app: &TestApp, who: &Session, sub: &str, name: &str) -> String {
    app.create_contact(who, sub, json!({ "firstName": name }))
        .await
}

/// A move that must succeed (`vars` as `MOVE` takes them).
async fn move_ok(app: &TestApp, who: &Session, vars: Value) {
    let r = app.gql(Some(&who.access), MOVE, vars).await.ok();
    assert_eq!(r.user_errors("ticketMove"), vec![], "{}", r.body);
}

/// The pipeline's board (`BOARD`).
async fn board(app: &TestApp, who: &Session, pipeline: &Value) -> Gql {
    app.gql(Some(&who.access), BOARD, json!({ "id": pipeline["id"] }))
        .await
        .ok()
}

fn titles(board: &Gql, lane: usize) -> Vec<String> {
    board.data("node.lanes")[lane]["tickets"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|t| t["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn pipelines_and_lanes_are_created_ordered_and_deleted() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Sales" })).await;
    let lanes: Vec<&str> = p["lanes"]
        .as_array()
        .expect("lanes")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(
        lanes,
        ["New", "Qualified", "Proposal", "Negotiation", "Closing"]
    );
    assert_eq!(p["currency"], "USD");
    assert!(p["id"].as_str().is_some_and(|i| i.starts_with("pip_")));
    let q = pipeline(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Hiring", "currency": "eur", "lanes": ["Applied", "Interview"] }),
    )
    .await;
    assert_eq!(q["currency"], "EUR");

    // Bad input.
    for (input, expected) in [
        (
            json!({ "name": "", "currency": "EURO" }),
            vec![("input.name", "INVALID"), ("input.currency", "INVALID")],
        ),
        (
            json!({ "name": "X", "lanes": [] }),
            vec![("input.lanes", "INVALID")],
        ),
        (
            json!({ "name": "X", "lanes": ["ok", ""] }),
            vec![("input.lanes.1", "INVALID")],
        ),
    ] {
        let mut i = input;
        i["subAccountId"] = json!(w.dental);
        let r = app
            .gql(Some(&w.owner.access), PIPELINE_CREATE, json!({ "i": i }))
            .await
            .ok();
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        assert_eq!(r.user_errors("pipelineCreate"), expected, "{}", r.body);
    }

    // Reorder pipelines and lanes; rename.
    let list = "query($s: ID!, $a: Boolean) { pipelines(subAccountId: $s, includeArchived: $a) { name lanes { name } } }";
    app.gql(
        Some(&w.owner.access),
        "mutation($p: ID!) { pipelineMove(input: { pipelineId: $p }) { pipeline { name } } }",
        json!({ "p": q["id"] }),
    )
    .await
    .ok();
    let r = app
        .gql(Some(&w.owner.access), list, json!({ "s": w.dental }))
        .await
        .ok();
    assert_eq!(r.data("pipelines")[0]["name"], "Hiring");
    let lane = |i: usize| p["lanes"][i]["id"].clone();
    let r = app.gql(Some(&w.owner.access), "mutation($l: ID!, $a: ID) { laneMove(input: { laneId: $l, afterLaneId: $a }) { lane { name } userErrors { code } } }", json!({ "l": lane(0), "a": lane(2) })).await.ok();
    assert_eq!(r.data("laneMove.lane.name"), "New");
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($l: ID!) { laneRename(id: $l, name: \"Fresh\") { lane { name } } }",
            json!({ "l": lane(0) }),
        )
        .await
        .ok();
    assert_eq!(r.data("laneRename.lane.name"), "Fresh");
    let r = app.gql(Some(&w.owner.access), "mutation($p: ID!, $a: ID) { laneCreate(input: { pipelineId: $p, name: \"Won\", afterLaneId: $a }) { lane { id name } } }", json!({ "p": p["id"], "a": lane(4) })).await.ok();
    let won = r.data("laneCreate.lane.id").clone();
    let r = app
        .gql(Some(&w.owner.access), list, json!({ "s": w.dental }))
        .await
        .ok();
    let names: Vec<&str> = r.data("pipelines")[1]["lanes"]
        .as_array()
        .expect("lanes")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Qualified",
            "Proposal",
            "Fresh",
            "Negotiation",
            "Closing",
            "Won"
        ]
    );
    // A lane of another pipeline is no anchor.
    let r = app.gql(Some(&w.owner.access), "mutation($l: ID!, $a: ID) { laneMove(input: { laneId: $l, afterLaneId: $a }) { lane { name } userErrors { field code } } }", json!({ "l": lane(1), "a": q["lanes"][0]["id"] })).await.ok();
    assert_eq!(
        r.user_errors("laneMove"),
        vec![("input.afterLaneId".to_owned(), "INVALID".to_owned())]
    );

    // Deleting a lane: empty is fine; with tickets it needs a target lane of the same pipeline.
    let t = ticket(&app, &w.owner, &lane(1), json!({ "title": "Deal" })).await;
    let del = "mutation($l: ID!, $to: ID) { laneDelete(input: { laneId: $l, moveTicketsToLaneId: $to }) { lane { name } userErrors { field code } } }";
    let r = app
        .gql(Some(&w.owner.access), del, json!({ "l": lane(1) }))
        .await
        .ok();
    assert_eq!(
        r.user_errors("laneDelete"),
        vec![("input.moveTicketsToLaneId".to_owned(), "IN_USE".to_owned())]
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            del,
            json!({ "l": lane(1), "to": q["lanes"][0]["id"] }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("laneDelete"),
        vec![("input.moveTicketsToLaneId".to_owned(), "INVALID".to_owned())]
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            del,
            json!({ "l": lane(1), "to": won }),
        )
        .await
        .ok();
    assert_eq!(r.data("laneDelete.lane.name"), "Qualified");
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($id: ID!) { node(id: $id) { ... on Ticket { lane { name } } } }",
            json!({ "id": t["id"] }),
        )
        .await
        .ok();
    assert_eq!(r.data("node.lane.name"), "Won");
    let r = app
        .gql(Some(&w.owner.access), del, json!({ "l": lane(3) }))
        .await
        .ok();
    assert_eq!(r.data("laneDelete.lane.name"), "Negotiation");
    // The last lane stays.
    let r = app
        .gql(
            Some(&w.owner.access),
            del,
            json!({ "l": q["lanes"][0]["id"] }),
        )
        .await
        .ok();
    assert!(r.data("laneDelete.lane").is_object());
    let r = app
        .gql(
            Some(&w.owner.access),
            del,
            json!({ "l": q["lanes"][1]["id"] }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("laneDelete"),
        vec![("id".to_owned(), "NOT_ALLOWED".to_owned())]
    );

    // Archive hides a pipeline from the list.
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($p: ID!) { pipelineArchive(id: $p) { pipeline { archivedAt } } }",
            json!({ "p": q["id"] }),
        )
        .await
        .ok();
    assert!(r.data("pipelineArchive.pipeline.archivedAt").is_string());
    let r = app
        .gql(Some(&w.owner.access), list, json!({ "s": w.dental }))
        .await
        .ok();
    assert_eq!(r.data("pipelines").as_array().map(Vec::len), Some(1));
    let r = app
        .gql(
            Some(&w.owner.access),
            list,
            json!({ "s": w.dental, "a": true }),
        )
        .await
        .ok();
    assert_eq!(r.data("pipelines").as_array().map(Vec::len), Some(2));
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($p: ID!) { pipelineUnarchive(id: $p) { pipeline { archivedAt } } }",
            json!({ "p": q["id"] }),
        )
        .await
        .ok();
    assert!(r.data("pipelineUnarchive.pipeline.archivedAt").is_null());
    let r = app
        .gql(Some(&w.owner.access), list, json!({ "s": w.dental }))
        .await
        .ok();
    assert_eq!(r.data("pipelines").as_array().map(Vec::len), Some(2));
    app.gql(
        Some(&w.owner.access),
        "mutation($p: ID!) { pipelineRename(id: $p, name: \"Sales 2\") { pipeline { name } } }",
        json!({ "p": p["id"] }),
    )
    .await
    .ok();
    assert!(app.count("events WHERE event_type LIKE 'lane.%'").await >= 5);
    assert!(app.count("events WHERE event_type LIKE 'pipeline.%'").await >= 4);
}

#[tokio::test]
async fn tickets_are_checked_moved_closed_and_noted() {
    let app = spawn_app().await;
    let w = app.world().await;
    let staff = app.user("staff@dental.test").await;
    app.grant_in(&staff.user_id, &w.dental, Role::SubaccountUser)
        .await;
    let outsider = app.user("gardener@gardens.test").await;
    app.grant_in(&outsider.user_id, &w.gardens, Role::SubaccountUser)
        .await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Sales" })).await;
    let other = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Other" })).await;
    let lane = |i: usize| p["lanes"][i]["id"].clone();
    let ada = contact(&app, &w.owner, &w.dental, "Ada").await;
    let foreign_contact = contact(&app, &w.owner, &w.gardens, "Gus").await;
    let r = app.gql(Some(&w.owner.access), "mutation($s: ID!) { tagCreate(input: { subAccountId: $s, name: \"hot\" }) { tag { id } } }", json!({ "s": w.dental })).await.ok();
    let hot = r.data("tagCreate.tag.id").clone();
    let r = app.gql(Some(&w.owner.access), "mutation($s: ID!) { tagCreate(input: { subAccountId: $s, name: \"cold\" }) { tag { id } } }", json!({ "s": w.gardens })).await.ok();
    let foreign_tag = r.data("tagCreate.tag.id").clone();

    let t = ticket(&app, &w.owner, &lane(0), json!({ "title": "Implants", "value": 250_000, "contactId": ada, "assigneeId": staff.user_id, "tagIds": [hot] })).await;
    assert_eq!(t["value"], json!({ "amount": 250_000, "currency": "USD" }));
    assert_eq!(
        (
            t["contact"]["firstName"].as_str(),
            t["assignee"]["email"].as_str()
        ),
        (Some("Ada"), Some("staff@dental.test"))
    );
    assert_eq!(t["tags"], json!([{ "name": "hot" }]));
    assert_eq!(t["status"], "OPEN");

    // Bad input: a non-member assignee, another sub-account's contact and tag, a negative value.
    let tickets = app.count("tickets").await;
    let r = app.gql(Some(&w.owner.access), TICKET_CREATE, json!({ "i": { "laneId": lane(0), "title": "", "value": -1, "contactId": foreign_contact, "assigneeId": outsider.user_id, "tagIds": [foreign_tag] } })).await.ok();
    let mut errs = r.user_errors("ticketCreate");
    errs.sort();
    assert_eq!(
        errs,
        vec![
            ("input.assigneeId".to_owned(), "INVALID".to_owned()),
            ("input.contactId".to_owned(), "INVALID".to_owned()),
            ("input.tagIds".to_owned(), "INVALID".to_owned()),
            ("input.title".to_owned(), "INVALID".to_owned()),
            ("input.value".to_owned(), "INVALID".to_owned()),
        ]
    );
    assert_eq!(app.count("tickets").await, tickets);

    // Moves: within a lane, across lanes, never into another pipeline's lane.
    let b = ticket(&app, &w.owner, &lane(0), json!({ "title": "Cleaning" })).await;
    let c = ticket(&app, &w.owner, &lane(0), json!({ "title": "Braces" })).await;
    let board = || app.gql(Some(&w.owner.access), BOARD, json!({ "id": p["id"] }));
    assert_eq!(
        titles(&board().await.ok(), 0),
        ["Implants", "Cleaning", "Braces"]
    );
    app.gql(
        Some(&w.owner.access),
        MOVE,
        json!({ "t": c["id"], "l": lane(0), "a": t["id"] }),
    )
    .await
    .ok();
    assert_eq!(
        titles(&board().await.ok(), 0),
        ["Implants", "Braces", "Cleaning"]
    );
    app.gql(
        Some(&w.owner.access),
        MOVE,
        json!({ "t": b["id"], "l": lane(0) }),
    )
    .await
    .ok();
    assert_eq!(
        titles(&board().await.ok(), 0),
        ["Cleaning", "Implants", "Braces"]
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            MOVE,
            json!({ "t": t["id"], "l": lane(2) }),
        )
        .await
        .ok();
    assert_eq!(r.data("ticketMove.ticket.lane.name"), "Proposal");
    let r = app
        .gql(
            Some(&w.owner.access),
            MOVE,
            json!({ "t": t["id"], "l": other["lanes"][0]["id"] }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("ticketMove"),
        vec![("input.laneId".to_owned(), "NOT_ALLOWED".to_owned())]
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            MOVE,
            json!({ "t": t["id"], "l": lane(2), "a": c["id"] }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("ticketMove"),
        vec![("input.afterTicketId".to_owned(), "INVALID".to_owned())]
    );
    let board_now = board().await.ok();
    assert_eq!(board_now.data("node.lanes")[2]["ticketCount"], 1);
    assert_eq!(
        board_now.data("node.lanes")[2]["ticketValue"]["amount"],
        250_000
    );

    // A key that may read pipelines but not contacts sees the ticket without its contact.
    let key = app
        .gql(Some(&w.owner.access), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"board\", permissions: [PIPELINES_READ] }) { secret } }", json!({ "s": w.dental }))
        .await
        .ok();
    let board_key = key
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    let r = app
        .gql(
            Some(&board_key),
            "query($id: ID!) { node(id: $id) { ... on Ticket { title contact { firstName } } } }",
            json!({ "id": t["id"] }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("node"),
        &json!({ "title": "Implants", "contact": null })
    );
    // A sub-account user may move tickets; someone of another sub-account sees nothing.
    let r = app
        .gql(
            Some(&staff.access),
            MOVE,
            json!({ "t": c["id"], "l": lane(1) }),
        )
        .await
        .ok();
    assert_eq!(r.data("ticketMove.ticket.lane.name"), "Qualified");
    let r = app
        .gql(
            Some(&outsider.access),
            MOVE,
            json!({ "t": c["id"], "l": lane(1) }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));

    // Update, close, reopen, notes, delete.
    let upd = "mutation($id: ID!, $i: TicketUpdateInput!) { ticketUpdate(id: $id, input: $i) { ticket { title value { amount } contact { firstName } assignee { email } tags { name } dueAt } userErrors { field code } } }";
    let r = app.gql(Some(&w.owner.access), upd, json!({ "id": t["id"], "i": { "title": "Implants x2", "value": null, "contactId": null, "assigneeId": null, "tagIds": [], "dueAt": "2030-01-01T00:00:00Z" } })).await.ok();
    assert_eq!(
        r.data("ticketUpdate.ticket"),
        &json!({ "title": "Implants x2", "value": null, "contact": null, "assignee": null, "tags": [], "dueAt": "2030-01-01T00:00:00+00:00" })
    );
    let close = "mutation($id: ID!, $o: TicketOutcome!, $r: String) { ticketClose(input: { ticketId: $id, outcome: $o, reason: $r }) { ticket { status statusReason closedAt } userErrors { code } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            close,
            json!({ "id": t["id"], "o": "LOST", "r": "Too expensive" }),
        )
        .await
        .ok();
    assert_eq!(
        (
            r.data("ticketClose.ticket.status").as_str(),
            r.data("ticketClose.ticket.statusReason").as_str()
        ),
        (Some("LOST"), Some("Too expensive"))
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            close,
            json!({ "id": t["id"], "o": "LOST" }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("ticketClose"), ["ALREADY_DONE"]);
    let r = app.gql(Some(&w.owner.access), "mutation($id: ID!) { ticketReopen(id: $id) { ticket { status closedAt statusReason } } }", json!({ "id": t["id"] })).await.ok();
    assert_eq!(
        r.data("ticketReopen.ticket"),
        &json!({ "status": "OPEN", "closedAt": null, "statusReason": null })
    );
    let note = "mutation($id: ID!, $b: String!) { ticketNoteAdd(input: { ticketId: $id, body: $b }) { note { id body author { email } } userErrors { code } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            note,
            json!({ "id": t["id"], "b": "Called back" }),
        )
        .await
        .ok();
    assert_eq!(r.data("ticketNoteAdd.note.author.email"), "owner@acme.test");
    let r = app
        .gql(
            Some(&w.owner.access),
            note,
            json!({ "id": t["id"], "b": " " }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("ticketNoteAdd"), ["INVALID"]);
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($id: ID!) { node(id: $id) { ... on Ticket { notes { nodes { body } } } } }",
            json!({ "id": t["id"] }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("node.notes.nodes"),
        &json!([{ "body": "Called back" }])
    );

    // Merging the ticket's contact repoints the ticket.
    let ada2 = contact(&app, &w.owner, &w.dental, "Ada L").await;
    app.gql(
        Some(&w.owner.access),
        upd,
        json!({ "id": b["id"], "i": { "contactId": ada2 } }),
    )
    .await
    .ok();
    let r = app.gql(Some(&w.owner.access), "mutation($s: ID!, $m: ID!) { contactMerge(input: { survivorId: $s, mergedId: $m }) { userErrors { code } } }", json!({ "s": ada, "m": ada2 })).await.ok();
    assert_eq!(r.user_error_codes("contactMerge"), Vec::<String>::new());
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($id: ID!) { node(id: $id) { ... on Ticket { contact { id } } } }",
            json!({ "id": b["id"] }),
        )
        .await
        .ok();
    assert_eq!(r.data("node.contact.id"), ada.as_str());

    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { ticketDelete(id: $id) { ticket { title } } }",
            json!({ "id": t["id"] }),
        )
        .await
        .ok();
    assert_eq!(r.data("ticketDelete.ticket.title"), "Implants x2");
    assert_eq!(app.count("ticket_notes").await, 0);
    for e in [
        "ticket.created",
        "ticket.moved",
        "ticket.updated",
        "ticket.lost",
        "ticket.reopened",
        "ticket.noted",
        "ticket.deleted",
    ] {
        assert!(
            app.count(&format!("events WHERE event_type = '{e}'")).await >= 1,
            "{e}"
        );
    }
}

/// The ids of a pipeline's lanes, in order.
fn lane_ids(p: &Value) -> Vec<Value> {
    p["lanes"]
        .as_array()
        .expect("lanes")
        .iter()
        .map(|l| l["id"].clone())
        .collect()
}

/// Inserts `per_lane` tickets into each lane directly (a fixture), each with a contact, an
/// assignee and a tag.
async fn fill(app: &TestApp, w: &World, lanes: &[Value], per_lane: usize) {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let r = app.gql(Some(&w.owner.access), "mutation($s: ID!, $n: String!) { tagCreate(input: { subAccountId: $s, name: $n }) { tag { id } } }", json!({ "s": w.dental, "n": format!("bulk {}", lanes.len()) })).await.ok();
    let tag = kernel::GlobalId::parse(r.data("tagCreate.tag.id").as_str().expect("tag"))
        .expect("gid")
        .uuid;
    let ada = contact(app, &w.owner, &w.dental, "Ada").await;
    let contact_id = kernel::GlobalId::parse(&ada).expect("gid").uuid;
    let owner = kernel::GlobalId::parse(&w.owner.user_id).expect("gid").uuid;
    let agency_id = kernel::GlobalId::parse(&w.agency).expect("gid").uuid;
    let sub = kernel::GlobalId::parse(&w.dental).expect("gid").uuid;
    let now = chrono::Utc::now();
    let mut rows = Vec::new();
    let mut tags = Vec::new();
    for l in lanes {
        let lane_id = kernel::GlobalId::parse(l.as_str().expect("lane"))
            .expect("gid")
            .uuid;
        let lane = kanban::entity::lane::Entity::find_by_id((agency_id, lane_id))
            .one(&app.db)
            .await
            .expect("lane")
            .expect("lane");
        for (i, rank) in kernel::rank::spaced(per_lane).into_iter().enumerate() {
            let id = kernel::id::new_uuid();
            rows.push(kanban::entity::ticket::ActiveModel {
                agency_id: Set(agency_id),
                id: Set(id),
                sub_account_id: Set(sub),
                pipeline_id: Set(lane.pipeline_id),
                lane_id: Set(lane_id),
                title: Set(format!("T{i}")),
                description: Set(None),
                value_minor: Set(Some(100)),
                contact_id: Set(Some(contact_id)),
                assignee_id: Set(Some(owner)),
                due_at: Set(None),
                status: Set(kanban::entity::ticket::TicketStatus::Open),
                status_reason: Set(None),
                closed_at: Set(None),
                rank: Set(rank),
                created_at: Set(now),
                updated_at: Set(now),
            });
            tags.push(kanban::entity::ticket_tag::ActiveModel {
                agency_id: Set(agency_id),
                ticket_id: Set(id),
                tag_id: Set(tag),
                created_at: Set(now),
            });
        }
    }
    for chunk in rows.chunks(200) {
        kanban::entity::ticket::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .expect("tickets");
    }
    for chunk in tags.chunks(200) {
        kanban::entity::ticket_tag::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .expect("tags");
    }
}
