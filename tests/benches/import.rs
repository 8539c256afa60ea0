//! Benchmark: a CSV import of 10,000 contacts (with a custom value each) through the GraphQL
//! multipart endpoint, then a file changing every contact (10,000 updates), then that file again
//! (10,000 unchanged). Prints wall-clock times.
//!
//! `cargo bench -p tests --bench import` (SQLite); with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` on PostgreSQL.

use serde_json::json;
use std::time::Instant;
use tests::spawn_app;

const ROWS: usize = 10_000;

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@platform.test").await;
    let owner = app.user("owner@acme.test").await;
    let agency = app.agency(&admin, "Acme", "owner@acme.test").await;
    let sub = app.sub_account(&owner, &agency, "Dental").await;
    let r = app
        .gql(
            Some(&owner.access),
            "mutation($s: ID!) { customFieldCreate(input: { subAccountId: $s, name: \"Plan\", kind: SINGLE_SELECT, options: [\"gold\", \"silver\"] }) { customField { id } } }",
            json!({ "s": sub }),
        )
        .await
        .ok();
    let plan = r.data("customFieldCreate.customField.id").clone();
    let file = |company: &str| {
        let mut csv = String::from("First Name,Last Name,Email,Phone,Company,Plan\n");
        for i in 0..ROWS {
            csv.push_str(&format!(
                "First{i},Last{i},person{i}@example.com,+1415555{:04},{company} {},{}\n",
                i % 10_000,
                i % 97,
                if i % 2 == 0 { "gold" } else { "silver" }
            ));
        }
        csv
    };
    let mapping = json!([
        { "column": "First Name", "field": "FIRST_NAME" },
        { "column": "Last Name", "field": "LAST_NAME" },
        { "column": "Email", "field": "EMAIL" },
        { "column": "Phone", "field": "PHONE" },
        { "column": "Company", "field": "COMPANY" },
        { "column": "Plan", "field": "CUSTOM_FIELD", "customFieldId": plan },
    ]);
    let backend = if app.runtime_connection().await.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    for (pass, csv) in [
        ("create", file("Company")),
        ("update", file("Firm")),
        ("unchanged", file("Firm")),
    ] {
        let started = Instant::now();
        let r = app
            .upload(
                Some(&owner.access),
                "mutation($i: ContactImportInput!) { contactImport(input: $i) { result { committed created updated unchanged failed } userErrors { message } } }",
                json!({ "i": { "subAccountId": sub, "file": null, "mapping": mapping } }),
                "i.file",
                csv.as_bytes(),
                true,
            )
            .await
            .ok();
        let took = started.elapsed();
        println!(
            "import of {ROWS} rows ({pass}) on {backend}: {:.2} s, {} bytes; result {}",
            took.as_secs_f64(),
            csv.len(),
            r.data("contactImport")
        );
    }
}
