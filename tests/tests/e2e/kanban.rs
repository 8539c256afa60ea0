//! Kanban: pipelines, lanes, tickets, the board query's cost, concurrent moves and stats.

use kernel::Role;
use serde_json::{Value, json};
use tests::{Gql, Session, TestApp, spawn_app};

const PIPELINE_CREATE: &str = "mutation($i: PipelineCreateInput!) { pipelineCreate(input: $i) { pipeline { id name currency lanes { id name } } userErrors { field code message } } }";
const TICKET_CREATE: &str = "mutation($i: TicketCreateInput!) { ticketCreate(input: $i) { ticket { id title value { amount currency } contact { firstName } assignee { email } tags { name } status lane { name } } userErrors { field code message } } }";
const MOVE: &str = "mutation($t: ID!, $l: ID!, $a: ID) { ticketMove(input: { ticketId: $t, laneId: $l, afterTicketId: $a }) { ticket { id lane { name } } userErrors { field code message } } }";
const BOARD: &str = "query($id: ID!) { node(id: $id) { ... on Pipeline { name lanes { name ticketCount ticketValue { amount } tickets(first: 100) { pageInfo { hasNextPage } nodes { title contact { firstName } assignee { email } tags { name } } } } } } }";

struct World {
    owner: Session,
    agency: String,
    dental: String,
    gardens: String,
}

async fn world(app: &TestApp) -> World {
    let admin = app.platform_admin("root@platform.test").await;
    let owner = app.user("owner@acme.test").await;
    let agency = app.agency(&admin, "Acme", "owner@acme.test").await;
    let dental = app.sub_account(&owner, &agency, "Dental").await;
    let gardens = app.sub_account(&owner, &agency, "Gardens").await;
    World {
        owner,
        agency,
        dental,
        gardens,
    }
}

fn user_errors(r: &Gql, path: &str) -> Vec<(String, String)> {
    r.data(path)["userErrors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let field: Vec<&str> = e["field"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            (
                field.join("."),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn pipeline(app: &TestApp, who: &Session, sub: &str, input: Value) -> Value {
    let mut i = input;
    i["subAccountId"] = json!(sub);
    let r = app
        .gql(Some(&who.access), PIPELINE_CREATE, json!({ "i": i }))
        .await
        .ok();
    assert_eq!(user_errors(&r, "pipelineCreate"), vec![], "{}", r.body);
    r.data("pipelineCreate.pipeline").clone()
}

async fn ticket(app: &TestApp, who: &Session, lane: &Value, input: Value) -> Value {
    let mut i = input;
    i["laneId"] = lane.clone();
    let r = app
        .gql(Some(&who.access), TICKET_CREATE, json!({ "i": i }))
        .await
        .ok();
    assert_eq!(user_errors(&r, "ticketCreate"), vec![], "{}", r.body);
    r.data("ticketCreate.ticket").clone()
}

async fn contact(app: &TestApp, who: &Session, sub: &str, name: &str) -> String {
    let r = app
        .gql(
            Some(&who.access),
            "mutation($s: ID!, $n: String!) { contactCreate(input: { subAccountId: $s, firstName: $n }) { contact { id } } }",
            json!({ "s": sub, "n": name }),
        )
        .await
        .ok();
    r.data("contactCreate.contact.id")
        .as_str()
        .expect("contact")
        .to_owned()
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
    let w = world(&app).await;
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
        assert_eq!(user_errors(&r, "pipelineCreate"), expected, "{}", r.body);
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
        user_errors(&r, "laneMove"),
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
        user_errors(&r, "laneDelete"),
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
        user_errors(&r, "laneDelete"),
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
        user_errors(&r, "laneDelete"),
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
    let w = world(&app).await;
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
    let mut errs = user_errors(&r, "ticketCreate");
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
        user_errors(&r, "ticketMove"),
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
        user_errors(&r, "ticketMove"),
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
                status: Set("open".into()),
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

#[tokio::test]
async fn a_board_costs_the_same_statements_at_any_size() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let small = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Small" })).await;
    let lanes: Vec<String> = (0..10).map(|i| format!("L{i}")).collect();
    let large = pipeline(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Large", "lanes": lanes }),
    )
    .await;
    let ids = |p: &Value| {
        p["lanes"]
            .as_array()
            .expect("lanes")
            .iter()
            .map(|l| l["id"].clone())
            .collect::<Vec<_>>()
    };
    fill(&app, &w, &ids(&small), 20).await;
    fill(&app, &w, &ids(&large), 50).await;
    let board = "query($id: ID!, $n: Int) { node(id: $id) { ... on Pipeline { name lanes { name ticketCount ticketValue { amount } tickets(first: $n) { pageInfo { hasNextPage } nodes { title value { amount } contact { firstName } assignee { email } tags { name } } } } } } }";
    let small_n = app
        .statements_for(
            &w.owner.access,
            board,
            json!({ "id": small["id"], "n": 20 }),
        )
        .await;
    let large_n = app
        .statements_for(
            &w.owner.access,
            board,
            json!({ "id": large["id"], "n": 50 }),
        )
        .await;
    let r = app
        .gql(
            Some(&w.owner.access),
            board,
            json!({ "id": large["id"], "n": 50 }),
        )
        .await
        .ok();
    let lanes = r.data("node.lanes").as_array().expect("lanes");
    assert_eq!(lanes.len(), 10);
    for l in lanes {
        let nodes = l["tickets"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 50);
        assert_eq!(l["ticketCount"], 50);
        assert_eq!(l["ticketValue"]["amount"], 5000);
        assert!(nodes.iter().all(|t| t["contact"]["firstName"] == "Ada"
            && t["assignee"]["email"] == "owner@acme.test"
            && t["tags"] == json!([{ "name": "bulk 10" }])));
    }
    eprintln!(
        "statements for a board: {small_n} (5 lanes x 20 tickets), {large_n} (10 lanes x 50 tickets)"
    );
    assert!(small_n > 0);
    assert_eq!(
        small_n, large_n,
        "a board's statements do not grow with its lanes or tickets"
    );
    // The next page of a lane follows the first without a gap.
    let r = app.gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on Lane { tickets(first: 30) { pageInfo { endCursor } nodes { title } } } } }", json!({ "id": ids(&large)[0] })).await.ok();
    let after = r.data("node.tickets.pageInfo.endCursor").clone();
    let r = app.gql(Some(&w.owner.access), "query($id: ID!, $a: String) { node(id: $id) { ... on Lane { tickets(first: 30, after: $a) { pageInfo { hasNextPage } nodes { title } } } } }", json!({ "id": ids(&large)[0], "a": after })).await.ok();
    assert_eq!(
        r.data("node.tickets.nodes").as_array().map(Vec::len),
        Some(20)
    );
    assert_eq!(r.data("node.tickets.nodes")[0]["title"], "T30");
    assert_eq!(r.data("node.tickets.pageInfo.hasNextPage"), false);
}

