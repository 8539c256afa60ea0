//! CRM contacts: the timeline, a contact's identity and tag names, case folding and full-text
//! search on both databases, and fresh reads within one request.

use super::*;

#[tokio::test]
async fn the_timeline_holds_notes_and_interactions_newest_first() {
    let app = spawn_app().await;
    let w = app.world().await;
    let c = contact(&app, &w.owner, &w.dental, json!({ "firstName": "Ada" })).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    const NOTE: &str = "mutation($i: ContactNoteAddInput!) { contactNoteAdd(input: $i) { activity { id kind body author { email } } userErrors { field code } } }";
    const LOG: &str = "mutation($i: ContactInteractionLogInput!) { contactInteractionLog(input: $i) { activity { id kind direction status subject } userErrors { field code } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            NOTE,
            json!({ "i": { "contactId": c, "body": "  " } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("contactNoteAdd"), vec!["INVALID"]);
    let r = app
        .gql(
            Some(&w.owner.access),
            NOTE,
            json!({ "i": { "contactId": c, "body": "Met at the fair" } }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("contactNoteAdd.activity.author.email"),
        "owner@acme.test"
    );
    let r = app
        .gql(Some(&w.owner.access), LOG, json!({ "i": { "contactId": c, "kind": "EMAIL", "direction": "OUTBOUND", "status": "OPENED", "subject": "Quote", "body": "Here is the quote." } }))
        .await
        .ok();
    assert_eq!(
        r.data("contactInteractionLog.activity"),
        &json!({ "id": r.data("contactInteractionLog.activity.id"), "kind": "EMAIL", "direction": "OUTBOUND", "status": "OPENED", "subject": "Quote" })
    );
    let r = app
        .gql(Some(&w.owner.access), LOG, json!({ "i": { "contactId": c, "kind": "CALL", "direction": "INBOUND", "body": "Called back", "occurredAt": "2099-01-01T00:00:00Z" } }))
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("contactInteractionLog"),
        vec!["INVALID"],
        "not in the future"
    );
    let r = app.gql(Some(&w.owner.access), LOG, json!({ "i": { "contactId": c, "kind": "CALL", "direction": "INBOUND", "status": "MISSED", "body": "Missed call" } })).await.ok();
    let call = r
        .data("contactInteractionLog.activity.id")
        .as_str()
        .expect("id")
        .to_owned();

    const TIMELINE: &str = "query($id: ID!, $after: String) { node(id: $id) { ... on Contact { timeline(first: 2, after: $after) { totalCount nodes { kind body } pageInfo { hasNextPage endCursor } } } } }";
    let r = app
        .gql(Some(&w.owner.access), TIMELINE, json!({ "id": c }))
        .await
        .ok();
    assert_eq!(r.data("node.timeline.totalCount"), 3);
    assert_eq!(
        r.data("node.timeline.nodes"),
        &json!([{ "kind": "CALL", "body": "Missed call" }, { "kind": "EMAIL", "body": "Here is the quote." }])
    );
    let cursor = r
        .data("node.timeline.pageInfo.endCursor")
        .as_str()
        .expect("cursor")
        .to_owned();
    let r = app
        .gql(
            Some(&w.owner.access),
            TIMELINE,
            json!({ "id": c, "after": cursor }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("node.timeline.nodes"),
        &json!([{ "kind": "NOTE", "body": "Met at the fair" }])
    );
    assert_eq!(r.data("node.timeline.pageInfo.hasNextPage"), false);

    // Another sub-account's staff cannot read or delete it.
    let sibling = app.user("staff@gardens.test").await;
    app.grant_in(&sibling.user_id, &w.gardens, Role::SubaccountUser)
        .await;
    let r = app
        .gql(
            Some(&sibling.access),
            "mutation($id: ID!) { activityDelete(id: $id) { activity { id } } }",
            json!({ "id": call }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { activityDelete(id: $id) { activity { id } } }",
            json!({ "id": call }),
        )
        .await
        .ok();
    assert!(r.data("activityDelete.activity.id").is_string());
    assert_eq!(app.count("contact_activities").await, 2);
    assert_eq!(app.count("events WHERE event_type IN ('contact.note_added', 'contact.interaction_logged', 'contact.activity_deleted')").await, 4);
}

#[tokio::test]
async fn a_contact_keeps_an_identity_and_tag_names_fit() {
    let app = spawn_app().await;
    let w = app.world().await;
    let c = contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Ada", "email": "ada@x.test" }),
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = app
        .gql(
            Some(&w.owner.access),
            UPDATE,
            json!({ "id": c, "i": { "firstName": "", "lastName": "", "email": "", "phone": "" } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("contactUpdate"), vec!["INVALID"]);
    assert_eq!(app.count("contacts WHERE first_name = 'Ada'").await, 1);
    // 50 characters that lowercase into 100 are refused, not an internal error.
    let r = app
        .gql(
            Some(&w.owner.access),
            TAG_CREATE,
            json!({ "i": { "subAccountId": w.dental, "name": "İ".repeat(50) } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("tagCreate"), vec!["INVALID"]);
}

#[tokio::test]
async fn search_folds_case_beyond_ascii_on_every_database() {
    let app = spawn_app().await;
    let w = app.world().await;
    contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Émile", "lastName": "Zola" }),
    )
    .await;
    contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Anna", "lastName": "Ödegaard" }),
    )
    .await;
    let search = |q: &'static str| {
        let app = &app;
        let token = w.owner.access.clone();
        let s = w.dental.clone();
        async move {
            let r = app
                .gql(Some(&token), LIST, json!({ "s": s, "f": { "search": q } }))
                .await
                .ok();
            r.data("contacts.nodes")
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n["firstName"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("é").await, vec!["Émile"]);
    assert_eq!(search("ÉMI").await, vec!["Émile"]);
    assert_eq!(search("öde").await, vec!["Anna"]);
}

/// Loaders cache per request; a later mutation of the same request must not see what an
/// earlier one loaded.
#[tokio::test]
async fn each_mutation_of_a_request_reads_fresh_related_objects() {
    let app = spawn_app().await;
    let w = app.world().await;
    let c = contact(&app, &w.owner, &w.dental, json!({ "firstName": "Ada" })).await["id"].clone();
    let t = tag(&app, &w.owner, &w.dental, "vip").await;
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($c: [ID!]!, $t: [ID!]!) { a: contactTagsAdd(input: { contactIds: $c, tagIds: $t }) { contacts { tags { name } } } b: contactTagsRemove(input: { contactIds: $c, tagIds: $t }) { contacts { tags { name } } } }",
            json!({ "c": [c], "t": [t] }),
        )
        .await
        .ok();
    assert_eq!(r.data("a.contacts")[0]["tags"], json!([{ "name": "vip" }]));
    assert_eq!(r.data("b.contacts")[0]["tags"], json!([]));
}

#[tokio::test]
async fn full_text_search_finds_words_anywhere_on_both_databases() {
    // The query's document is the index's expression (its columns qualified), or PostgreSQL
    // would not use the index.
    assert_eq!(
        crm::service::contact::FTS_DOCUMENT.replace("contacts.", ""),
        migrations::m20261123_000013_crm_full_text::DOCUMENT
    );
    // Every one of its five columns is qualified (a bare `email` is ambiguous beside `users`).
    assert_eq!(
        crm::service::contact::FTS_DOCUMENT
            .matches("contacts.")
            .count(),
        5
    );
    let app = spawn_app().await;
    let w = app.world().await;
    for (first, last, company, city) in [
        ("Ada", "Lovelace", "Analytical Engines", "London"),
        ("Charles", "Babbage", "Difference Engines", "Cambridge"),
        ("Grace", "Hopper", "Navy", "Arlington"),
        ("Cal", "Émile", "Ateliers", "Paris"),
    ] {
        contact(
            &app,
            &w.owner,
            &w.dental,
            json!({ "firstName": first, "lastName": last, "company": company, "address": { "city": city } }),
        )
        .await;
    }
    let find = |text: &'static str| {
        let app = &app;
        let w = &w;
        async move {
            let r = app
                .gql(
                    Some(&w.owner.access),
                    "query($s: ID!, $t: String) { contacts(subAccountId: $s, filter: { text: $t }) { nodes { firstName } } }",
                    json!({ "s": w.dental, "t": text }),
                )
                .await
                .ok();
            r.data("contacts.nodes")
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n["firstName"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find("engines").await, ["Ada", "Charles"]);
    assert_eq!(find("ENGINE ada").await, ["Ada"]);
    assert_eq!(find("lovelace, london!").await, ["Ada"]);
    assert_eq!(find("ÉMILE").await, ["Cal"]);
    assert_eq!(find("hopper engines").await, Vec::<String>::new());
    // Punctuation alone is no filter (and never a tsquery syntax error).
    assert_eq!(find("&|!:*()'").await.len(), 4);
}

/// Qualified, the filter's document still matches the index's expression: as the database's
/// owner, which row-level security does not bind, the plan uses the index. (Under row-level
/// security PostgreSQL uses no index for `@@`, which is not leakproof: the server's reads filter
/// the sub-account's contacts instead.)
#[tokio::test]
async fn the_full_text_filter_with_qualified_columns_matches_the_index() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = spawn_app().await;
    if app.pg_addr().is_none() {
        return; // The index is PostgreSQL's.
    }
    let txn = app.db.begin().await.expect("begin");
    txn.execute_unprepared("SET LOCAL enable_seqscan = off")
        .await
        .expect("set");
    let plan = txn
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "EXPLAIN SELECT contacts.id FROM contacts LEFT JOIN users ON users.id = contacts.owner_id WHERE {} @@ to_tsquery('simple', 'ada:*')",
                crm::service::contact::FTS_DOCUMENT
            ),
        ))
        .await
        .expect("explain");
    let plan: Vec<String> = plan
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("plan line"))
        .collect();
    assert!(
        plan.iter().any(|l| l.contains("contacts_full_text")),
        "the plan does not use the index: {plan:#?}"
    );
}
