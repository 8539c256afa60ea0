//! Kanban at scale and under load: the board query's cost at any size, concurrent moves,
//! and pipeline stats.

use super::*;

/// A lane's count and value come in the statement that reads its first tickets: asking for
/// them on a board costs no statement more, and they count every ticket, not the page.
#[tokio::test]
async fn lane_totals_come_with_the_first_tickets() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Totals" })).await;
    let lanes = lane_ids(&p);
    fill(&app, &w, &lanes[..1], 25).await;
    let q = |totals: &str, count: &str| {
        format!(
            "query($id: ID!) {{ node(id: $id) {{ ... on Pipeline {{ lanes {{ {totals} tickets(first: 5) {{ {count} nodes {{ title }} }} }} }} }} }}"
        )
    };
    let with = q("ticketCount ticketValue { amount }", "totalCount");
    let vars = json!({ "id": p["id"] });
    let with_n = app
        .fewest_statements_for(&w.owner.access, &with, vars.clone())
        .await;
    let without_n = app
        .fewest_statements_for(&w.owner.access, &q("", ""), vars.clone())
        .await;
    assert_eq!(
        with_n, without_n,
        "lane totals cost no statement of their own"
    );
    let r = app.gql(Some(&w.owner.access), &with, vars).await.ok();
    let got = r.data("node.lanes").as_array().expect("lanes").clone();
    assert_eq!(got[0]["ticketCount"], 25);
    assert_eq!(got[0]["ticketValue"]["amount"], 2500);
    assert_eq!(got[0]["tickets"]["totalCount"], 25);
    assert_eq!(
        got[0]["tickets"]["nodes"].as_array().expect("nodes").len(),
        5
    );
    // A lane with no ticket has no row to carry its total: zero.
    assert_eq!(got[1]["ticketCount"], 0);
    assert_eq!(got[1]["ticketValue"]["amount"], 0);
    assert_eq!(got[1]["tickets"]["totalCount"], 0);
}

/// A board shows each ticket's live contact and its assignee: a deleted contact, or none, shows
/// as none. Its lanes' totals count tickets without a value.
#[tokio::test]
async fn a_board_shows_each_tickets_live_contact_and_assignee() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Shown" })).await;
    let lanes = lane_ids(&p);
    fill(&app, &w, &lanes[..1], 3).await;
    let bo = contact(&app, &w.owner, &w.dental, "Bo").await;
    ticket(
        &app,
        &w.owner,
        &lanes[1],
        json!({ "title": "gone", "contactId": bo }),
    )
    .await;
    ticket(&app, &w.owner, &lanes[1], json!({ "title": "bare" })).await;
    let del = "mutation($id: ID!) { contactDelete(id: $id) { contact { id } userErrors { field code message } } }";
    let r = app
        .gql(Some(&w.owner.access), del, json!({ "id": bo }))
        .await
        .ok();
    assert_eq!(r.user_errors("contactDelete"), vec![]);
    let board = "query($id: ID!) { node(id: $id) { ... on Pipeline { lanes { ticketCount ticketValue { amount } tickets(first: 5) { nodes { title contact { firstName } assignee { email } } } } } } }";
    let vars = json!({ "id": p["id"] });
    let r = app.gql(Some(&w.owner.access), board, vars).await.ok();
    let lanes = r.data("node.lanes");
    let filled = lanes[0]["tickets"]["nodes"].as_array().expect("nodes");
    assert_eq!(filled.len(), 3);
    assert!(
        filled
            .iter()
            .all(|t| t["contact"]["firstName"] == "Ada"
                && t["assignee"]["email"] == "owner@acme.test")
    );
    let mut rest: Vec<Value> = lanes[1]["tickets"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    rest.sort_by_key(|t| t["title"].to_string());
    assert_eq!(
        rest,
        vec![
            json!({ "title": "bare", "contact": null, "assignee": null }),
            json!({ "title": "gone", "contact": null, "assignee": null }),
        ]
    );
    // A lane whose tickets have no value is worth nothing (its sum is NULL), not missing.
    assert_eq!(lanes[1]["ticketCount"], 2);
    assert_eq!(lanes[1]["ticketValue"]["amount"], 0);
    assert_eq!(lanes[0]["ticketValue"]["amount"], 300);
}