#[tokio::test]
async fn concurrent_moves_never_lose_or_duplicate_a_ticket() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let p = pipeline(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Busy", "lanes": ["A", "B", "C"] }),
    )
    .await;
    let lanes: Vec<Value> = p["lanes"]
        .as_array()
        .expect("lanes")
        .iter()
        .map(|l| l["id"].clone())
        .collect();
    let mut tickets = Vec::new();
    for i in 0..12 {
        tickets.push(
            ticket(
                &app,
                &w.owner,
                &lanes[i % 3],
                json!({ "title": format!("T{i}") }),
            )
            .await["id"]
                .clone(),
        );
    }
    // Eight clients each make twelve moves at once, all aimed at the tops of the same lanes.
    let mut tasks = Vec::new();
    for c in 0..8usize {
        let (url, token) = (app.url.clone(), w.owner.access.clone());
        let (tickets, lanes) = (tickets.clone(), lanes.clone());
        let http = app.http.clone();
        tasks.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for m in 0..12usize {
                let t = &tickets[(c * 5 + m) % tickets.len()];
                let l = &lanes[(c + m) % lanes.len()];
                let body = json!({ "query": MOVE, "variables": { "t": t, "l": l } });
                let r: Value = http
                    .post(format!("{url}/graphql"))
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {token}"))
                    .body(body.to_string())
                    .send()
                    .await
                    .expect("send")
                    .json()
                    .await
                    .expect("json");
                if r.get("errors").is_some() || r["data"]["ticketMove"]["userErrors"] != json!([]) {
                    failures.push(r);
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.expect("task"));
    }
    // A move that lost a race may be refused with a clear retry message, never half-done.
    for f in &failures {
        assert_eq!(
            f["data"]["ticketMove"]["userErrors"][0]["code"], "TAKEN",
            "{f}"
        );
    }
    let r = app
        .gql(Some(&w.owner.access), BOARD, json!({ "id": p["id"] }))
        .await
        .ok();
    let mut seen: Vec<String> = (0..3).flat_map(|i| titles(&r, i)).collect();
    seen.sort();
    let mut expected: Vec<String> = (0..12).map(|i| format!("T{i}")).collect();
    expected.sort();
    assert_eq!(seen, expected, "every ticket exactly once");
    let distinct = app
        .count("(SELECT DISTINCT lane_id, rank FROM tickets) AS x")
        .await;
    assert_eq!(distinct, 12, "distinct positions");
    eprintln!(
        "concurrent moves: 96, refused for a retry: {}",
        failures.len()
    );
}

