//! The checked-in schema is the printed schema, and every part of it is documented.

use serde_json::json;
use tests::spawn_app;

#[test]
fn schema_graphql_is_current() {
    let printed = gateway::schema::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    if checked_in != printed {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &printed).expect("write schema.graphql");
        } else {
            panic!(
                "schema.graphql is out of date: run `cargo run -p gateway -- print-schema > schema.graphql` \
                 (or the tests with UPDATE_SCHEMA=1)"
            );
        }
    }
}

const INTROSPECT: &str = r#"{ __schema { types {
  name kind description
  fields(includeDeprecated: true) { name description args { name description } }
  inputFields { name description }
  enumValues(includeDeprecated: true) { name description }
} } }"#;

#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let app = spawn_app().await;
    let r = app.gql(None, INTROSPECT, json!({})).await.ok();
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut missing = Vec::new();
    let blank = |v: &serde_json::Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    for t in r.data("__schema.types").as_array().expect("types") {
        let name = t["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        if blank(&t["description"]) {
            missing.push(name.to_owned());
        }
        for f in t["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(t["inputFields"].as_array().into_iter().flatten())
        {
            let fname = f["name"].as_str().unwrap_or_default();
            if blank(&f["description"]) {
                missing.push(format!("{name}.{fname}"));
            }
            for a in f["args"].as_array().into_iter().flatten() {
                if blank(&a["description"]) {
                    missing.push(format!(
                        "{name}.{fname}({})",
                        a["name"].as_str().unwrap_or_default()
                    ));
                }
            }
        }
        for v in t["enumValues"].as_array().into_iter().flatten() {
            if blank(&v["description"]) {
                missing.push(format!("{name}.{}", v["name"].as_str().unwrap_or_default()));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}
