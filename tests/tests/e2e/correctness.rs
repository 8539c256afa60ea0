//! API correctness: counts that are counted, query cost that grows with page size, input the
//! databases cannot store refused alike on both, request shapes refused clearly, and messages
//! that say what is wrong.

use serde_json::json;
use tests::spawn_app;

#[tokio::test]
async fn task_comment_change_and_note_totals_are_counted() {
    let app = spawn_app().await;
    let w = app.world().await;
    let q = |query: &'static str, vars: serde_json::Value| {
        let token = w.owner.access.clone();
        let app = &app;
        async move { app.gql(Some(&token), query, vars).await.ok() }
    };
    let made = q(
        "mutation($s: ID!) { a: taskCreate(input: { subAccountId: $s, title: \"A\" }) { task { id } } b: taskCreate(input: { subAccountId: $s, title: \"B\" }) { task { id } } c: taskCreate(input: { subAccountId: $s, title: \"C\" }) { task { id } } p: pipelineCreate(input: { subAccountId: $s, name: \"P\" }) { pipeline { lanes { id } } } }",
        json!({ "s": w.dental }),
    )
    .await;
    let task = made.data("a.task.id").as_str().expect("task").to_owned();
    let lane = made.data("p.pipeline.lanes")[0]["id"].clone();
    let more = q(
        "mutation($t: ID!, $l: ID!) { c1: taskCommentAdd(input: { taskId: $t, body: \"1\" }) { comment { id } } c2: taskCommentAdd(input: { taskId: $t, body: \"2\" }) { comment { id } } u: taskUpdate(id: $t, input: { title: \"A2\" }) { task { id } } d: ticketCreate(input: { laneId: $l, title: \"D\" }) { ticket { id } } }",
        json!({ "t": task, "l": lane }),
    )
    .await;
    let ticket = more
        .data("d.ticket.id")
        .as_str()
        .expect("ticket")
        .to_owned();
    for body in ["x", "y", "z"] {
        q(
            "mutation($d: ID!, $b: String!) { ticketNoteAdd(input: { ticketId: $d, body: $b }) { note { id } } }",
            json!({ "d": ticket, "b": body }),
        )
        .await;
    }
    let r = q(
        "query($s: ID!, $t: ID!, $d: ID!) { tasks(subAccountId: $s, first: 1) { totalCount } t: node(id: $t) { ... on Task { comments(first: 1) { totalCount } history(first: 1) { totalCount } } } d: node(id: $d) { ... on Ticket { notes(first: 1) { totalCount } } } }",
        json!({ "s": w.dental, "t": task, "d": ticket }),
    )
    .await;
    let sub = tests::uuid_of(&w.dental);
    let t = tests::uuid_of(&task);
    let d = tests::uuid_of(&ticket);
    let tasks = app
        .count_where("tasks", "sub_account_id = $1 AND parent_id IS NULL", sub)
        .await;
    assert_eq!(tasks, 3);
    assert_eq!(r.data("tasks.totalCount"), tasks);
    assert_eq!(
        r.data("t.comments.totalCount"),
        app.count_where("task_comments", "task_id = $1", t).await
    );
    let changes = app.count_where("task_history", "task_id = $1", t).await;
    assert!(changes > 0);
    assert_eq!(r.data("t.history.totalCount"), changes);
    assert_eq!(
        r.data("d.notes.totalCount"),
        app.count_where("ticket_notes", "ticket_id = $1", d).await
    );
    assert_eq!(r.data("d.notes.totalCount"), 3);
}