#[tokio::test]
async fn pipeline_stats_count_values_outcomes_and_conversion() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let p = pipeline(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Sales", "lanes": ["Lead", "Demo", "Deal"] }),
    )
    .await;
    let lane = |i: usize| p["lanes"][i]["id"].clone();
    let mut ids = Vec::new();
    for (i, v) in [100, 200, 300, 400].iter().enumerate() {
        ids.push(
            ticket(
                &app,
                &w.owner,
                &lane(0),
                json!({ "title": format!("T{i}"), "value": v }),
            )
            .await["id"]
                .clone(),
        );
    }
    // Two reach Demo, one of them Deal; one is won, one lost.
    for t in &ids[..2] {
        app.gql(Some(&w.owner.access), MOVE, json!({ "t": t, "l": lane(1) }))
            .await
            .ok();
    }
    app.gql(
        Some(&w.owner.access),
        MOVE,
        json!({ "t": ids[0], "l": lane(2) }),
    )
    .await
    .ok();
    let close = "mutation($id: ID!, $o: TicketOutcome!) { ticketClose(input: { ticketId: $id, outcome: $o }) { userErrors { code } } }";
    app.gql(
        Some(&w.owner.access),
        close,
        json!({ "id": ids[0], "o": "WON" }),
    )
    .await
    .ok();
    app.gql(
        Some(&w.owner.access),
        close,
        json!({ "id": ids[3], "o": "LOST" }),
    )
    .await
    .ok();
    let stats = "query($id: ID!) { node(id: $id) { ... on Pipeline { stats { lanes { lane { name } count value { amount } } wonCount wonValue { amount } lostCount lostValue { amount } conversions { from { name } to { name } entered advanced rate } } } } }";
    let r = app
        .gql(Some(&w.owner.access), stats, json!({ "id": p["id"] }))
        .await
        .ok();
    let s = r.data("node.stats");
    assert_eq!(
        s["lanes"],
        json!([
            { "lane": { "name": "Lead" }, "count": 2, "value": { "amount": 700 } },
            { "lane": { "name": "Demo" }, "count": 1, "value": { "amount": 200 } },
            { "lane": { "name": "Deal" }, "count": 1, "value": { "amount": 100 } },
        ])
    );
    assert_eq!(
        (s["wonCount"].as_u64(), s["wonValue"]["amount"].as_i64()),
        (Some(1), Some(100))
    );
    assert_eq!(
        (s["lostCount"].as_u64(), s["lostValue"]["amount"].as_i64()),
        (Some(1), Some(400))
    );
    assert_eq!(
        s["conversions"],
        json!([
            { "from": { "name": "Lead" }, "to": { "name": "Demo" }, "entered": 4, "advanced": 2, "rate": 0.5 },
            { "from": { "name": "Demo" }, "to": { "name": "Deal" }, "entered": 2, "advanced": 1, "rate": 0.5 },
        ])
    );
    // A period that ended before anything closed counts nothing.
    let r = app.gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on Pipeline { stats(from: \"2020-01-01T00:00:00Z\", to: \"2020-02-01T00:00:00Z\") { wonCount lostCount } } } }", json!({ "id": p["id"] })).await.ok();
    assert_eq!(
        r.data("node.stats"),
        &json!({ "wonCount": 0, "lostCount": 0 })
    );
    let r = app.gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on Pipeline { stats(from: \"2020-02-01T00:00:00Z\", to: \"2020-01-01T00:00:00Z\") { wonCount } } } }", json!({ "id": p["id"] })).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn a_lane_is_respaced_when_its_rank_keys_grow_long() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let p = pipeline(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Gap", "lanes": ["A"] }),
    )
    .await;
    let lane = p["lanes"][0]["id"].clone();
    let mut ids = Vec::new();
    for t in ["X", "Y", "Z"] {
        ids.push(ticket(&app, &w.owner, &lane, json!({ "title": t })).await["id"].clone());
    }
    // A fixture: X and Y adjacent on a long shared prefix (what thousands of inserts into one
    // gap leave behind). A ticket placed between them needs a key past the limit.
    let prefix = "7f".repeat(35);
    for (title, last) in [("X", "18"), ("Y", "2")] {
        use sea_orm::ConnectionTrait;
        app.db
            .execute_unprepared(&format!(
                "UPDATE tickets SET rank = '{prefix}{last}' WHERE title = '{title}'"
            ))
            .await
            .expect("fixture");
    }
    let limit = kanban::service::ticket::MAX_RANK_LEN;
    assert_eq!(
        app.count(&format!("tickets WHERE length(rank) >= {}", limit - 2))
            .await,
        2
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            MOVE,
            json!({ "t": ids[2], "l": lane, "a": ids[0] }),
        )
        .await
        .ok();
    assert_eq!(user_errors(&r, "ticketMove"), vec![], "{}", r.body);
    let r = app
        .gql(Some(&w.owner.access), BOARD, json!({ "id": p["id"] }))
        .await
        .ok();
    assert_eq!(titles(&r, 0), ["X", "Z", "Y"]);
    assert_eq!(
        app.count("tickets WHERE length(rank) > 16").await,
        0,
        "respaced"
    );
}
