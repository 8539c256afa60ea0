//! CRM contacts: create, change, delete and restore, search and filters, and the refusals.

mod owners;
mod slim;
mod tags;
mod timeline_and_text;

use kernel::Role;
use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const CONTACT: &str = "id firstName lastName email phone source status owner { email } doNotText";
const CREATE: &str = "mutation($i: ContactCreateInput!) { contactCreate(input: $i) { contact { id firstName lastName email phone source status owner { email } doNotText } userErrors { field code message } } }";
const UPDATE: &str = "mutation($id: ID!, $i: ContactUpdateInput!) { contactUpdate(id: $id, input: $i) { contact { firstName status owner { email } company } userErrors { field code } } }";
const TAG_CREATE: &str = "mutation($i: TagCreateInput!) { tagCreate(input: $i) { tag { id name color } userErrors { field code } } }";
const TAGS_ADD: &str = "mutation($i: ContactTagsInput!) { contactTagsAdd(input: $i) { contacts { tags { name } } userErrors { code } } }";
const LIST: &str = "query($s: ID!, $f: ContactFilterInput) { contacts(subAccountId: $s, filter: $f) { totalCount nodes { firstName } } }";

async fn contact(app: &TestApp, who: &Session, sub: &str, input: Value) -> Value {
    app.create_contact_selecting(who, sub, input, CONTACT).await
}

/// A new custom field of `sub` (its id).
async fn custom_field(app: &TestApp, who: &Session, sub: &str, name: &str, kind: &str) -> Value {
    app.gql(
        Some(&who.access),
        "mutation($s: ID!, $n: String!, $k: CustomFieldKind!) { customFieldCreate(input: { subAccountId: $s, name: $n, kind: $k }) { customField { id } } }",
        json!({ "s": sub, "n": name, "k": kind }),
    )
    .await
    .ok()
    .data("customFieldCreate.customField.id")
    .clone()
}

/// A new tag of `sub` (its id).
async fn tag(app: &TestApp, who: &Session, sub: &str, name: &str) -> Value {
    app.gql(
        Some(&who.access),
        TAG_CREATE,
        json!({ "i": { "subAccountId": sub, "name": name } }),
    )
    .await
    .ok()
    .data("tagCreate.tag.id")
    .clone()
}

