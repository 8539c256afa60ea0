//! The isolation probe's view of the schema: which operations take an id, how to call one with
//! an id in its slots, how to read the answer, and a fingerprint of the rows a call may change.

use super::IGNORE_FOREIGN_IDS;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use tests::{Session, TestApp};

pub(super) const INTROSPECT: &str = r#"
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
{ __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { kind name
      fields { name args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } }
    }
} }"#;

pub(super) struct Schema {
    types: BTreeMap<String, Value>,
}

/// The GraphQL spelling of a type reference (`[ID!]!`).
pub(super) fn spell(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", spell(&t["ofType"])),
        Some("LIST") => format!("[{}]", spell(&t["ofType"])),
        _ => t["name"].as_str().unwrap_or_default().to_owned(),
    }
}

pub(super) fn named(t: &Value) -> &Value {
    match t["kind"].as_str() {
        Some("NON_NULL" | "LIST") => named(&t["ofType"]),
        _ => t,
    }
}

impl Schema {
    fn contains_id(&self, t: &Value, seen: &mut HashSet<String>) -> bool {
        let n = named(t);
        let name = n["name"].as_str().unwrap_or_default();
        match n["kind"].as_str() {
            Some("SCALAR") => name == "ID",
            Some("INPUT_OBJECT") if seen.insert(name.to_owned()) => self.types[name]["inputFields"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| self.contains_id(&f["type"], seen)),
            _ => false,
        }
    }

    /// A plausible value of type `t` with `id` in every ID slot of the `shape`; `None` for an
    /// optional value the shape leaves out.
    fn value(&self, t: &Value, id: &str, required: bool, shape: Shape) -> Option<Value> {
        let left_out = |t: &Value| {
            !required && (shape == Shape::Required || !self.contains_id(t, &mut HashSet::new()))
        };
        match t["kind"].as_str() {
            Some("NON_NULL") => self.value(&t["ofType"], id, true, shape),
            Some("LIST") => {
                if left_out(t) {
                    return None;
                }
                Some(json!([self
                    .value(&t["ofType"], id, true, shape)
                    .unwrap_or(Value::Null)]))
            }
            _ => {
                let name = t["name"].as_str().unwrap_or_default();
                if left_out(t) {
                    return None;
                }
                let def = &self.types[name];
                Some(match (def["kind"].as_str(), name) {
                    (_, "ID") => json!(id),
                    (_, "String") => json!("probe value"),
                    (_, "Int") => json!(1),
                    (_, "Float") => json!(1.0),
                    (_, "Boolean") => json!(false),
                    (_, "DateTime") => json!("2099-01-01T00:00:00Z"),
                    (_, "NaiveDate") => json!("2099-01-01"),
                    (Some("ENUM"), _) => {
                        let values = &self.types[name]["enumValues"];
                        values[0]["name"].clone()
                    }
                    (Some("INPUT_OBJECT"), _) => {
                        let mut obj = serde_json::Map::new();
                        for f in def["inputFields"].as_array().into_iter().flatten() {
                            if let Some(v) = self.value(&f["type"], id, false, shape) {
                                obj.insert(f["name"].as_str().unwrap_or_default().to_owned(), v);
                            }
                        }
                        Value::Object(obj)
                    }
                    _ => json!("probe value"),
                })
            }
        }
    }
}

/// Which slots of an operation's arguments the probe fills.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Shape {
    /// Every slot that holds an id (optional or not) and every required one, all with the same
    /// id: an id slot nested in an optional input is probed too.
    Full,
    /// Only the required slots: an operation whose optional id slots want another kind of id
    /// than its required one (`contactUpdate(id:, input: { ownerId })`) would otherwise never
    /// get past parsing its input.
    Required,
}

/// One operation of the schema that takes an id.
pub(super) struct Op {
    /// `query`, `mutation` or `subscription`.
    pub(super) kind: &'static str,
    /// The root field.
    pub(super) field: String,
    args: Vec<(String, Value)>,
    selection: &'static str,
}

impl Op {
    /// `query node`, `mutation contactUpdate`: how coverage names it.
    pub(super) fn name(&self) -> String {
        format!("{} {}", self.kind, self.field)
    }

    /// Whether it ignores foreign ids rather than refusing them.
    pub(super) fn ignores_foreign_ids(&self) -> bool {
        IGNORE_FOREIGN_IDS.iter().any(|(f, _)| *f == self.field)
    }
}

