//! CRM contacts: a page's owners come joined to its statement, under each kind of filter (name
//! and email prefixes, full text, status, source, owner, dates, custom values, a tag) and every
//! order, forwards and backwards through the keyset, on slim pages and whole ones (every column a
//! contact condition names is qualified, so neither the page's subquery nor the join makes one
//! ambiguous).

use super::*;

const PAGE: &str = "query($s: ID!, $f: ContactFilterInput, $o: ContactSortOrder, $n: Int, $a: String, $l: Int, $b: String) { contacts(subAccountId: $s, filter: $f, sort: $o, first: $n, after: $a, last: $l, before: $b) { nodes { firstName owner { email } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }";
/// [`PAGE`] with a field outside `crm::SLIM_PAGE_FIELDS`: the page selects whole contacts.
const WHOLE: &str = "query($s: ID!, $f: ContactFilterInput, $o: ContactSortOrder, $n: Int, $a: String, $l: Int, $b: String) { contacts(subAccountId: $s, filter: $f, sort: $o, first: $n, after: $a, last: $l, before: $b) { nodes { firstName status owner { email } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }";
const BARE: &str = "query($s: ID!, $f: ContactFilterInput, $o: ContactSortOrder, $n: Int, $a: String, $l: Int, $b: String) { contacts(subAccountId: $s, filter: $f, sort: $o, first: $n, after: $a, last: $l, before: $b) { nodes { firstName } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }";

#[tokio::test]
async fn every_filter_and_order_lists_the_same_contacts_with_their_owners() {
    let app = spawn_app().await;
    let w = app.world().await;
    let seller = app.user("seller@dental.test").await;
    app.grant_in(&seller.user_id, &w.dental, Role::SubaccountUser)
        .await;
    let field = custom_field(&app, &w.owner, &w.dental, "Plan", "TEXT").await;
    let tag = tag(&app, &w.owner, &w.dental, "VIP").await;
    let mut ids = Vec::new();
    for (i, (first, email, city)) in [
        ("Ada", "ada@engines.test", "London"),
        ("Alan", "alan@engines.test", "Wilmslow"),
        ("Grace", "grace@navy.test", "Arlington"),
        ("Edsger", "edsger@engines.test", "Nuenen"),
        ("Barbara", "barbara@mit.test", "Boston"),
    ]
    .into_iter()
    .enumerate()
    {
        let owner = [&w.owner.user_id, &seller.user_id][i % 2];
        let c = contact(&app, &w.owner, &w.dental, json!({ "firstName": first, "lastName": "X", "email": email, "address": { "city": city }, "status": "QUALIFIED", "ownerId": owner, "customValues": [{ "fieldId": field, "text": "gold" }] })).await;
        if first != "Grace" {
            ids.push(c["id"].clone());
        }
    }
    app.gql(
        Some(&w.owner.access),
        TAGS_ADD,
        json!({ "i": { "contactIds": ids, "tagIds": [tag] } }),
    )
    .await
    .ok();
    let filters = [
        json!({}),
        json!({ "search": "a" }),
        json!({ "search": "alan@" }),
        // Every contact's last name (on PostgreSQL the `simple` parser keeps an email address
        // whole, so a word of one would match nothing there).
        json!({ "text": "x" }),
        json!({ "status": "QUALIFIED" }),
        json!({ "ownerId": seller.user_id }),
        json!({ "createdFrom": "2000-01-01T00:00:00Z" }),
        json!({ "createdBefore": "2999-01-01T00:00:00Z", "source": "MANUAL" }),
        json!({ "customFields": [{ "fieldId": field, "equals": "gold" }] }),
        json!({ "tagId": tag, "status": "QUALIFIED" }),
    ];
    let owners: std::collections::HashMap<&str, &str> = [
        ("Ada", "owner@acme.test"),
        ("Alan", "seller@dental.test"),
        ("Grace", "owner@acme.test"),
        ("Edsger", "seller@dental.test"),
        ("Barbara", "owner@acme.test"),
    ]
    .into();
    for f in filters {
        for o in [
            "CREATED_ASC",
            "CREATED_DESC",
            "UPDATED_DESC",
            "NAME_ASC",
            "NAME_DESC",
        ] {
            // Two pages each way: the second goes through the keyset condition.
            for (backward, query) in [(false, PAGE), (true, PAGE), (false, WHOLE), (true, WHOLE)] {
                let mut cursor = Value::Null;
                for page in 0..2 {
                    let vars = if backward {
                        json!({ "s": w.dental, "f": f, "o": o, "l": 2, "b": cursor })
                    } else {
                        json!({ "s": w.dental, "f": f, "o": o, "n": 2, "a": cursor })
                    };
                    let joined = app
                        .gql(Some(&w.owner.access), query, vars.clone())
                        .await
                        .ok();
                    let bare = app.gql(Some(&w.owner.access), BARE, vars).await.ok();
                    let nodes = joined.data("contacts.nodes").as_array().expect("nodes");
                    let names: Vec<&Value> = nodes.iter().map(|n| &n["firstName"]).collect();
                    let bare_names: Vec<&Value> = bare
                        .data("contacts.nodes")
                        .as_array()
                        .expect("nodes")
                        .iter()
                        .map(|n| &n["firstName"])
                        .collect();
                    assert_eq!(names, bare_names, "{f} {o}");
                    // The owners' path fetches and cuts its page as the plain one does.
                    assert_eq!(
                        joined.data("contacts.pageInfo"),
                        bare.data("contacts.pageInfo"),
                        "{f} {o}"
                    );
                    assert!(
                        page > 0 || !names.is_empty(),
                        "{f} {o}: every filter matches"
                    );
                    for n in nodes {
                        let name = n["firstName"].as_str().expect("name");
                        assert_eq!(n["owner"]["email"], owners[name], "{f} {o}: {name}");
                        if query == WHOLE {
                            assert_eq!(n["status"], "QUALIFIED", "{f} {o}: {name}");
                        }
                    }
                    cursor = joined
                        .data(if backward {
                            "contacts.pageInfo.startCursor"
                        } else {
                            "contacts.pageInfo.endCursor"
                        })
                        .clone();
                }
            }
        }
    }
}

#[tokio::test]
async fn a_page_shows_its_owners_without_another_statement() {
    let app = spawn_app().await;
    let w = app.world().await;
    for first in ["Ada", "Alan", "Grace"] {
        contact(
            &app,
            &w.owner,
            &w.dental,
            json!({ "firstName": first, "ownerId": w.owner.user_id }),
        )
        .await;
    }
    contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Nobody's" }),
    )
    .await;
    let vars = json!({ "s": w.dental, "o": "NAME_DESC", "n": 2 });
    let bare = app
        .fewest_statements_for(&w.owner.access, BARE, vars.clone())
        .await;
    let joined = app
        .fewest_statements_for(&w.owner.access, PAGE, vars.clone())
        .await;
    assert!(bare > 0, "the counter counts");
    assert_eq!(joined, bare, "the owners come with the page");
    let r = app.gql(Some(&w.owner.access), PAGE, vars).await.ok();
    assert_eq!(
        r.data("contacts.nodes"),
        &json!([{ "firstName": "Nobody's", "owner": null }, { "firstName": "Grace", "owner": { "email": "owner@acme.test" } }])
    );
}
