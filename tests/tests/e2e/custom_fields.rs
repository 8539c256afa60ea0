//! CRM custom fields, values on contacts, filters on them, sort orders and segments.

use kernel::Role;
use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const FIELD_CREATE: &str = "mutation($i: CustomFieldCreateInput!) { customFieldCreate(input: $i) { customField { id name kind options } userErrors { field code message } } }";
const CONTACT: &str =
    "id address { city country } customValues { field { name } text number date checked options }";
const UPDATE: &str = "mutation($id: ID!, $i: ContactUpdateInput!) { contactUpdate(id: $id, input: $i) { contact { customValues { field { name } text number date checked options } } userErrors { field code message } } }";
const LIST: &str = "query($s: ID!, $f: ContactFilterInput, $o: ContactSortOrder, $first: Int, $after: String) { contacts(subAccountId: $s, filter: $f, sort: $o, first: $first, after: $after) { totalCount nodes { firstName lastName } pageInfo { hasNextPage endCursor } } }";

async fn field(app: &TestApp, who: &Session, sub: &str, input: Value) -> String {
    let mut i = input;
    i["subAccountId"] = json!(sub);
    let r = app
        .gql(Some(&who.access), FIELD_CREATE, json!({ "i": i }))
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("customFieldCreate"),
        Vec::<String>::new(),
        "{}",
        r.body
    );
    r.data("customFieldCreate.customField.id")
        .as_str()
        .expect("id")
        .to_owned()
}

async fn contact(app: &TestApp, who: &Session, sub: &str, input: Value) -> Value {
    app.create_contact_selecting(who, sub, input, CONTACT).await
}

