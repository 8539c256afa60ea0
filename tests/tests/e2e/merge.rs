//! CRM duplicates and merging.

use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const MERGE: &str = "mutation($s: ID!, $m: ID!) { contactMerge(input: { survivorId: $s, mergedId: $m }) { contact { id firstName lastName email phone company address { city } tags { name } customValues { field { name } text } timeline { nodes { body } } } userErrors { field code } } }";

async fn contact(app: &TestApp, who: &Session, sub: &str, input: Value) -> String {
    app.create_contact(who, sub, input).await
}

async fn mutate(app: &TestApp, who: &Session, q: &str, vars: Value) -> tests::Gql {
    app.gql(Some(&who.access), q, vars).await.ok()
}

#[tokio::test]
async fn duplicates_are_found_and_merged_keeping_everything() {
    let app = spawn_app().await;
    let tests::World {
        owner,
        dental,
        gardens,
        ..
    } = app.world().await;

    let r = mutate(&app, &owner, "mutation($s: ID!) { customFieldCreate(input: { subAccountId: $s, name: \"Plan\", kind: TEXT }) { customField { id } } }", json!({ "s": dental })).await;
    let plan = r.data("customFieldCreate.customField.id").clone();
    let r = mutate(&app, &owner, "mutation($s: ID!) { customFieldCreate(input: { subAccountId: $s, name: \"Size\", kind: TEXT }) { customField { id } } }", json!({ "s": dental })).await;
    let size = r.data("customFieldCreate.customField.id").clone();

    let keep = contact(&app, &owner, &dental, json!({ "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "customValues": [{ "fieldId": plan, "text": "gold" }] })).await;
    let dup = contact(&app, &owner, &dental, json!({ "firstName": "ADA", "lastName": "lovelace", "phone": "+14155552671", "company": "Engines", "address": { "city": "London" }, "customValues": [{ "fieldId": plan, "text": "silver" }, { "fieldId": size, "text": "L" }] })).await;
    let by_email = contact(
        &app,
        &owner,
        &dental,
        json!({ "firstName": "Countess", "email": "ada@example.com" }),
    )
    .await;
    contact(
        &app,
        &owner,
        &dental,
        json!({ "firstName": "Bob", "email": "bob@example.com" }),
    )
    .await;
    let elsewhere = contact(
        &app,
        &owner,
        &gardens,
        json!({ "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com" }),
    )
    .await;

    let r = mutate(
        &app,
        &owner,
        "query($s: ID!) { contactDuplicates(subAccountId: $s) { reason key contacts { id } } }",
        json!({ "s": dental }),
    )
    .await;
    let groups = r
        .data("contactDuplicates")
        .as_array()
        .expect("groups")
        .clone();
    let ids = |g: &Value| -> Vec<String> {
        g["contacts"]
            .as_array()
            .expect("contacts")
            .iter()
            .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(
        (groups[0]["reason"].as_str(), groups[0]["key"].as_str()),
        (Some("EMAIL"), Some("ada@example.com"))
    );
    assert_eq!(ids(&groups[0]), [keep.clone(), by_email.clone()]);
    assert_eq!(
        (groups[1]["reason"].as_str(), groups[1]["key"].as_str()),
        (Some("NAME"), Some("lovelace, ada"))
    );
    assert_eq!(ids(&groups[1]), [keep.clone(), dup.clone()]);

    // Tags, notes and values on both.
    let r = mutate(&app, &owner, "mutation($s: ID!) { a: tagCreate(input: { subAccountId: $s, name: \"vip\" }) { tag { id } } b: tagCreate(input: { subAccountId: $s, name: \"lead\" }) { tag { id } } }", json!({ "s": dental })).await;
    let (vip, lead) = (r.data("a.tag.id").clone(), r.data("b.tag.id").clone());
    mutate(&app, &owner, "mutation($c: [ID!]!, $t: [ID!]!) { contactTagsAdd(input: { contactIds: $c, tagIds: $t }) { userErrors { code } } }", json!({ "c": [keep], "t": [vip] })).await;
    mutate(&app, &owner, "mutation($c: [ID!]!, $t: [ID!]!) { contactTagsAdd(input: { contactIds: $c, tagIds: $t }) { userErrors { code } } }", json!({ "c": [dup], "t": [vip, lead] })).await;
    for (c, body) in [(&keep, "first note"), (&dup, "second note")] {
        mutate(&app, &owner, "mutation($c: ID!, $b: String!) { contactNoteAdd(input: { contactId: $c, body: $b }) { userErrors { code } } }", json!({ "c": c, "b": body })).await;
    }

    // Refusals: itself, across sub-accounts, a missing contact; nothing changes.
    let events = app.count("events").await;
    let r = mutate(&app, &owner, MERGE, json!({ "s": keep, "m": keep })).await;
    assert_eq!(r.user_error_codes("contactMerge"), ["INVALID"]);
    let r = mutate(&app, &owner, MERGE, json!({ "s": keep, "m": elsewhere })).await;
    assert_eq!(r.user_error_codes("contactMerge"), ["NOT_ALLOWED"]);
    let r = app
        .gql(
            Some(&owner.access),
            MERGE,
            json!({ "s": keep, "m": "con_01900000-0000-7000-8000-000000000000" }),
        )
        .await;
    assert!(r.error_code().is_some(), "{}", r.body);
    assert_eq!(app.count("events").await, events);

    let r = mutate(&app, &owner, MERGE, json!({ "s": keep, "m": dup })).await;
    assert_eq!(
        r.user_error_codes("contactMerge"),
        Vec::<String>::new(),
        "{}",
        r.body
    );
    let c = r.data("contactMerge.contact");
    assert_eq!(
        (
            c["firstName"].as_str(),
            c["email"].as_str(),
            c["phone"].as_str(),
            c["company"].as_str()
        ),
        (
            Some("Ada"),
            Some("ada@example.com"),
            Some("+14155552671"),
            Some("Engines")
        )
    );
    assert_eq!(c["address"]["city"], "London");
    let mut tags: Vec<&str> = c["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    tags.sort_unstable();
    assert_eq!(tags, ["lead", "vip"]);
    let mut values: Vec<(String, String)> = c["customValues"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| {
            (
                v["field"]["name"].as_str().unwrap_or_default().to_owned(),
                v["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    values.sort();
    assert_eq!(
        values,
        [
            ("Plan".to_owned(), "gold".to_owned()),
            ("Size".to_owned(), "L".to_owned())
        ]
    );
    let mut notes: Vec<&str> = c["timeline"]["nodes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["body"].as_str())
        .collect();
    notes.sort_unstable();
    assert_eq!(notes, ["first note", "second note"]);

    // The merged contact is gone for good, and points at the survivor.
    let r = app
        .gql(
            Some(&owner.access),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": dup }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = mutate(
        &app,
        &owner,
        "mutation($id: ID!) { contactRestore(id: $id) { userErrors { code } } }",
        json!({ "id": dup }),
    )
    .await;
    assert_eq!(r.user_error_codes("contactRestore"), ["NOT_ALLOWED"]);
    assert_eq!(
        app.count("contacts WHERE merged_into_id IS NOT NULL AND deleted_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        app.count("events WHERE event_type = 'contact.merged'")
            .await,
        1
    );
    let r = mutate(
        &app,
        &owner,
        "query($s: ID!) { contactDuplicates(subAccountId: $s) { reason } }",
        json!({ "s": dental }),
    )
    .await;
    assert_eq!(r.data("contactDuplicates"), &json!([{ "reason": "EMAIL" }]));
}

/// Every column named `contact_id` outside the CRM's own tables must be listed in
/// `crm::service::merge::REFERENCES`, or a merge would leave it pointing at a deleted contact.
#[tokio::test]
async fn every_reference_to_a_contact_is_repointed_by_merges() {
    let app = spawn_app().await;
    let own = "('contact_tags', 'contact_activities', 'contact_field_values')";
    let listed: Vec<String> = crm::service::merge::REFERENCES
        .iter()
        .map(|(t, _)| format!("'{t}'"))
        .collect();
    let listed = if listed.is_empty() {
        "('')".to_owned()
    } else {
        format!("({})", listed.join(", "))
    };
    let unlisted = if app.runtime_connection().await.is_some() {
        app.count(&format!("information_schema.columns WHERE table_schema = 'public' AND column_name = 'contact_id' AND table_name NOT IN {own} AND table_name NOT IN {listed}")).await
    } else {
        app.count(&format!("sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'contact_id' AND m.name NOT IN {own} AND m.name NOT IN {listed}")).await
    };
    assert_eq!(unlisted, 0);
    // The check itself sees the CRM's own references.
    let seen = if app.runtime_connection().await.is_some() {
        app.count(&format!("information_schema.columns WHERE table_schema = 'public' AND column_name = 'contact_id' AND table_name IN {own}")).await
    } else {
        app.count(&format!("sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'contact_id' AND m.name IN {own}")).await
    };
    assert_eq!(seen, 3);
}

#[tokio::test]
async fn opposite_merges_at_once_leave_one_contact_and_no_internal_error() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let dental = app.sub_account(&owner, &agency, "Dental").await;
    let merge = "mutation($s: ID!, $m: ID!) { contactMerge(input: { survivorId: $s, mergedId: $m }) { contact { id } userErrors { code } } }";
    for round in 0..5 {
        let a = contact(
            &app,
            &owner,
            &dental,
            json!({ "firstName": format!("Ann{round}") }),
        )
        .await;
        let b = contact(
            &app,
            &owner,
            &dental,
            json!({ "firstName": format!("Bea{round}") }),
        )
        .await;
        let (x, y) = tokio::join!(
            app.gql(Some(&owner.access), merge, json!({ "s": a, "m": b })),
            app.gql(Some(&owner.access), merge, json!({ "s": b, "m": a })),
        );
        let merged = |g: &tests::Gql| g.body["data"]["contactMerge"]["contact"]["id"].is_string();
        assert_eq!(
            [merged(&x), merged(&y)].iter().filter(|m| **m).count(),
            1,
            "exactly one merge wins: {} / {}",
            x.body,
            y.body
        );
        let loser = if merged(&x) { &y } else { &x };
        assert_eq!(
            loser.body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "the other finds its contact merged away: {}",
            loser.body
        );
        let r = mutate(
            &app,
            &owner,
            "query($s: ID!) { contacts(subAccountId: $s, first: 100) { nodes { firstName } } }",
            json!({ "s": dental }),
        )
        .await;
        let names: Vec<String> = r
            .data("contacts.nodes")
            .as_array()
            .expect("nodes")
            .iter()
            .filter_map(|n| n["firstName"].as_str().map(str::to_owned))
            .filter(|n| n.ends_with(&round.to_string()))
            .collect();
        assert_eq!(names.len(), 1, "one of the pair remains: {names:?}");
    }
}