/// A board reads its cards' contacts slim (only the columns of a name and means of contact)
/// when the cards ask for no more, and whole when they ask for anything else: either way each
/// field shows the contact's own value, as the contact's node does.
#[tokio::test]
async fn a_boards_contacts_show_their_own_values_slim_or_whole() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Cards" })).await;
    let lanes = lane_ids(&p);
    let full = json!({ "firstName": "Ida", "lastName": "Lind", "email": "ida@lind.test",
        "phone": "+1 415 555 2671", "company": "Lind AB", "status": "QUALIFIED", "source": "REFERRAL" });
    let ida = app.create_contact(&w.owner, &w.dental, full).await;
    ticket(
        &app,
        &w.owner,
        &lanes[0],
        json!({ "title": "t", "contactId": ida }),
    )
    .await;
    let fields = [
        "id firstName lastName email phone __typename",
        "id firstName company status source createdAt",
        "... on Contact { email status }",
    ];
    for f in fields {
        let board = format!(
            "query($id: ID!) {{ node(id: $id) {{ ... on Pipeline {{ lanes {{ tickets(first: 5) {{ nodes {{ contact {{ {f} }} }} }} }} }} }} }}"
        );
        let r = app
            .gql(Some(&w.owner.access), &board, json!({ "id": p["id"] }))
            .await
            .ok();
        let card = &r.data("node.lanes")[0]["tickets"]["nodes"][0]["contact"];
        let node = format!("query($id: ID!) {{ node(id: $id) {{ ... on Contact {{ {f} }} }} }}");
        let n = app
            .gql(Some(&w.owner.access), &node, json!({ "id": ida }))
            .await
            .ok();
        assert_eq!(card, n.data("node"), "{f}");
        assert_eq!(
            card.as_object().map(|o| o.values().any(Value::is_null)),
            Some(false),
            "{f}: {card}"
        );
    }
}

/// A board reads a lane's first tickets slim (only the columns a card shows) when its selection
/// asks for no more, and whole when it asks for anything else (through a fragment, or in a second
/// `tickets` under the same name): either way each field shows the ticket's own value, as the
/// ticket's node does.
#[tokio::test]
async fn a_boards_tickets_show_their_own_values_slim_or_whole() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Deals" })).await;
    let ida = contact(&app, &w.owner, &w.dental, "Ida").await;
    let tag = "mutation($s: ID!) { tagCreate(input: { subAccountId: $s, name: \"vip\" }) { tag { id } } }";
    let r = app
        .gql(Some(&w.owner.access), tag, json!({ "s": w.dental }))
        .await
        .ok();
    let input = json!({ "title": "Implants", "description": "Two molars", "value": 420000,
        "contactId": ida, "assigneeId": w.owner.user_id, "dueAt": "2031-05-04T03:02:01Z",
        "tagIds": [r.data("tagCreate.tag.id")] });
    let t = ticket(&app, &w.owner, &lane_ids(&p)[0], input).await;
    let close = "mutation($id: ID!) { ticketClose(input: { ticketId: $id, outcome: WON, reason: \"signed\" }) { userErrors { code } } }";
    let r = app
        .gql(Some(&w.owner.access), close, json!({ "id": t["id"] }))
        .await
        .ok();
    assert_eq!(r.user_errors("ticketClose"), vec![], "{}", r.body);
    let slim = "id title value { amount currency } contact { firstName } assignee { id } tags { name } __typename";
    let whole = "id title description dueAt status statusReason closedAt createdAt updatedAt";
    let inline = "... on Ticket { title status createdAt }";
    let named = "fragment T on Ticket { title status tags { name } }";
    // (the lane's selection, the node's, fragments)
    let mut cases: Vec<(String, String, &str)> = Vec::new();
    for f in [slim, whole, inline] {
        cases.push((
            format!("tickets(first: 5) {{ nodes {{ {f} }} }}"),
            f.into(),
            "",
        ));
        let edges = format!("tickets(first: 5) {{ edges {{ cursor node {{ {f} }} }} }}");
        cases.push((edges, f.into(), ""));
    }
    cases.push((
        "tickets(first: 5) { nodes { ...T } }".into(),
        "...T".into(),
        named,
    ));
    let twice =
        "tickets(first: 5) { nodes { id title } } tickets(first: 5) { nodes { status createdAt } }";
    cases.push((twice.into(), "id title status createdAt".into(), ""));
    for (lane, node, fragments) in cases {
        let board = format!(
            "query($id: ID!) {{ node(id: $id) {{ ... on Pipeline {{ lanes {{ {lane} }} }} }} }} {fragments}"
        );
        let r = app
            .gql(Some(&w.owner.access), &board, json!({ "id": p["id"] }))
            .await
            .ok();
        let tickets = &r.data("node.lanes")[0]["tickets"];
        let card = tickets["nodes"][0]
            .as_object()
            .or(tickets["edges"][0]["node"].as_object());
        let node = format!(
            "query($id: ID!) {{ node(id: $id) {{ ... on Ticket {{ {node} }} }} }} {fragments}"
        );
        let n = app
            .gql(Some(&w.owner.access), &node, json!({ "id": t["id"] }))
            .await
            .ok();
        assert_eq!(card, n.data("node").as_object(), "{lane}");
        let nulls = card.map(|o| o.values().any(Value::is_null));
        assert_eq!(nulls, Some(false), "{lane}: {card:?}");
    }
}