/// The schema, and every operation of it that takes an id: queries and mutations (which the
/// probe calls) and subscriptions (which it names, for the coverage check).
pub(super) async fn operations(app: &TestApp) -> (Schema, Vec<Op>) {
    let r = app.gql(None, INTROSPECT, json!({})).await.ok();
    let mut types = BTreeMap::new();
    for t in r.data("__schema.types").as_array().expect("types") {
        types.insert(t["name"].as_str().unwrap_or_default().to_owned(), t.clone());
    }
    // Enum values are not in the fragment above; fetch them once.
    let enums = app
        .gql(
            None,
            "{ __schema { types { name enumValues { name } } } }",
            json!({}),
        )
        .await
        .ok();
    for t in enums.data("__schema.types").as_array().expect("types") {
        if let Some(entry) = types.get_mut(t["name"].as_str().unwrap_or_default()) {
            entry["enumValues"] = t["enumValues"].clone();
        }
    }
    let schema = Schema { types };
    let mut ops = Vec::new();
    for (kind, root) in [
        ("query", r.data("__schema.queryType.name")),
        ("mutation", r.data("__schema.mutationType.name")),
        ("subscription", r.data("__schema.subscriptionType.name")),
    ] {
        let root = root.as_str().expect("root");
        for f in schema.types[root]["fields"].as_array().expect("fields") {
            let args: Vec<(String, Value)> = f["args"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    (
                        a["name"].as_str().unwrap_or_default().to_owned(),
                        a["type"].clone(),
                    )
                })
                .collect();
            if !args
                .iter()
                .any(|(_, t)| schema.contains_id(t, &mut HashSet::new()))
            {
                continue;
            }
            let field = f["name"].as_str().unwrap_or_default().to_owned();
            let selection = match (
                IGNORE_FOREIGN_IDS.iter().find(|(f, _)| *f == field),
                named(&f["type"])["kind"].as_str(),
            ) {
                (Some((_, selection)), _) => selection,
                (None, Some("OBJECT" | "INTERFACE" | "UNION")) => "{ __typename }",
                (None, _) => "",
            };
            ops.push(Op {
                kind,
                field,
                args,
                selection,
            });
        }
    }
    (schema, ops)
}

/// The document and variables of `op` with `id` in the slots of `shape`.
pub(super) fn request(schema: &Schema, op: &Op, id: &str, shape: Shape) -> (String, Value) {
    let mut decls = Vec::new();
    let mut uses = Vec::new();
    let mut vars = serde_json::Map::new();
    for (i, (name, t)) in op.args.iter().enumerate() {
        if let Some(v) = schema.value(t, id, false, shape) {
            decls.push(format!("$a{i}: {}", spell(t)));
            uses.push(format!("{name}: $a{i}"));
            vars.insert(format!("a{i}"), v);
        }
    }
    let doc = format!(
        "{kind}({decls}) {{ {field}({uses}) {sel} }}",
        kind = op.kind,
        decls = decls.join(", "),
        field = op.field,
        uses = uses.join(", "),
        sel = op.selection,
    );
    (doc, Value::Object(vars))
}

pub(super) async fn call(app: &TestApp, who: &Session, request: (String, Value)) -> Value {
    let (doc, vars) = request;
    let r = app.gql(Some(&who.access), &doc, vars).await;
    json!({ "doc": doc, "status": r.status, "body": r.body })
}

/// The codes and messages of a response's errors, with the id that was passed blanked out (an
/// input error may quote it).
pub(super) fn errors_of(v: &Value, id: &str) -> Vec<(String, String)> {
    errors(v)
        .into_iter()
        .map(|(c, m)| (c, m.replace(id, "<id>")))
        .collect()
}

/// The codes and messages of a response's errors.
pub(super) fn errors(v: &Value) -> Vec<(String, String)> {
    v["body"]["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                e["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

pub(super) fn no_data(v: &Value, field: &str) -> bool {
    let d = &v["body"]["data"];
    match &d[field] {
        Value::Null => true,
        Value::Array(items) => items.iter().all(Value::is_null),
        _ => d.is_null(),
    }
}

/// What may change a tenant's rows: counts, latest changes, revocations and statuses.
pub(super) async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for q in [
        "users",
        "sessions",
        "refresh_tokens",
        "api_keys",
        "memberships",
        "agencies",
        "sub_accounts",
        "events",
        "email_outbox",
        "password_resets",
        "invitations",
        "invitations WHERE status = 'pending'",
        "resellers",
        "reseller_credit_entries",
        "sidebar_options",
        "contacts",
        "contacts WHERE deleted_at IS NOT NULL",
        "tags",
        "contact_tags",
        "contact_activities",
        "custom_fields",
        "custom_fields WHERE archived_at IS NOT NULL",
        "contact_field_values",
        "segments",
        "pipelines",
        "pipelines WHERE archived_at IS NOT NULL",
        "lanes",
        "tickets",
        "tickets WHERE status <> 'open'",
        "ticket_tags",
        "ticket_notes",
        "ticket_lane_entries",
        "tasks",
        "tasks WHERE status <> 'todo'",
        "task_groups",
        "task_groups WHERE archived_at IS NOT NULL",
        "task_categories",
        "task_checklist_items",
        "task_checklist_items WHERE done",
        "task_comments",
        "task_attachments",
        "task_reminders",
        "task_history",
        "idea_boards",
        "ideas",
        "ideas WHERE status <> 'new'",
        "idea_votes",
        "workspace_links",
        "notifications",
        "notifications WHERE read_at IS NOT NULL",
        "invitations WHERE revoked_at IS NOT NULL",
        "resellers WHERE status = 'active' AND deleted_at IS NULL",
        "api_keys WHERE revoked_at IS NOT NULL",
        "sessions WHERE revoked_at IS NOT NULL",
        "agencies WHERE status = 'active' AND deleted_at IS NULL",
        "sub_accounts WHERE status = 'active' AND deleted_at IS NULL",
    ] {
        out.push(app.count(q).await);
    }
    for t in [
        "users",
        "agencies",
        "sub_accounts",
        "memberships",
        "sidebar_options",
        "resellers",
        "contacts",
        "tags",
        "custom_fields",
        "segments",
        "pipelines",
        "lanes",
        "tickets",
        "tasks",
        "task_checklist_items",
        "ideas",
    ] {
        // Rows changed since the probe began.
        out.push(
            app.count(&format!("{t} WHERE updated_at > created_at"))
                .await,
        );
    }
    out
}