#[tokio::test]
async fn contacts_are_created_normalised_changed_deleted_and_restored() {
    let app = spawn_app().await;
    let w = app.world().await;
    let c = contact(&app, &w.owner, &w.dental, json!({ "firstName": " Ada ", "lastName": "Lovelace", "email": "ADA@Example.com", "phone": "+1 (415) 555-2671", "source": "FORM", "doNotText": true, "ownerId": w.owner.user_id })).await;
    assert_eq!(c["firstName"], "Ada");
    assert_eq!(c["email"], "ada@example.com");
    assert_eq!(c["phone"], "+14155552671");
    assert_eq!(
        (c["source"].as_str(), c["status"].as_str()),
        (Some("FORM"), Some("NEW"))
    );
    assert_eq!(c["owner"]["email"], "owner@acme.test");
    assert_eq!(c["doNotText"], true);
    let id = c["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("con_"));
    assert_eq!(
        app.count("events WHERE event_type = 'contact.created'")
            .await,
        1
    );

    let r = app.gql(Some(&w.owner.access), UPDATE, json!({ "id": id, "i": { "status": "QUALIFIED", "company": "Analytical Engines", "ownerId": null } })).await.ok();
    assert_eq!(
        r.data("contactUpdate.contact"),
        &json!({ "firstName": "Ada", "status": "QUALIFIED", "owner": null, "company": "Analytical Engines" })
    );

    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { contactDelete(id: $id) { contact { deletedAt } } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert!(r.data("contactDelete.contact.deletedAt").is_string());
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(Some(&w.owner.access), LIST, json!({ "s": w.dental }))
        .await
        .ok();
    assert_eq!(r.data("contacts.totalCount"), 0);
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { contactRestore(id: $id) { contact { deletedAt } } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert!(r.data("contactRestore.contact.deletedAt").is_null());
    app.gql(
        Some(&w.owner.access),
        "query($id: ID!) { node(id: $id) { ... on Contact { email } } }",
        json!({ "id": id }),
    )
    .await
    .ok();
    assert_eq!(
        app.count("events WHERE event_type LIKE 'contact.%'").await,
        4
    );
}

#[tokio::test]
async fn bad_contact_input_is_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let w = app.world().await;
    let stranger = app.user("stranger@x.test").await;
    let r = app
        .gql(Some(&w.owner.access), CREATE, json!({ "i": { "subAccountId": w.dental, "email": "not-an-email", "phone": "555", "ownerId": stranger.user_id, "firstName": "x".repeat(101) } }))
        .await
        .ok();
    let mut fields: Vec<String> = r
        .data("contactCreate.userErrors")
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"][1].as_str().unwrap_or_default().to_owned())
        .collect();
    fields.sort();
    assert_eq!(fields, vec!["email", "firstName", "ownerId", "phone"]);
    let r = app
        .gql(
            Some(&w.owner.access),
            CREATE,
            json!({ "i": { "subAccountId": w.dental } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("contactCreate"),
        vec!["INVALID"],
        "a contact needs a name, email or phone"
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            CREATE,
            json!({ "i": { "subAccountId": w.dental, "firstName": "A", "status": "MARRIED" } }),
        )
        .await;
    assert_eq!(
        r.error_code(),
        Some("BAD_USER_INPUT"),
        "an unknown enum value is a schema error"
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            CREATE,
            json!({ "i": { "subAccountId": w.agency, "firstName": "A" } }),
        )
        .await;
    assert_eq!(
        r.error_code(),
        Some("BAD_USER_INPUT"),
        "an agency id is not a sub-account id"
    );
    assert_eq!(app.count("contacts").await, 0);
}

#[tokio::test]
async fn search_and_filters() {
    let app = spawn_app().await;
    let w = app.world().await;
    for (first, last, email, status) in [
        ("Ada", "Lovelace", "ada@example.com", "NEW"),
        ("Alan", "Turing", "alan@bletchley.test", "QUALIFIED"),
        ("Grace", "Hopper", "grace@navy.test", "QUALIFIED"),
        ("Percent", "Sign", "100%@x.test", "LOST"),
    ] {
        let email = if email.contains('%') {
            Value::Null
        } else {
            json!(email)
        };
        contact(
            &app,
            &w.owner,
            &w.dental,
            json!({ "firstName": first, "lastName": last, "email": email, "status": status }),
        )
        .await;
    }
    contact(
        &app,
        &w.owner,
        &w.gardens,
        json!({ "firstName": "Adam", "lastName": "Gardener" }),
    )
    .await;
    let names = |r: &tests::Gql| -> Vec<String> {
        r.data("contacts.nodes")
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["firstName"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let list = |f: Value| {
        let app = &app;
        let token = w.owner.access.clone();
        let s = w.dental.clone();
        async move {
            app.gql(Some(&token), LIST, json!({ "s": s, "f": f }))
                .await
                .ok()
        }
    };
    assert_eq!(
        names(&list(json!({ "search": "a" })).await),
        vec!["Ada", "Alan"]
    );
    assert_eq!(
        names(&list(json!({ "search": "HOP" })).await),
        vec!["Grace"]
    );
    assert_eq!(
        names(&list(json!({ "search": "grace@" })).await),
        vec!["Grace"]
    );
    assert_eq!(
        names(&list(json!({ "search": "%" })).await),
        Vec::<String>::new(),
        "wildcards are literal"
    );
    assert_eq!(
        names(&list(json!({ "status": "QUALIFIED" })).await),
        vec!["Alan", "Grace"]
    );
    assert_eq!(
        list(json!({})).await.data("contacts.totalCount"),
        4,
        "the other sub-account's contacts are not listed"
    );
    let page = app.gql(Some(&w.owner.access), "query($s: ID!) { contacts(subAccountId: $s, first: 3) { pageInfo { hasNextPage endCursor } } }", json!({ "s": w.dental })).await.ok();
    let cursor = page
        .data("contacts.pageInfo.endCursor")
        .as_str()
        .expect("cursor")
        .to_owned();
    assert_eq!(page.data("contacts.pageInfo.hasNextPage"), true);
    let rest = app.gql(Some(&w.owner.access), "query($s: ID!, $c: String) { contacts(subAccountId: $s, first: 3, after: $c) { nodes { firstName } pageInfo { hasNextPage } } }", json!({ "s": w.dental, "c": cursor })).await.ok();
    assert_eq!(
        rest.data("contacts.nodes"),
        &json!([{ "firstName": "Percent" }])
    );
}

#[tokio::test]
async fn who_may_read_and_write_contacts() {
    let app = spawn_app().await;
    let w = app.world().await;
    let c = contact(&app, &w.owner, &w.dental, json!({ "firstName": "Ada" })).await;
    let id = c["id"].as_str().expect("id").to_owned();
    // Staff of the sibling sub-account: NOT_FOUND, like a stranger.
    let sibling = app.user("staff@gardens.test").await;
    app.grant_in(&sibling.user_id, &w.gardens, Role::SubaccountUser)
        .await;
    assert_eq!(
        app.gql(Some(&sibling.access), LIST, json!({ "s": w.dental }))
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        app.gql(
            Some(&sibling.access),
            UPDATE,
            json!({ "id": id, "i": { "firstName": "X" } })
        )
        .await
        .error_code(),
        Some("NOT_FOUND")
    );
    // A member who may read but not write.
    let reader = app.user("reader@dental.test").await;
    app.grant_in(&reader.user_id, &w.dental, Role::SubaccountUser)
        .await;
    let list = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { memberships(scopeId: $s) { nodes { id user { email } } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    let m = list
        .data("memberships.nodes")
        .as_array()
        .expect("n")
        .iter()
        .find(|n| n["user"]["email"] == "reader@dental.test")
        .expect("m")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.gql(Some(&w.owner.access), "mutation($id: ID!) { membershipUpdate(id: $id, input: { withhold: [CONTACTS_WRITE] }) { userErrors { code } } }", json!({ "id": m })).await.ok();
    app.gql(Some(&reader.access), LIST, json!({ "s": w.dental }))
        .await
        .ok();
    assert_eq!(
        app.gql(
            Some(&reader.access),
            UPDATE,
            json!({ "id": id, "i": { "firstName": "X" } })
        )
        .await
        .error_code(),
        Some("FORBIDDEN")
    );
    // Platform and reseller staff never read an agency's contacts.
    let admin = app.platform_admin("root2@platform.test").await;
    assert_eq!(
        app.gql(Some(&admin.access), LIST, json!({ "s": w.dental }))
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        app.gql(
            Some(&admin.access),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id })
        )
        .await
        .error_code(),
        Some("NOT_FOUND")
    );
    // An agency user without sub-account access neither.
    let agency_user = app.user("user@acme.test").await;
    app.grant_in(&agency_user.user_id, &w.agency, Role::AgencyUser)
        .await;
    assert_eq!(
        app.gql(Some(&agency_user.access), LIST, json!({ "s": w.dental }))
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
    assert_eq!(app.count("contacts WHERE first_name = 'X'").await, 0);
}

#[tokio::test]
async fn a_page_of_contacts_with_owners_costs_the_same_statements_at_any_size() {
    let app = spawn_app().await;
    let w = app.world().await;
    let other = app.user("seller@dental.test").await;
    app.grant_in(&other.user_id, &w.dental, Role::SubaccountUser)
        .await;
    let mut fields = Vec::new();
    for (name, kind) in [("Plan", "TEXT"), ("Visits", "NUMBER")] {
        fields.push(custom_field(&app, &w.owner, &w.dental, name, kind).await);
    }
    for i in 0..50 {
        let owner = if i % 2 == 0 {
            &w.owner.user_id
        } else {
            &other.user_id
        };
        contact(
            &app,
            &w.owner,
            &w.dental,
            json!({ "firstName": format!("C{i}"), "ownerId": owner, "customValues": [
                { "fieldId": fields[0], "text": format!("plan {i}") },
                { "fieldId": fields[1], "number": i },
            ] }),
        )
        .await;
    }
    // Every contact carries two tags too.
    let mut tags = Vec::new();
    for name in ["vip", "newsletter"] {
        let t = tag(&app, &w.owner, &w.dental, name).await;
        tags.push(t.as_str().expect("tag").to_owned());
    }
    let all = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { contacts(subAccountId: $s, first: 50) { nodes { id } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    let ids: Vec<String> = all
        .data("contacts.nodes")
        .as_array()
        .expect("n")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect();
    app.gql(
        Some(&w.owner.access),
        TAGS_ADD,
        json!({ "i": { "contactIds": ids, "tagIds": tags } }),
    )
    .await
    .ok();
    let q = |n: u32| {
        format!(
            "query($s: ID!) {{ contacts(subAccountId: $s, first: {n}) {{ nodes {{ firstName owner {{ email }} tags {{ name }} customValues {{ field {{ name }} text number }} }} }} }}"
        )
    };
    let small = app
        .statements_for(&w.owner.access, &q(5), json!({ "s": w.dental }))
        .await;
    let large = app
        .statements_for(&w.owner.access, &q(50), json!({ "s": w.dental }))
        .await;
    let page = app
        .gql(Some(&w.owner.access), &q(50), json!({ "s": w.dental }))
        .await
        .ok();
    let nodes = page.data("contacts.nodes").as_array().expect("nodes");
    assert_eq!(nodes.len(), 50);
    assert!(
        nodes
            .iter()
            .all(|n| n["customValues"].as_array().map(Vec::len) == Some(2)
                && n["tags"].as_array().map(Vec::len) == Some(2)
                && n["owner"]["email"].is_string())
    );
    eprintln!(
        "statements for a contacts page with owners, tags and custom values: {small} (5 rows), {large} (50 rows)"
    );
    assert!(small > 0, "the counter counts");
    assert_eq!(
        small, large,
        "owners, tags and custom values are loaded in one batch each, whatever the page size"
    );
}

#[tokio::test]
async fn tags_are_created_attached_filtered_and_removed() {
    let app = spawn_app().await;
    let w = app.world().await;
    let a = contact(&app, &w.owner, &w.dental, json!({ "firstName": "Ada" })).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let b = contact(&app, &w.owner, &w.dental, json!({ "firstName": "Bob" })).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let g = contact(&app, &w.owner, &w.gardens, json!({ "firstName": "Gus" })).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = app
        .gql(
            Some(&w.owner.access),
            TAG_CREATE,
            json!({ "i": { "subAccountId": w.dental, "name": "VIP", "color": "#FF00AA" } }),
        )
        .await
        .ok();
    assert_eq!(r.data("tagCreate.tag.color"), "#ff00aa");
    let vip = r.data("tagCreate.tag.id").as_str().expect("tag").to_owned();
    assert!(vip.starts_with("tag_"));
    let r = app
        .gql(
            Some(&w.owner.access),
            TAG_CREATE,
            json!({ "i": { "subAccountId": w.dental, "name": "vip" } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("tagCreate"), vec!["TAKEN"]);
    let r = app
        .gql(
            Some(&w.owner.access),
            TAG_CREATE,
            json!({ "i": { "subAccountId": w.dental, "name": " ", "color": "red" } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("tagCreate"), vec!["INVALID", "INVALID"]);
    // The same name in another sub-account is another tag.
    let gardens_vip = tag(&app, &w.owner, &w.gardens, "VIP").await;
    let gardens_vip = gardens_vip.as_str().expect("tag").to_owned();

    // All or nothing: a contact or tag of another sub-account spoils the whole call.
    let r = app
        .gql(
            Some(&w.owner.access),
            TAGS_ADD,
            json!({ "i": { "contactIds": [a, g], "tagIds": [vip] } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(
            Some(&w.owner.access),
            TAGS_ADD,
            json!({ "i": { "contactIds": [a], "tagIds": [gardens_vip] } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    assert_eq!(app.count("contact_tags").await, 0);
    let r = app
        .gql(
            Some(&w.owner.access),
            TAGS_ADD,
            json!({ "i": { "contactIds": [a, b, a], "tagIds": [vip] } }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("contactTagsAdd.contacts")
            .as_array()
            .expect("c")
            .len(),
        2
    );
    app.gql(
        Some(&w.owner.access),
        TAGS_ADD,
        json!({ "i": { "contactIds": [a], "tagIds": [vip] } }),
    )
    .await
    .ok();
    assert_eq!(
        app.count("contact_tags").await,
        2,
        "adding twice changes nothing"
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            LIST,
            json!({ "s": w.dental, "f": { "tagId": vip } }),
        )
        .await
        .ok();
    assert_eq!(r.data("contacts.totalCount"), 2);

    app.gql(
        Some(&w.owner.access),
        "mutation($i: ContactTagsInput!) { contactTagsRemove(input: $i) { userErrors { code } } }",
        json!({ "i": { "contactIds": [b], "tagIds": [vip] } }),
    )
    .await
    .ok();
    let r = app
        .gql(
            Some(&w.owner.access),
            LIST,
            json!({ "s": w.dental, "f": { "tagId": vip } }),
        )
        .await
        .ok();
    assert_eq!(r.data("contacts.nodes"), &json!([{ "firstName": "Ada" }]));
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { tagUpdate(id: $id, input: { name: \"Gold\" }) { tag { name } } }",
            json!({ "id": vip }),
        )
        .await
        .ok();
    assert_eq!(r.data("tagUpdate.tag.name"), "Gold");
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($id: ID!) { node(id: $id) { ... on Contact { tags { name } } } }",
            json!({ "id": a }),
        )
        .await
        .ok();
    assert_eq!(r.data("node.tags"), &json!([{ "name": "Gold" }]));
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { tagDelete(id: $id) { tag { id } } }",
        json!({ "id": vip }),
    )
    .await
    .ok();
    assert_eq!(app.count("contact_tags").await, 0);
    let listed = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { tags(subAccountId: $s) { totalCount } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(listed.data("tags.totalCount"), 0);
    assert_eq!(app.count("events WHERE event_type LIKE 'tag.%'").await, 4);
}

const KEY_CREATE: &str =
    "mutation($i: ApiKeyCreateInput!) { apiKeyCreate(input: $i) { secret userErrors { code } } }";
const PIPELINE_CREATE: &str = "mutation($i: PipelineCreateInput!) { pipelineCreate(input: $i) { pipeline { name } userErrors { code } } }";

/// Writing needs the read permission too: a key that may only write is refused.
#[tokio::test]
async fn writing_needs_the_read_permission_too() {
    let app = spawn_app().await;
    let w = app.world().await;
    let key = |permissions: Value| {
        let (app, w) = (&app, &w);
        async move {
            let i = json!({ "scopeId": w.dental, "name": "Sync", "permissions": permissions });
            let r = app
                .gql(Some(&w.owner.access), KEY_CREATE, json!({ "i": i }))
                .await
                .ok();
            r.data("apiKeyCreate.secret")
                .as_str()
                .expect("secret")
                .to_owned()
        }
    };
    let contact = json!({ "i": { "subAccountId": w.dental, "firstName": "Ada" } });
    let pipeline = json!({ "i": { "subAccountId": w.dental, "name": "Sales" } });

    let writer = key(json!(["CONTACTS_WRITE", "PIPELINES_WRITE"])).await;
    let r = app.gql(Some(&writer), CREATE, contact.clone()).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    let r = app
        .gql(Some(&writer), PIPELINE_CREATE, pipeline.clone())
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);

    let both = [
        "CONTACTS_READ",
        "CONTACTS_WRITE",
        "PIPELINES_READ",
        "PIPELINES_WRITE",
    ];
    let editor = key(json!(both)).await;
    let r = app.gql(Some(&editor), CREATE, contact).await.ok();
    assert_eq!(r.data("contactCreate.contact.firstName"), "Ada");
    let r = app.gql(Some(&editor), PIPELINE_CREATE, pipeline).await.ok();
    assert_eq!(r.data("pipelineCreate.pipeline.name"), "Sales");
}