/// A refusal's limit, maximum and value.
fn limit_of(r: &tests::Gql) -> (u16, &str, String, u64, u64) {
    let e = &r.body["errors"][0];
    (
        r.status,
        e["extensions"]["code"].as_str().unwrap_or_default(),
        e["extensions"]["limit"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        e["extensions"]["max"].as_u64().unwrap_or_default(),
        e["extensions"]["actual"].as_u64().unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_query_costs_its_page_sizes_and_a_dashboard_still_passes() {
    let app = spawn_app().await;
    let w = app.world().await;
    // 30 aliases of 100 contacts, each with 100 timeline entries: 300,000 objects.
    let aliases: String = (0..30)
        .map(|i| format!("c{i}: contacts(subAccountId: $s, first: 100) {{ nodes {{ id timeline(first: 100) {{ nodes {{ id }} }} }} }} "))
        .collect();
    let query = format!("query($s: ID!) {{ {aliases} }}");
    let r = app
        .gql(Some(&w.owner.access), &query, json!({ "s": w.dental }))
        .await;
    let (status, code, limit, max, actual) = limit_of(&r);
    assert_eq!(
        (status, code, limit.as_str(), max),
        (400, "BAD_USER_INPUT", "cost", 5000),
        "{}",
        r.body
    );
    assert!(actual > 300_000, "{actual}");
    // One field repeated without aliases costs each time it is written.
    let repeated = "contacts(subAccountId: $s, first: 100) { nodes { id } } ".repeat(50);
    let r = app
        .gql(
            Some(&w.owner.access),
            &format!("query($s: ID!) {{ {repeated} }}"),
            json!({ "s": w.dental }),
        )
        .await;
    assert_eq!(limit_of(&r).2, "cost", "{}", r.body);
    // A page size in a variable counts as well.
    let r = app
        .gql(Some(&w.owner.access), "query($s: ID!, $n: Int) { contacts(subAccountId: $s, first: $n) { nodes { id timeline(first: $n) { nodes { id } } } } }", json!({ "s": w.dental, "n": 100 }))
        .await;
    assert_eq!(limit_of(&r).2, "cost", "{}", r.body);
    // A dashboard: a page of 50 contacts with owner and tags, and the sub-accounts.
    let r = app
        .gql(Some(&w.owner.access), "query($s: ID!) { contacts(subAccountId: $s, first: 50) { totalCount nodes { id firstName lastName email owner { id name } tags { id name } } pageInfo { hasNextPage endCursor } } viewer { id email } }", json!({ "s": w.dental }))
        .await
        .ok();
    assert!(r.body.get("errors").is_none(), "{}", r.body);
}

#[tokio::test]
async fn depth_aliases_and_cost_refusals_share_one_shape() {
    let app = tests::spawn_app_with(|c| {
        c.max_depth = 3;
        c.max_aliases = 2;
        c.max_complexity = 10;
    })
    .await;
    let deep = app
        .gql(
            None,
            "{ apiKeys(scopeId: \"plt_00000000000000000000000000000000\") { edges { node { scope { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        limit_of(&deep),
        (400, "BAD_USER_INPUT", "depth".into(), 3, 5),
        "{}",
        deep.body
    );
    let aliased = app
        .gql(
            None,
            "{ a: viewer { id } b: viewer { id } c: viewer { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        limit_of(&aliased),
        (400, "BAD_USER_INPUT", "aliases".into(), 2, 3)
    );
    let costly = app
        .gql(
            None,
            "{ apiKeys(scopeId: \"plt_00000000000000000000000000000000\", first: 5) { nodes { id name } } }",
            json!({}),
        )
        .await;
    let (status, code, limit, max, actual) = limit_of(&costly);
    assert_eq!(
        (status, code, limit.as_str(), max),
        (400, "BAD_USER_INPUT", "cost", 10)
    );
    assert_eq!(actual, 16, "1 + 5 × (node, id, name)");
    eprintln!("DEBUG {}", costly.body);
    let message = costly.error_message().expect("message");
    assert!(
        message.contains("cost") && message.contains("10"),
        "{message}"
    );
    // At the limits, it runs.
    let r = app
        .gql(
            None,
            "{ a: viewer { id } b: branding(host: \"x\") { name } }",
            json!({}),
        )
        .await;
    assert!(
        r.body["errors"][0]["extensions"]["limit"].is_null(),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_nul_character_is_refused_alike_on_both_databases() {
    let app = spawn_app().await;
    let w = app.world().await;
    let nul = "a\u{0}b";
    let anonymous = [
        (
            "query($v: String!) { branding(host: $v) { name } }",
            json!({ "v": nul }),
        ),
        (
            "mutation($v: String!) { sessionCreate(input: { email: $v, password: \"x\" }) { userErrors { code } } }",
            json!({ "v": nul }),
        ),
        (
            "mutation($v: String!) { passwordResetRequest(input: { email: $v }) { accepted } }",
            json!({ "v": nul }),
        ),
        (
            "mutation($v: String!) { userRegister(input: { email: \"n@example.com\", name: $v, password: \"correct horse battery\" }) { userErrors { code } } }",
            json!({ "v": nul }),
        ),
        // In a literal, as a GraphQL escape.
        ("{ branding(host: \"a\\u0000b\") { name } }", json!({})),
    ];
    for (query, vars) in anonymous {
        let r = app.gql(None, query, vars).await;
        assert_eq!(
            (r.status, r.error_code()),
            (200, Some("BAD_USER_INPUT")),
            "{query}: {}",
            r.body
        );
        assert!(
            r.error_message().expect("message").contains("U+0000"),
            "{}",
            r.body
        );
    }
    let signed_in = [
        "mutation($s: ID!, $v: String!) { tagCreate(input: { subAccountId: $s, name: $v }) { tag { id } } }",
        "query($s: ID!, $v: String!) { contacts(subAccountId: $s, filter: { search: $v }) { totalCount } }",
    ];
    for query in signed_in {
        let r = app
            .gql(
                Some(&w.owner.access),
                query,
                json!({ "s": w.dental, "v": nul }),
            )
            .await;
        assert_eq!(
            r.error_code(),
            Some("BAD_USER_INPUT"),
            "{query}: {}",
            r.body
        );
    }
    assert_eq!(app.count("tags").await, 0, "nothing was stored");
    // With the GraphQL response media type, a request error is a 400.
    let r = app
        .gql_with_headers(
            None,
            "query($v: String!) { branding(host: $v) { name } }",
            json!({ "v": nul }),
            &[("accept", "application/graphql-response+json")],
        )
        .await;
    assert_eq!(r.status, 400);
}

/// Posts a raw body to /graphql.
async fn post(app: &tests::TestApp, body: &str) -> (u16, serde_json::Value) {
    let r = app
        .http
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

#[tokio::test]
async fn batches_and_malformed_requests_are_refused_clearly() {
    let app = spawn_app().await;
    for body in [
        r#"[{"query": "{ viewer { id } }"}]"#,
        r#"["{ viewer { id } }"]"#,
        r#"  [ ]"#,
    ] {
        let (status, r) = post(&app, body).await;
        assert_eq!(status, 400, "{body}");
        assert!(r.get("data").is_none(), "not executed: {r}");
        let message = r["errors"][0]["message"].as_str().expect("message");
        assert!(
            message.starts_with("batched requests are not supported"),
            "{message}"
        );
    }
    let (status, r) = post(&app, r#"{"qeury": "{ viewer { id } }"}"#).await;
    assert_eq!(status, 400);
    let message = r["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("no query") && message.contains("`qeury`"),
        "{message}"
    );
    let (status, r) = post(&app, r#"{"query": ""}"#).await;
    assert_eq!(
        (status, r["errors"][0]["extensions"]["code"].as_str()),
        (400, Some("BAD_USER_INPUT"))
    );
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .expect("m")
            .contains("no query")
    );
    let (_, r) = post(&app, r#"{"query": "{ viewer { id }"}"#).await;
    let message = r["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.starts_with("the query is not valid GraphQL at line 1, column"),
        "{message}"
    );
    assert!(
        !message.contains("-->") && !message.contains('\n'),
        "one line: {message}"
    );
}

#[tokio::test]
async fn messages_say_what_is_wrong() {
    let app = spawn_app().await;
    let w = app.world().await;
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($s: ID!) { contactCreate(input: { subAccountId: $s, firstName: \"a\\tb\" }) { userErrors { field message } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    let e = &r.data("contactCreate.userErrors")[0];
    assert_eq!(e["field"], json!(["input", "firstName"]));
    let message = e["message"].as_str().expect("message");
    assert!(
        message.contains("one line") && message.contains("tabs"),
        "{message}"
    );
    // An id of another type, with the right article.
    let r = app
        .gql(
            Some(&w.admin.access),
            "mutation($id: ID!) { agencyDelete(id: $id) { userErrors { code } } }",
            json!({ "id": w.dental }),
        )
        .await;
    let message = r.error_message().expect("message");
    assert!(message.ends_with("is not an Agency id"), "{message}");
    // A huge id is not echoed whole.
    let huge = format!("con_{}", "x".repeat(10_000));
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": huge }),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert!(
        r.error_message().expect("message").len() < 120,
        "{}",
        r.body
    );
}

/// Runs `make(i)` for i in 0..n through the API, 30 aliased mutations a request; returns the
/// ids at `field` (e.g. `group.id`).
async fn make_many(
    app: &tests::TestApp,
    token: &str,
    n: usize,
    make: impl Fn(usize) -> String,
    field: &str,
) -> Vec<String> {
    let mut ids = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(30) {
        let body: String = chunk
            .iter()
            .map(|i| format!("m{i}: {} ", make(*i)))
            .collect();
        let r = app
            .gql(Some(token), &format!("mutation {{ {body} }}"), json!({}))
            .await
            .ok();
        for i in chunk {
            let (obj, key) = field.split_once('.').expect("field");
            ids.push(
                r.body["data"][format!("m{i}")][obj][key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{}", r.body))
                    .to_owned(),
            );
        }
    }
    ids
}

#[tokio::test]
async fn plain_lists_stay_bounded() {
    let app = spawn_app().await;
    let w = app.world().await;
    let s = &w.dental;
    for (create, payload, what) in [
        ("taskGroupCreate", "group", "task groups"),
        ("taskCategoryCreate", "category", "task categories"),
        ("ideaBoardCreate", "board", "idea boards"),
    ] {
        let make = |i: usize| {
            format!(
                "{create}(input: {{ subAccountId: \"{s}\", name: \"n{i}\" }}) {{ {payload} {{ id }} }}"
            )
        };
        make_many(&app, &w.owner.access, 200, make, &format!("{payload}.id")).await;
        let r = app
            .gql(
                Some(&w.owner.access),
                &format!(
                    "mutation {{ {} }}",
                    make(200).replace(
                        &format!("{{ {payload} {{ id }} }}"),
                        &format!("{{ {payload} {{ id }} userErrors {{ code message }} }}")
                    )
                ),
                json!({}),
            )
            .await
            .ok();
        assert_eq!(
            r.user_error_codes(create),
            vec!["LIMIT_REACHED".to_owned()],
            "{what}"
        );
    }
    let link = |i: usize| {
        format!(
            "workspaceLinkCreate(input: {{ subAccountId: \"{s}\", title: \"l{i}\", url: \"https://l{i}.test\" }}) {{ link {{ id }} userErrors {{ code }} }}"
        )
    };
    make_many(&app, &w.owner.access, 200, link, "link.id").await;
    let r = app
        .gql(
            Some(&w.owner.access),
            &format!("mutation {{ {} }}", link(200)),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("workspaceLinkCreate"),
        vec!["LIMIT_REACHED".to_owned()]
    );

    let tags = make_many(
        &app,
        &w.owner.access,
        201,
        |i| {
            format!(
                "tagCreate(input: {{ subAccountId: \"{s}\", name: \"t{i}\" }}) {{ tag {{ id }} }}"
            )
        },
        "tag.id",
    )
    .await;
    let contact = app
        .create_contact(&w.owner, s, json!({ "firstName": "Many" }))
        .await;
    let add = "mutation($c: ID!, $t: [ID!]!) { contactTagsAdd(input: { contactIds: [$c], tagIds: $t }) { userErrors { code message } } }";
    for part in [&tags[..100], &tags[100..200]] {
        let r = app
            .gql(
                Some(&w.owner.access),
                add,
                json!({ "c": contact, "t": part }),
            )
            .await
            .ok();
        assert_eq!(r.user_error_codes("contactTagsAdd"), Vec::<String>::new());
    }
    let r = app
        .gql(
            Some(&w.owner.access),
            add,
            json!({ "c": contact, "t": [tags[200]] }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("contactTagsAdd"),
        vec!["LIMIT_REACHED".to_owned()]
    );
    assert_eq!(
        app.count_where("contact_tags", "contact_id = $1", tests::uuid_of(&contact))
            .await,
        200,
        "nothing was added"
    );
}

/// The arguments of a call whose `(` is at `open`, split at top-level commas.
fn call_arguments(src: &str, open: usize) -> Vec<String> {
    let mut depth = 0;
    let mut args = vec![String::new()];
    for c in src[open..].chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                args.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = args.last_mut() {
            last.push(c);
        }
    }
    args.into_iter().map(|a| a.trim().to_owned()).collect()
}

#[test]
fn no_connection_is_built_with_a_literal_total() {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let src = std::fs::read_to_string(&path).expect("source");
                for pattern in ["Connection::build(", "Connection::build_with("] {
                    for (at, _) in src.match_indices(pattern) {
                        let args = call_arguments(&src, at + pattern.len() - 1);
                        if args
                            .get(2)
                            .is_some_and(|total| total.parse::<u64>().is_ok())
                        {
                            found.push(format!("{}: {}", path.display(), args.join(", ")));
                        }
                    }
                }
            }
        }
    }
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let mut found = Vec::new();
    walk(&crates, &mut found);
    assert!(
        found.is_empty(),
        "a connection's totalCount is a literal: {found:#?}"
    );
}
