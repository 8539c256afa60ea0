//! CRM contacts: a page whose contacts show only `crm::SLIM_PAGE_FIELDS` reads 12 of their 26
//! columns. Whatever a page selects, slim or whole, each contact shows its own values and each
//! cursor is the one a whole page gives.

use super::*;

/// The fields a slim page answers.
const SLIM: &str = "id firstName lastName email phone owner { id name } tags { id name } customValues { field { id name } text } createdAt updatedAt";
/// Every field a page may show, but the timeline and the consents (their own pages).
const WHOLE: &str = "id firstName lastName email phone company source status owner { id name } tags { id name } customValues { field { id name } text } address { line1 line2 city region postalCode country } mergedIntoId doNotEmail doNotText doNotCall createdAt updatedAt deletedAt";

/// Two contacts with every field set but their tags, which the first has alone.
async fn two_full_contacts(app: &TestApp, w: &tests::World) -> (String, String) {
    let field = custom_field(app, &w.owner, &w.dental, "Plan", "TEXT").await;
    let mut ids = Vec::new();
    for (first, last) in [("Ada", "Lovelace"), ("Alan", "Turing")] {
        let c = contact(app, &w.owner, &w.dental, json!({ "firstName": first, "lastName": last, "email": format!("{first}@engines.test"), "phone": "+14155552671", "company": "Engines Ltd", "source": "FORM", "status": "QUALIFIED", "ownerId": w.owner.user_id, "doNotEmail": true, "doNotText": true, "doNotCall": true, "address": { "line1": "12 St James's Sq", "line2": "Flat 2", "city": "London", "region": "LDN", "postalCode": "SW1Y 4JH", "country": "GB" }, "customValues": [{ "fieldId": field, "text": "gold" }] })).await;
        ids.push(c["id"].as_str().expect("id").to_owned());
    }
    let tag = tag(app, &w.owner, &w.dental, "VIP").await;
    app.gql(
        Some(&w.owner.access),
        TAGS_ADD,
        json!({ "i": { "contactIds": [ids[0]], "tagIds": [tag] } }),
    )
    .await
    .ok();
    (ids[0].clone(), ids[1].clone())
}

#[tokio::test]
async fn a_pages_contacts_show_their_own_values_slim_or_whole() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (ada, alan) = two_full_contacts(&app, &w).await;
    // And one with nothing but a name: no owner under the owners' join, no tag, no value.
    let grace = contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Grace", "lastName": "Hopper" }),
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let own = |id: String| {
        let app = &app;
        let access = w.owner.access.clone();
        async move {
            let q =
                format!("query($id: ID!) {{ node(id: $id) {{ ... on Contact {{ {WHOLE} }} }} }}");
            app.gql(Some(&access), &q, json!({ "id": id }))
                .await
                .ok()
                .data("node")
                .clone()
        }
    };
    // In the page's order: Hopper, Lovelace, Turing.
    let own = [own(grace).await, own(ada).await, own(alan).await];
    assert_eq!(own[1]["company"], "Engines Ltd", "the contact is whole");
    assert_eq!(own[1]["tags"][0]["name"], "VIP");
    assert_eq!(own[0]["owner"], Value::Null);
    let whole = format!("fragment whole on Contact {{ {WHOLE} }}");
    for (nodes, fragments) in [
        (format!("nodes {{ {SLIM} }}"), ""),
        (format!("nodes {{ {WHOLE} }}"), ""),
        (format!("edges {{ cursor node {{ {SLIM} }} }}"), ""),
        (format!("edges {{ node {{ {WHOLE} }} }}"), ""),
        (format!("nodes {{ ... on Contact {{ {WHOLE} }} }}"), ""),
        ("nodes { ...whole }".to_owned(), whole.as_str()),
        (format!("nodes {{ {SLIM} }} nodes {{ {WHOLE} }}"), ""),
    ]
    .into_iter()
    // Each field a slim page does not answer, alone beside the id: each reads its own column.
    .chain(
        [
            "company",
            "source",
            "status",
            "address { line1 line2 city region postalCode country }",
            "mergedIntoId",
            "doNotEmail",
            "doNotText",
            "doNotCall",
            "deletedAt",
        ]
        .map(|f| (format!("nodes {{ id {f} }}"), "")),
    ) {
        let q = format!(
            "query($s: ID!) {{ contacts(subAccountId: $s, sort: NAME_ASC) {{ {nodes} }} }} {fragments}"
        );
        let r = app
            .gql(Some(&w.owner.access), &q, json!({ "s": w.dental }))
            .await
            .ok();
        let page = r.data("contacts");
        let list = page["nodes"].as_array().or(page["edges"].as_array());
        let shown: Vec<&Value> = list
            .expect("a list")
            .iter()
            .map(|n| {
                if n.get("node").is_some() {
                    &n["node"]
                } else {
                    n
                }
            })
            .collect();
        assert_eq!(shown.len(), 3, "{q}");
        for (n, own) in shown.into_iter().zip(&own) {
            let fields = n.as_object().expect("a contact");
            for (k, v) in fields {
                assert_eq!(v, &own[k.as_str()], "{k} in {q}");
            }
        }
    }
    // A field under another field's name is still that field.
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { contacts(subAccountId: $s, sort: NAME_ASC) { nodes { firstName: company lastName: status } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    let shown: Vec<(&Value, &Value)> = r
        .data("contacts.nodes")
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| (&n["firstName"], &n["lastName"]))
        .collect();
    let expected: Vec<(&Value, &Value)> =
        own.iter().map(|c| (&c["company"], &c["status"])).collect();
    assert_eq!(shown, expected);
}

#[tokio::test]
async fn a_slim_pages_cursors_are_a_whole_pages_in_every_order() {
    let app = spawn_app().await;
    let w = app.world().await;
    two_full_contacts(&app, &w).await;
    contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Grace", "lastName": "Hopper" }),
    )
    .await;
    for o in [
        "CREATED_ASC",
        "CREATED_DESC",
        "UPDATED_DESC",
        "NAME_ASC",
        "NAME_DESC",
    ] {
        let page = |shown: &str, at: &str, cursor: &Value| {
            let q = format!(
                "query($s: ID!, $o: ContactSortOrder, $c: String) {{ contacts(subAccountId: $s, sort: $o, {at}) {{ edges {{ cursor node {{ {shown} }} }} }} }}"
            );
            let vars = json!({ "s": w.dental, "o": o, "c": cursor });
            let app = &app;
            let access = w.owner.access.clone();
            async move {
                let r = app.gql(Some(&access), &q, vars).await.ok();
                let edge = r.data("contacts.edges")[0].clone();
                (edge["cursor"].clone(), edge["node"]["id"].clone())
            }
        };
        // Through all three forwards and backwards, each step from the slim page's cursor.
        for at in ["first: 1, after: $c", "last: 1, before: $c"] {
            let mut cursor = Value::Null;
            let mut seen = Vec::new();
            for _ in 0..3 {
                let slim = page("id firstName", at, &cursor).await;
                let whole = page("id company", at, &cursor).await;
                assert_eq!(slim, whole, "{o} {at}");
                seen.push(slim.1);
                cursor = slim.0;
            }
            seen.sort_by_key(|v| v.to_string());
            seen.dedup();
            assert_eq!(seen.len(), 3, "{o} {at}: every contact once");
        }
    }
}