/// A lane's first page asked twice under one name, once slim and once whole, is read in one
/// statement: the two lists, merged item by item, come from one snapshot.
#[tokio::test]
async fn a_page_asked_slim_and_whole_under_one_name_is_read_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Twice" })).await;
    fill(&app, &w, &lane_ids(&p), 3).await;
    let board = |lane: &str| {
        format!(
            "query($id: ID!) {{ node(id: $id) {{ ... on Pipeline {{ lanes {{ {lane} }} }} }} }}"
        )
    };
    let once = board("tickets(first: 5) { nodes { id title status } }");
    let twice =
        board("tickets(first: 5) { nodes { id title } } tickets(first: 5) { nodes { status } }");
    let vars = json!({ "id": p["id"] });
    let token = &w.owner.access;
    let once_n = app.fewest_statements_for(token, &once, vars.clone()).await;
    let twice_n = app.fewest_statements_for(token, &twice, vars.clone()).await;
    assert_eq!(twice_n, once_n);
    let a = app.gql(Some(token), &once, vars.clone()).await.ok();
    let b = app.gql(Some(token), &twice, vars).await.ok();
    assert_eq!(a.data("node"), b.data("node"));
}

#[tokio::test]
async fn a_board_costs_the_same_statements_at_any_size() {
    let app = spawn_app().await;
    let w = app.world().await;
    let small = pipeline(&app, &w.owner, &w.dental, json!({ "name": "Small" })).await;
    let lanes: Vec<String> = (0..10).map(|i| format!("L{i}")).collect();
    let large = pipeline(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Large", "lanes": lanes }),
    )
    .await;
    fill(&app, &w, &lane_ids(&small), 20).await;
    fill(&app, &w, &lane_ids(&large), 50).await;
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
    let r = app.gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on Lane { tickets(first: 30) { pageInfo { endCursor } nodes { title } } } } }", json!({ "id": lane_ids(&large)[0] })).await.ok();
    let after = r.data("node.tickets.pageInfo.endCursor").clone();
    let r = app.gql(Some(&w.owner.access), "query($id: ID!, $a: String) { node(id: $id) { ... on Lane { tickets(first: 30, after: $a) { pageInfo { hasNextPage } nodes { title } } } } }", json!({ "id": lane_ids(&large)[0], "a": after })).await.ok();
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
    let w = app.world().await;
    let p = pipeline(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Busy", "lanes": ["A", "B", "C"] }),
    )
    .await;
    let lanes = lane_ids(&p);
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
    let w = app.world().await;
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
async fn a_ticket_reads_its_pipelines_currency_only_when_its_value_is_shown() {
    let app = spawn_app().await;
    let w = app.world().await;
    let p = pipeline(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Sales", "currency": "EUR" }),
    )
    .await;
    let t = ticket(
        &app,
        &w.owner,
        &p["lanes"][0]["id"],
        json!({ "title": "Deal", "value": 500 }),
    )
    .await;
    let token = &w.owner.access;
    let node = |fields: &str| {
        format!("query($id: ID!) {{ node(id: $id) {{ ... on Ticket {{ {fields} }} }} }}")
    };
    let vars = json!({ "id": t["id"] });
    // The fewest of three: the ticket's creation left jobs that the app's runtime may run
    // while a count is taken.
    let plain = app
        .fewest_statements_for(token, &node("title"), vars.clone())
        .await;
    let valued = app
        .fewest_statements_for(
            token,
            &node("title value { amount currency }"),
            vars.clone(),
        )
        .await;
    // One statement more: the pipeline's currency.
    assert_eq!(valued, plain + 1, "{plain} then {valued}");
    let r = app
        .gql(
            Some(token),
            &node("value { amount currency } lane { ticketValue { currency } }"),
            vars,
        )
        .await
        .ok();
    assert_eq!(
        r.data("node.value"),
        &json!({ "amount": 500, "currency": "EUR" })
    );
    assert_eq!(r.data("node.lane.ticketValue.currency"), &json!("EUR"));
    // A move's payload too.
    let mv = |fields: &str| {
        format!(
            "mutation($t: ID!, $l: ID!) {{ ticketMove(input: {{ ticketId: $t, laneId: $l }}) {{ ticket {{ {fields} }} }} }}"
        )
    };
    let to = |i: usize| json!({ "t": t["id"], "l": p["lanes"][i]["id"] });
    let plain = app.statements_for(token, &mv("id"), to(1)).await;
    let valued = app
        .statements_for(token, &mv("id value { currency }"), to(2))
        .await;
    assert_eq!(valued, plain + 1, "{plain} then {valued}");
}