/// A user error's field path, dotted.
fn path_of(e: &Value) -> String {
    e["field"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(".")
}

fn names(r: &tests::Gql) -> Vec<String> {
    r.data("contacts.nodes")
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["firstName"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn custom_fields_are_defined_checked_stored_and_filtered() {
    let app = spawn_app().await;
    let w = app.world().await;
    let plan = field(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Plan", "kind": "SINGLE_SELECT", "options": ["gold", "silver"] }),
    )
    .await;
    let visits = field(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Visits", "kind": "NUMBER" }),
    )
    .await;
    let since = field(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Since", "kind": "DATE" }),
    )
    .await;
    let vip = field(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "VIP", "kind": "CHECKBOX" }),
    )
    .await;
    let topics = field(&app, &w.owner, &w.dental, json!({ "name": "Topics", "kind": "MULTI_SELECT", "options": ["braces", "cleaning", "implants"] })).await;
    let site = field(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Site", "kind": "URL" }),
    )
    .await;
    assert!(plan.starts_with("cfd_"));

    // Bad definitions.
    for (input, path, code) in [
        (
            json!({ "name": "plan", "kind": "TEXT" }),
            "input.name",
            "TAKEN",
        ),
        (
            json!({ "name": "Tier", "kind": "SINGLE_SELECT" }),
            "input.options",
            "INVALID",
        ),
        (
            json!({ "name": "Tier", "kind": "MULTI_SELECT", "options": ["a", "a"] }),
            "input.options",
            "INVALID",
        ),
        (
            json!({ "name": "Tier", "kind": "TEXT", "options": ["a"] }),
            "input.options",
            "INVALID",
        ),
        (
            json!({ "name": "", "kind": "TEXT" }),
            "input.name",
            "INVALID",
        ),
    ] {
        let mut i = input;
        i["subAccountId"] = json!(w.dental);
        let r = app
            .gql(Some(&w.owner.access), FIELD_CREATE, json!({ "i": i }))
            .await
            .ok();
        let e = &r.data("customFieldCreate.userErrors")[0];
        assert_eq!(
            (path_of(e), e["code"].as_str()),
            (path.to_owned(), Some(code)),
            "{}",
            r.body
        );
    }

    // Values of every kind, checked and normalised.
    let ada = contact(
        &app,
        &w.owner,
        &w.dental,
        json!({
            "firstName": "Ada",
            "address": { "city": "London", "country": "gb" },
            "customValues": [
                { "fieldId": plan, "text": "gold" },
                { "fieldId": visits, "number": 12 },
                { "fieldId": since, "date": "2024-03-01" },
                { "fieldId": vip, "checked": true },
                { "fieldId": topics, "options": ["implants", "braces"] },
                { "fieldId": site, "text": "https://ada.example" },
            ],
        }),
    )
    .await;
    assert_eq!(ada["address"], json!({ "city": "London", "country": "GB" }));
    let values = ada["customValues"].as_array().expect("values");
    assert_eq!(values.len(), 6);
    let by = |name: &str| {
        values
            .iter()
            .find(|v| v["field"]["name"] == name)
            .cloned()
            .expect(name)
    };
    assert_eq!(by("Plan")["text"], "gold");
    assert_eq!(by("Visits")["number"], 12.0);
    assert_eq!(by("Since")["date"], "2024-03-01");
    assert_eq!(by("VIP")["checked"], true);
    assert_eq!(by("Topics")["options"], json!(["braces", "implants"]));
    assert_eq!(by("Topics")["text"], Value::Null);
    let bob = contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Bob", "customValues": [
        { "fieldId": plan, "text": "silver" },
        { "fieldId": visits, "number": 3 },
        { "fieldId": topics, "options": ["cleaning"] },
    ] }),
    )
    .await;
    contact(&app, &w.owner, &w.dental, json!({ "firstName": "Cy" })).await;

    // Wrong types, unknown choices, unknown fields: user errors, nothing written.
    let before = app.count("contact_field_values").await;
    let other_sub_field = field(
        &app,
        &w.owner,
        &w.gardens,
        json!({ "name": "Soil", "kind": "TEXT" }),
    )
    .await;
    for (value, path) in [
        (
            json!({ "fieldId": visits, "text": "twelve" }),
            "input.customValues.0",
        ),
        (
            json!({ "fieldId": plan, "text": "bronze" }),
            "input.customValues.0",
        ),
        (
            json!({ "fieldId": since, "date": "2024-02-30" }),
            "input.customValues.0",
        ),
        (
            json!({ "fieldId": site, "text": "javascript:alert(1)" }),
            "input.customValues.0",
        ),
        (
            json!({ "fieldId": topics, "options": ["gold"] }),
            "input.customValues.0",
        ),
        (
            json!({ "fieldId": vip, "checked": true, "text": "x" }),
            "input.customValues.0",
        ),
        (
            json!({ "fieldId": other_sub_field, "text": "clay" }),
            "input.customValues.0.fieldId",
        ),
    ] {
        let r = app
            .gql(
                Some(&w.owner.access),
                UPDATE,
                json!({ "id": bob["id"], "i": { "firstName": "Robert", "customValues": [value] } }),
            )
            .await
            .ok();
        let e = &r.data("contactUpdate.userErrors")[0];
        assert_eq!(
            (path_of(e), e["code"].as_str()),
            (path.to_owned(), Some("INVALID")),
            "{}",
            r.body
        );
        assert!(r.data("contactUpdate.contact").is_null());
    }
    assert_eq!(app.count("contact_field_values").await, before);
    assert_eq!(app.count("contacts WHERE first_name = 'Robert'").await, 0);
    let r = app
        .gql(
            Some(&w.owner.access),
            UPDATE,
            json!({ "id": bob["id"], "i": { "customValues": [{ "fieldId": "cfd_nonsense" }] } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));

    // Clearing a value: none of the members given.
    let r = app
        .gql(
            Some(&w.owner.access),
            UPDATE,
            json!({ "id": bob["id"], "i": { "customValues": [{ "fieldId": visits }] } }),
        )
        .await
        .ok();
    let vals = r
        .data("contactUpdate.contact.customValues")
        .as_array()
        .expect("values")
        .clone();
    assert!(
        vals.iter().all(|v| v["field"]["name"] != "Visits"),
        "{vals:?}"
    );

    // Filters on custom values.
    let filter = |cond: Value| {
        let app = &app;
        let w = &w;
        async move {
            let r = app
                .gql(
                    Some(&w.owner.access),
                    LIST,
                    json!({ "s": w.dental, "f": { "customFields": [cond] } }),
                )
                .await
                .ok();
            names(&r)
        }
    };
    assert_eq!(
        filter(json!({ "fieldId": plan, "equals": "gold" })).await,
        ["Ada"]
    );
    assert_eq!(
        filter(json!({ "fieldId": visits, "atLeast": "10" })).await,
        ["Ada"]
    );
    assert_eq!(
        filter(json!({ "fieldId": visits, "isSet": false })).await,
        ["Bob", "Cy"]
    );
    assert_eq!(
        filter(json!({ "fieldId": since, "atLeast": "2024-01-01", "atMost": "2024-12-31" })).await,
        ["Ada"]
    );
    assert_eq!(
        filter(json!({ "fieldId": vip, "equals": "false" })).await,
        ["Bob", "Cy"]
    );
    assert_eq!(
        filter(json!({ "fieldId": topics, "equals": "cleaning" })).await,
        ["Bob"]
    );
    for bad in [
        json!({ "fieldId": visits, "equals": "many" }),
        json!({ "fieldId": plan, "atLeast": "gold" }),
        json!({ "fieldId": other_sub_field, "equals": "clay" }),
    ] {
        let r = app
            .gql(
                Some(&w.owner.access),
                LIST,
                json!({ "s": w.dental, "f": { "customFields": [bad] } }),
            )
            .await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    }

    // A choice in use cannot be dropped; an unused one can. Renames keep values.
    let upd = "mutation($id: ID!, $i: CustomFieldUpdateInput!) { customFieldUpdate(id: $id, input: $i) { customField { name options } userErrors { code } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            upd,
            json!({ "id": topics, "i": { "options": ["braces", "cleaning"] } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("customFieldUpdate"), ["IN_USE"]);
    let r = app.gql(Some(&w.owner.access), upd, json!({ "id": plan, "i": { "name": "Tier", "options": ["gold", "silver", "platinum"] } })).await.ok();
    assert_eq!(
        r.data("customFieldUpdate.customField"),
        &json!({ "name": "Tier", "options": ["gold", "silver", "platinum"] })
    );
    let r = app.gql(Some(&w.owner.access), upd, json!({ "id": topics, "i": { "options": ["braces", "cleaning", "implants", "whitening"] } })).await.ok();
    assert_eq!(
        r.user_error_codes("customFieldUpdate"),
        Vec::<String>::new()
    );

    // Archived fields hide their values and take no writes; unarchiving brings them back.
    let arch = "mutation($id: ID!) { customFieldArchive(id: $id) { customField { archivedAt } userErrors { code } } }";
    let r = app
        .gql(Some(&w.owner.access), arch, json!({ "id": plan }))
        .await
        .ok();
    assert!(
        r.data("customFieldArchive.customField.archivedAt")
            .is_string()
    );
    let r = app
        .gql(Some(&w.owner.access), arch, json!({ "id": plan }))
        .await
        .ok();
    assert_eq!(r.user_error_codes("customFieldArchive"), ["ALREADY_DONE"]);
    let r = app.gql(Some(&w.owner.access), UPDATE, json!({ "id": ada["id"], "i": { "customValues": [{ "fieldId": plan, "text": "silver" }] } })).await.ok();
    assert_eq!(r.user_error_codes("contactUpdate"), ["INVALID"]);
    let list = "query($s: ID!, $a: Boolean) { customFields(subAccountId: $s, includeArchived: $a) { name } }";
    let r = app
        .gql(Some(&w.owner.access), list, json!({ "s": w.dental }))
        .await
        .ok();
    assert_eq!(r.data("customFields").as_array().map(Vec::len), Some(5));
    let r = app
        .gql(
            Some(&w.owner.access),
            list,
            json!({ "s": w.dental, "a": true }),
        )
        .await
        .ok();
    assert_eq!(r.data("customFields").as_array().map(Vec::len), Some(6));
    let r = app.gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on Contact { customValues { field { name } } } } }", json!({ "id": ada["id"] })).await.ok();
    assert_eq!(
        r.data("node.customValues").as_array().map(Vec::len),
        Some(5)
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { customFieldUnarchive(id: $id) { customField { archivedAt } } }",
            json!({ "id": plan }),
        )
        .await
        .ok();
    assert!(
        r.data("customFieldUnarchive.customField.archivedAt")
            .is_null()
    );
    assert!(
        app.count("events WHERE event_type LIKE 'custom_field.%'")
            .await
            >= 9
    );
}

