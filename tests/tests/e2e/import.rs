//! CRM CSV import over the GraphQL multipart request spec.

use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const IMPORT: &str = "mutation($i: ContactImportInput!) { contactImport(input: $i) { result { committed created updated unchanged failed rowErrors { row column message } } userErrors { field code message } } }";

struct World {
    owner: Session,
    dental: String,
    plan: String,
}

async fn world(app: &TestApp) -> World {
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let dental = app.sub_account(&owner, &agency, "Dental").await;
    let r = app.gql(Some(&owner.access), "mutation($s: ID!) { customFieldCreate(input: { subAccountId: $s, name: \"Plan\", kind: SINGLE_SELECT, options: [\"gold\", \"silver\"] }) { customField { id } } }", json!({ "s": dental })).await.ok();
    let plan = r
        .data("customFieldCreate.customField.id")
        .as_str()
        .expect("id")
        .to_owned();
    World {
        owner,
        dental,
        plan,
    }
}

fn mapping(plan: &str) -> Value {
    json!([
        { "column": "First Name", "field": "FIRST_NAME" },
        { "column": "last name", "field": "LAST_NAME" },
        { "column": "Email", "field": "EMAIL" },
        { "column": "Phone", "field": "PHONE" },
        { "column": "Plan", "field": "CUSTOM_FIELD", "customFieldId": plan },
    ])
}

async fn import(app: &TestApp, w: &World, csv: &str, mode: &str) -> tests::Gql {
    import_bytes(app, w, csv.as_bytes(), mapping(&w.plan), mode).await
}

async fn import_bytes(
    app: &TestApp,
    w: &World,
    csv: &[u8],
    mapping: Value,
    mode: &str,
) -> tests::Gql {
    app.upload(
        Some(&w.owner.access),
        IMPORT,
        json!({ "i": { "subAccountId": w.dental, "file": null, "mapping": mapping, "mode": mode } }),
        "i.file",
        csv,
        true,
    )
    .await
    .ok()
}