#[tokio::test]
async fn a_pipeline_node_brings_its_lanes_in_order_in_its_own_statement() {
    let app = spawn_app().await;
    let w = app.world().await;
    let names = ["A", "B", "C", "D"];
    let p = pipeline(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Sales", "lanes": names }),
    )
    .await;
    let token = &w.owner.access;
    // D moves to the top and B after C: rank order is no longer creation order.
    let lane_move = "mutation($l: ID!, $a: ID) { laneMove(input: { laneId: $l, afterLaneId: $a }) { userErrors { code } } }";
    for (l, a) in [(3, None), (1, Some(2))] {
        let after = a.map(|i: usize| p["lanes"][i]["id"].clone());
        let r = app
            .gql(
                Some(token),
                lane_move,
                json!({ "l": p["lanes"][l]["id"], "a": after }),
            )
            .await
            .ok();
        assert_eq!(r.user_errors("laneMove"), vec![], "{}", r.body);
    }
    let node = |fields: &str| {
        format!("query($id: ID!) {{ node(id: $id) {{ ... on Pipeline {{ {fields} }} }} }}")
    };
    let vars = json!({ "id": p["id"] });
    let r = app
        .gql(Some(token), &node("lanes { name }"), vars.clone())
        .await
        .ok();
    let order: Vec<&str> = r
        .data("node.lanes")
        .as_array()
        .expect("lanes")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(order, ["D", "A", "C", "B"]);
    // The same lanes as the list of pipelines reads them (through the lanes loader).
    let listed = app
        .gql(
            Some(token),
            "query($s: ID!) { pipelines(subAccountId: $s) { id lanes { id name } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    let listed = listed
        .data("pipelines")
        .as_array()
        .expect("pipelines")
        .iter()
        .find(|l| l["id"] == p["id"])
        .expect("listed")["lanes"]
        .clone();
    let full = app
        .gql(Some(token), &node("lanes { id name }"), vars.clone())
        .await
        .ok();
    assert_eq!(&listed, full.data("node.lanes"));
    // The lanes cost no statement of their own.
    let plain = app.statements_for(token, &node("name"), vars.clone()).await;
    let with_lanes = app
        .statements_for(token, &node("name lanes { name }"), vars.clone())
        .await;
    assert_eq!(plain, with_lanes);
    // Someone who holds nothing in the sub-account finds neither the pipeline nor its lanes.
    let outsider = app.user("gardener@gardens.test").await;
    app.grant_in(&outsider.user_id, &w.gardens, Role::SubaccountAdmin)
        .await;
    let r = app
        .gql(
            Some(&outsider.access),
            &node("name lanes { id name }"),
            vars,
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
    assert_eq!(r.body["data"]["node"], json!(null));
}