#[tokio::test]
async fn custom_fields_need_the_right_permission() {
    let app = spawn_app().await;
    let w = app.world().await;
    // A key that may only read contacts may read fields but not define them.
    let r = app
        .gql(Some(&w.owner.access), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"reader\", permissions: [CONTACTS_READ] }) { secret } }", json!({ "s": w.dental }))
        .await
        .ok();
    let viewer = Session {
        user_id: w.owner.user_id.clone(),
        access: r
            .data("apiKeyCreate.secret")
            .as_str()
            .expect("secret")
            .to_owned(),
        refresh: String::new(),
    };
    let r = app
        .gql(
            Some(&viewer.access),
            FIELD_CREATE,
            json!({ "i": { "subAccountId": w.dental, "name": "X", "kind": "TEXT" } }),
        )
        .await;
    let code = r
        .error_code()
        .map(str::to_owned)
        .or_else(|| r.user_error_codes("customFieldCreate").first().cloned());
    assert!(matches!(code.as_deref(), Some("FORBIDDEN")), "{}", r.body);
    let f = field(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Plan", "kind": "TEXT" }),
    )
    .await;
    let r = app
        .gql(
            Some(&viewer.access),
            "query($s: ID!) { customFields(subAccountId: $s) { id } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(r.data("customFields")[0]["id"], f.as_str());
    // Someone with nothing in the sub-account does not see it at all.
    let stranger = app.user("stranger@acme.test").await;
    app.grant_in(&stranger.user_id, &w.gardens, Role::SubaccountAdmin)
        .await;
    let r = app
        .gql(
            Some(&stranger.access),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": f }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn contacts_sort_by_name_and_recency_with_stable_cursors() {
    let app = spawn_app().await;
    let w = app.world().await;
    for (first, last) in [
        ("Zed", "Adams"),
        ("Amy", "Brown"),
        ("Bea", "brown"),
        ("Cal", "Émile"),
        ("Dan", "Clark"),
    ] {
        contact(
            &app,
            &w.owner,
            &w.dental,
            json!({ "firstName": first, "lastName": last }),
        )
        .await;
    }
    let page = |order: &'static str, after: Value| {
        let app = &app;
        let w = &w;
        async move {
            app.gql(
                Some(&w.owner.access),
                LIST,
                json!({ "s": w.dental, "o": order, "first": 2, "after": after }),
            )
            .await
            .ok()
        }
    };
    // Walk every order two at a time: the pages join up into the full order.
    for (order, expected) in [
        ("NAME_ASC", vec!["Zed", "Amy", "Bea", "Dan", "Cal"]),
        ("NAME_DESC", vec!["Cal", "Dan", "Bea", "Amy", "Zed"]),
        ("CREATED_DESC", vec!["Dan", "Cal", "Bea", "Amy", "Zed"]),
        ("CREATED_ASC", vec!["Zed", "Amy", "Bea", "Cal", "Dan"]),
    ] {
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let r = page(order, after.clone()).await;
            seen.extend(names(&r));
            if r.data("contacts.pageInfo.hasNextPage") != &json!(true) {
                break;
            }
            after = r.data("contacts.pageInfo.endCursor").clone();
        }
        assert_eq!(seen, expected, "{order}");
    }
    // The most recently changed first.
    let r = page("NAME_ASC", Value::Null).await;
    let cursor = r.data("contacts.pageInfo.endCursor").clone();
    let r = app
        .gql(
            Some(&w.owner.access),
            LIST,
            json!({ "s": w.dental, "o": "CREATED_ASC" }),
        )
        .await
        .ok();
    assert_eq!(names(&r).len(), 5);
    let amy = app.gql(Some(&w.owner.access), "query($s: ID!) { contacts(subAccountId: $s, filter: { search: \"amy\" }) { nodes { id } } }", json!({ "s": w.dental })).await.ok();
    let amy = amy.data("contacts.nodes")[0]["id"].clone();
    app.gql(
        Some(&w.owner.access),
        UPDATE,
        json!({ "id": amy, "i": { "lastName": "Brown-Jones" } }),
    )
    .await
    .ok();
    let r = page("UPDATED_DESC", Value::Null).await;
    assert_eq!(names(&r)[0], "Amy");
    // A cursor of one order is refused in another, both ways.
    let created = app
        .gql(
            Some(&w.owner.access),
            LIST,
            json!({ "s": w.dental, "o": "CREATED_ASC", "first": 1 }),
        )
        .await
        .ok();
    let r = app
        .gql(Some(&w.owner.access), LIST, json!({ "s": w.dental, "o": "NAME_ASC", "after": created.data("contacts.pageInfo.endCursor") }))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let r = app
        .gql(
            Some(&w.owner.access),
            LIST,
            json!({ "s": w.dental, "o": "CREATED_ASC", "after": cursor }),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn segments_save_filters_that_are_evaluated_live() {
    let app = spawn_app().await;
    let w = app.world().await;
    let plan = field(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Plan", "kind": "SINGLE_SELECT", "options": ["gold", "silver"] }),
    )
    .await;
    contact(&app, &w.owner, &w.dental, json!({ "firstName": "Ada", "status": "QUALIFIED", "customValues": [{ "fieldId": plan, "text": "gold" }] })).await;
    contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Bob", "customValues": [{ "fieldId": plan, "text": "gold" }] }),
    )
    .await;
    contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Cy", "customValues": [{ "fieldId": plan, "text": "silver" }] }),
    )
    .await;
    let create = "mutation($i: SegmentCreateInput!) { segmentCreate(input: $i) { segment { id name contactCount filter { customFields { fieldId equals } } contacts { nodes { firstName } } } userErrors { field code } } }";
    let r = app.gql(Some(&w.owner.access), create, json!({ "i": { "subAccountId": w.dental, "name": "Gold", "filter": { "customFields": [{ "fieldId": plan, "equals": "gold" }] } } })).await.ok();
    let seg = r.data("segmentCreate.segment").clone();
    assert_eq!(seg["contactCount"], 2);
    assert_eq!(
        seg["contacts"]["nodes"],
        json!([{ "firstName": "Ada" }, { "firstName": "Bob" }])
    );
    assert_eq!(seg["filter"]["customFields"][0]["fieldId"], plan.as_str());
    let seg_id = seg["id"].as_str().expect("id").to_owned();
    assert!(seg_id.starts_with("seg_"));

    // Live: a new gold contact joins; the segment combines with a further filter.
    contact(
        &app,
        &w.owner,
        &w.dental,
        json!({ "firstName": "Dee", "customValues": [{ "fieldId": plan, "text": "gold" }] }),
    )
    .await;
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($id: ID!) { node(id: $id) { ... on Segment { contactCount } } }",
            json!({ "id": seg_id }),
        )
        .await
        .ok();
    assert_eq!(r.data("node.contactCount"), 3);
    let r = app
        .gql(
            Some(&w.owner.access),
            LIST,
            json!({ "s": w.dental, "f": { "segmentId": seg_id, "status": "QUALIFIED" } }),
        )
        .await
        .ok();
    assert_eq!(names(&r), ["Ada"]);

    // Bad input: a duplicate name, a nested segment, a condition that does not fit its field.
    for (filter, name, path, code) in [
        (json!({}), "gold", "input.name", "TAKEN"),
        (
            json!({ "segmentId": seg_id }),
            "Nested",
            "input.filter.segmentId",
            "INVALID",
        ),
        (
            json!({ "customFields": [{ "fieldId": plan, "atLeast": "x" }] }),
            "Odd",
            "input.filter.customFields.0",
            "INVALID",
        ),
    ] {
        let r = app
            .gql(
                Some(&w.owner.access),
                create,
                json!({ "i": { "subAccountId": w.dental, "name": name, "filter": filter } }),
            )
            .await
            .ok();
        let e = &r.data("segmentCreate.userErrors")[0];
        assert_eq!(
            (path_of(e), e["code"].as_str()),
            (path.to_owned(), Some(code)),
            "{}",
            r.body
        );
    }
    // A segment of another sub-account is not found from this one.
    let r = app
        .gql(
            Some(&w.owner.access),
            LIST,
            json!({ "s": w.gardens, "f": { "segmentId": seg_id } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));

    let upd = "mutation($id: ID!, $f: ContactFilterInput) { segmentUpdate(id: $id, input: { name: \"Silver\", filter: $f }) { segment { name contactCount } userErrors { code } } }";
    let r = app.gql(Some(&w.owner.access), upd, json!({ "id": seg_id, "f": { "customFields": [{ "fieldId": plan, "equals": "silver" }] } })).await.ok();
    assert_eq!(
        r.data("segmentUpdate.segment"),
        &json!({ "name": "Silver", "contactCount": 1 })
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { segments(subAccountId: $s) { name } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(r.data("segments"), &json!([{ "name": "Silver" }]));
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { segmentDelete(id: $id) { segment { name } } }",
            json!({ "id": seg_id }),
        )
        .await
        .ok();
    assert_eq!(r.data("segmentDelete.segment.name"), "Silver");
    assert_eq!(app.count("segments").await, 0);
    assert_eq!(app.count("contacts").await, 4);
    assert_eq!(
        app.count("events WHERE event_type LIKE 'segment.%'").await,
        3
    );
}

/// A page's custom values come with their fields in one statement, and an archived field's
/// values are left out.
#[tokio::test]
async fn a_pages_custom_values_are_one_statement() {
    let app = spawn_app().await;
    let w = app.world().await;
    let plan = field(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Plan", "kind": "TEXT" }),
    )
    .await;
    let old = field(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Old", "kind": "TEXT" }),
    )
    .await;
    for name in ["Ada", "Bob"] {
        let values = json!([{ "fieldId": plan, "text": "gold" }, { "fieldId": old, "text": "x" }]);
        contact(
            &app,
            &w.owner,
            &w.dental,
            json!({ "firstName": name, "customValues": values }),
        )
        .await;
    }
    let archive = "mutation($id: ID!) { customFieldArchive(id: $id) { userErrors { code } } }";
    let r = app
        .gql(Some(&w.owner.access), archive, json!({ "id": old }))
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("customFieldArchive"),
        Vec::<String>::new()
    );
    let q = |sel: &str| {
        format!(
            "query($s: ID!) {{ contacts(subAccountId: $s, first: 10) {{ nodes {{ firstName {sel} }} }} }}"
        )
    };
    let vars = json!({ "s": w.dental });
    let without = app
        .fewest_statements_for(&w.owner.access, &q(""), vars.clone())
        .await;
    let with = q("customValues { field { name } text }");
    let n = app
        .fewest_statements_for(&w.owner.access, &with, vars.clone())
        .await;
    assert_eq!(n, without + 1, "values and their fields are one statement");
    let r = app.gql(Some(&w.owner.access), &with, vars).await.ok();
    let nodes = r.data("contacts.nodes").as_array().expect("nodes").clone();
    assert_eq!(nodes.len(), 2);
    for c in nodes {
        let plan_only = json!([{ "field": { "name": "Plan" }, "text": "gold" }]);
        assert_eq!(c["customValues"], plan_only, "{c}");
    }
}