#[tokio::test]
async fn csv_imports_create_and_upsert_with_per_row_errors() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let r = app.gql(Some(&w.owner.access), "mutation($i: ContactCreateInput!) { contactCreate(input: $i) { contact { id } } }", json!({ "i": { "subAccountId": w.dental, "firstName": "Old", "email": "ada@example.com", "company": "Kept" } })).await.ok();
    let existing = r.data("contactCreate.contact.id").clone();

    // A bad row stops an all-or-nothing import: nothing is written, every error is reported.
    let csv = "\u{feff}First Name,Last Name,Email,Phone,Plan,Ignored\n\
               Ada,Lovelace,ADA@example.com,,gold,x\n\
               Bob,,not-an-email,,silver,x\n\
               ,,,,,\n\
               Cy,,cy@example.com,12345,bronze,x\n\
               Dee,,,+44 20 7946 0958,,x\n";
    let contacts = app.count("contacts").await;
    let r = import(&app, &w, csv, "ALL_OR_NOTHING").await;
    let result = r.data("contactImport.result").clone();
    assert_eq!(
        (
            result["committed"].as_bool(),
            result["created"].as_u64(),
            result["failed"].as_u64()
        ),
        (Some(false), Some(0), Some(2)),
        "{result}"
    );
    let errors = result["rowErrors"].as_array().expect("errors");
    let rows: Vec<(u64, Option<&str>)> = errors
        .iter()
        .map(|e| (e["row"].as_u64().unwrap_or(0), e["column"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [(3, Some("Email")), (5, Some("Phone")), (5, Some("Plan"))],
        "{errors:?}"
    );
    assert_eq!(app.count("contacts").await, contacts);

    // Partial: the good rows are written and the bad ones reported.
    let r = import(&app, &w, csv, "PARTIAL").await;
    let result = r.data("contactImport.result").clone();
    assert_eq!(
        (
            result["committed"].as_bool(),
            result["created"].as_u64(),
            result["updated"].as_u64(),
            result["failed"].as_u64()
        ),
        (Some(true), Some(1), Some(1), Some(2)),
        "{result}"
    );
    let r = app.gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on Contact { firstName lastName company source customValues { text } } } }", json!({ "id": existing })).await.ok();
    assert_eq!(
        r.data("node"),
        &json!({ "firstName": "Ada", "lastName": "Lovelace", "company": "Kept", "source": "MANUAL", "customValues": [{ "text": "gold" }] })
    );
    let r = app.gql(Some(&w.owner.access), "query($s: ID!) { contacts(subAccountId: $s, filter: { search: \"dee\" }) { nodes { phone source } } }", json!({ "s": w.dental })).await.ok();
    assert_eq!(
        r.data("contacts.nodes"),
        &json!([{ "phone": "+442079460958", "source": "IMPORT" }])
    );
    assert_eq!(
        app.count("events WHERE event_type = 'contact.created'")
            .await,
        2
    );

    // The same file again matches by email and phone: updates only.
    let r = import(&app, &w, "First Name,Last Name,Email,Phone,Plan\nAda,King,ada@example.com,,silver\nDeirdre,,,+442079460958,\nDeirdre,Two,,+442079460958,\n", "ALL_OR_NOTHING").await;
    let result = r.data("contactImport.result").clone();
    assert_eq!(
        (result["created"].as_u64(), result["updated"].as_u64()),
        (Some(0), Some(2)),
        "{result}"
    );
    assert_eq!(
        app.count("contacts WHERE last_name = 'Two' AND first_name = 'Deirdre'")
            .await,
        1
    );
    assert_eq!(
        app.count("contact_field_values WHERE text_value = 'silver'")
            .await,
        1
    );
    // Importing it once more changes nothing, and writes nothing.
    let events = app.count("events").await;
    let r = import(&app, &w, "First Name,Last Name,Email,Phone,Plan\nAda,King,ada@example.com,,silver\nDeirdre,Two,,+442079460958,\n", "ALL_OR_NOTHING").await;
    let result = r.data("contactImport.result").clone();
    assert_eq!(
        (
            result["created"].as_u64(),
            result["updated"].as_u64(),
            result["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2)),
        "{result}"
    );
    assert_eq!(app.count("events").await, events);
}

#[tokio::test]
async fn malformed_oversized_and_mismapped_files_write_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let contacts = app.count("contacts").await;
    let codes = |r: &tests::Gql| r.user_errors("contactImport");
    // Rows of unequal length.
    let r = import(
        &app,
        &w,
        "First Name,Last Name,Email,Phone,Plan\nAda,Lovelace\n",
        "PARTIAL",
    )
    .await;
    assert_eq!(
        codes(&r),
        [("input.file".to_owned(), "INVALID".to_owned())],
        "{}",
        r.body
    );
    assert!(
        r.data("contactImport.userErrors")[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("line 2")
    );
    // Not UTF-8.
    let r = import_bytes(
        &app,
        &w,
        b"First Name,Last Name,Email,Phone,Plan\n\xff\xfe,x,y,z,w\n",
        mapping(&w.plan),
        "PARTIAL",
    )
    .await;
    assert_eq!(
        codes(&r),
        [("input.file".to_owned(), "INVALID".to_owned())],
        "{}",
        r.body
    );
    // Empty.
    let r = import(&app, &w, "", "PARTIAL").await;
    assert_eq!(
        codes(&r),
        [("input.file".to_owned(), "INVALID".to_owned())],
        "{}",
        r.body
    );
    // A mapped column the file does not have, and a field mapped twice.
    let bad = json!([{ "column": "Nope", "field": "EMAIL" }, { "column": "First Name", "field": "FIRST_NAME" }, { "column": "Last Name", "field": "FIRST_NAME" }]);
    let r = import_bytes(
        &app,
        &w,
        b"First Name,Last Name\nAda,Lovelace\n",
        bad,
        "PARTIAL",
    )
    .await;
    assert_eq!(
        codes(&r),
        [
            ("input.mapping.0.column".to_owned(), "INVALID".to_owned()),
            ("input.mapping.2".to_owned(), "INVALID".to_owned())
        ],
        "{}",
        r.body
    );
    // Over 10 MiB.
    let mut big = b"First Name,Last Name,Email,Phone,Plan\n".to_vec();
    while big.len() <= 10 * 1024 * 1024 {
        big.extend_from_slice(b"Ada,Lovelace,,,\n");
    }
    let r = import_bytes(&app, &w, &big, mapping(&w.plan), "PARTIAL").await;
    assert_eq!(
        codes(&r),
        [("input.file".to_owned(), "TOO_LONG".to_owned())],
        "{}",
        r.body
    );
    // Over 50,000 rows.
    let mut many = b"First Name\n".to_vec();
    for _ in 0..50_001 {
        many.extend_from_slice(b"Ada\n");
    }
    let r = import_bytes(
        &app,
        &w,
        &many,
        json!([{ "column": "First Name", "field": "FIRST_NAME" }]),
        "PARTIAL",
    )
    .await;
    assert_eq!(
        codes(&r),
        [("input.file".to_owned(), "TOO_LONG".to_owned())],
        "{}",
        r.body
    );
    assert_eq!(app.count("contacts").await, contacts);

    // Multipart without the preflight header is refused (a cross-site form cannot send it).
    let r = app
        .upload(
            Some(&w.owner.access),
            IMPORT,
            json!({ "i": { "subAccountId": w.dental, "file": null, "mapping": mapping(&w.plan) } }),
            "i.file",
            b"First Name\nAda\n",
            false,
        )
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (400, Some("BAD_USER_INPUT")),
        "{}",
        r.body
    );
    assert_eq!(app.count("contacts").await, contacts);
}
