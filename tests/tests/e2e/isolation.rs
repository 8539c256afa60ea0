//! The isolation probe. It walks the live schema and calls every query field and mutation that
//! takes an id (directly or inside an input object) with ids that belong to a victim tenant, as
//! (a) the owner of another agency and (b) a user of a sibling sub-account in the victim's
//! agency. Every call must fail with `NOT_FOUND`, `FORBIDDEN` or `BAD_USER_INPUT` (an id of the
//! wrong type), return no data, change no row, and read exactly like the same call with a random
//! id of the same type. New fields are covered without editing this file.

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use tests::{Session, TestApp, spawn_app};

const INTROSPECT: &str = r#"
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
{ __schema {
    queryType { name } mutationType { name }
    types { kind name
      fields { name args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } }
    }
} }"#;

struct Schema {
    types: BTreeMap<String, Value>,
}

/// The GraphQL spelling of a type reference (`[ID!]!`).
fn spell(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", spell(&t["ofType"])),
        Some("LIST") => format!("[{}]", spell(&t["ofType"])),
        _ => t["name"].as_str().unwrap_or_default().to_owned(),
    }
}

fn named(t: &Value) -> &Value {
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

    /// A plausible value of type `t` with `id` in every ID slot; `None` for an optional value
    /// that holds no id (left out).
    fn value(&self, t: &Value, id: &str, required: bool) -> Option<Value> {
        match t["kind"].as_str() {
            Some("NON_NULL") => self.value(&t["ofType"], id, true),
            Some("LIST") => {
                if !required && !self.contains_id(t, &mut HashSet::new()) {
                    return None;
                }
                Some(json!([self
                    .value(&t["ofType"], id, true)
                    .unwrap_or(Value::Null)]))
            }
            _ => {
                let name = t["name"].as_str().unwrap_or_default();
                if !required && !self.contains_id(t, &mut HashSet::new()) {
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
                    (Some("ENUM"), _) => {
                        let values = &self.types[name]["enumValues"];
                        values[0]["name"].clone()
                    }
                    (Some("INPUT_OBJECT"), _) => {
                        let mut obj = serde_json::Map::new();
                        for f in def["inputFields"].as_array().into_iter().flatten() {
                            if let Some(v) = self.value(&f["type"], id, false) {
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

/// One operation of the schema that takes an id.
struct Op {
    kind: &'static str,
    field: String,
    args: Vec<(String, Value)>,
    selection: &'static str,
}

async fn operations(app: &TestApp) -> (Schema, Vec<Op>) {
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
            let selection = match named(&f["type"])["kind"].as_str() {
                Some("OBJECT" | "INTERFACE" | "UNION") => "{ __typename }",
                _ => "",
            };
            ops.push(Op {
                kind,
                field: f["name"].as_str().unwrap_or_default().to_owned(),
                args,
                selection,
            });
        }
    }
    (schema, ops)
}

async fn call(app: &TestApp, who: &Session, schema: &Schema, op: &Op, id: &str) -> Value {
    let mut decls = Vec::new();
    let mut uses = Vec::new();
    let mut vars = serde_json::Map::new();
    for (i, (name, t)) in op.args.iter().enumerate() {
        if let Some(v) = schema.value(t, id, false) {
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
    let r = app.gql(Some(&who.access), &doc, Value::Object(vars)).await;
    json!({ "doc": doc, "status": r.status, "body": r.body })
}

/// The codes and messages of a response's errors, with the id that was passed blanked out (an
/// input error may quote it).
fn errors_of(v: &Value, id: &str) -> Vec<(String, String)> {
    errors(v)
        .into_iter()
        .map(|(c, m)| (c, m.replace(id, "<id>")))
        .collect()
}

/// The codes and messages of a response's errors.
fn errors(v: &Value) -> Vec<(String, String)> {
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

fn no_data(v: &Value, field: &str) -> bool {
    let d = &v["body"]["data"];
    match &d[field] {
        Value::Null => true,
        Value::Array(items) => items.iter().all(Value::is_null),
        _ => d.is_null(),
    }
}

/// What may change a tenant's rows: counts, latest changes, revocations and statuses.
async fn fingerprint(app: &TestApp) -> Vec<i64> {
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

#[tokio::test]
async fn foreign_ids_are_not_found_everywhere() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@platform.test").await;

    // The victim: an agency sold by a reseller, with two sub-accounts and keys at both levels.
    app.user("partner@reseller.test").await;
    let reseller = app
        .reseller(&admin, "Reseller", "partner@reseller.test", 0)
        .await;
    let victim_owner = app.user("owner@victim.test").await;
    let r = app
        .agency_under(&admin, &reseller, "Victim", "owner@victim.test")
        .await
        .ok();
    let victim = r
        .data("agencyCreate.agency.id")
        .as_str()
        .expect("victim")
        .to_owned();
    let v1 = app.sub_account(&victim_owner, &victim, "Victim One").await;
    let v2 = app.sub_account(&victim_owner, &victim, "Victim Two").await;
    let key = |scope: String| {
        let app = &app;
        let token = victim_owner.access.clone();
        async move {
            let r = app
                .gql(Some(&token), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [CONTACTS_READ] }) { apiKey { id } } }", json!({ "s": scope }))
                .await
                .ok();
            r.data("apiKeyCreate.apiKey.id")
                .as_str()
                .expect("key")
                .to_owned()
        }
    };
    let agency_key = key(victim.clone()).await;
    let v1_key = key(v1.clone()).await;
    let r = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { invitationCreate(input: { scopeId: $s, email: \"hire@victim.test\", role: SUBACCOUNT_USER }) { invitation { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let sidebar = app
        .gql(
            Some(&victim_owner.access),
            "query($id: ID!) { node(id: $id) { ... on SubAccount { sidebarOptions { id } } } }",
            json!({ "id": v1 }),
        )
        .await
        .ok();
    let v1_sidebar = sidebar.data("node.sidebarOptions")[0]["id"]
        .as_str()
        .expect("sidebar")
        .to_owned();
    let mine = app
        .gql(
            Some(&victim_owner.access),
            "{ viewerMemberships { id } }",
            json!({}),
        )
        .await
        .ok();
    let victim_membership = mine.data("viewerMemberships")[0]["id"]
        .as_str()
        .expect("membership")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { contactCreate(input: { subAccountId: $s, firstName: \"Victim\", email: \"victim@contact.test\" }) { contact { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_contact = created
        .data("contactCreate.contact.id")
        .as_str()
        .expect("contact")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { tagCreate(input: { subAccountId: $s, name: \"victim\" }) { tag { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_tag = created
        .data("tagCreate.tag.id")
        .as_str()
        .expect("tag")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($c: ID!) { contactNoteAdd(input: { contactId: $c, body: \"victim note\" }) { activity { id } } }",
            json!({ "c": v1_contact }),
        )
        .await
        .ok();
    let v1_note = created
        .data("contactNoteAdd.activity.id")
        .as_str()
        .expect("note")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { customFieldCreate(input: { subAccountId: $s, name: \"Plan\", kind: SINGLE_SELECT, options: [\"gold\"] }) { customField { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_field = created
        .data("customFieldCreate.customField.id")
        .as_str()
        .expect("field")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($c: ID!, $f: ID!) { contactUpdate(id: $c, input: { customValues: [{ fieldId: $f, text: \"gold\" }] }) { userErrors { code } } }",
            json!({ "c": v1_contact, "f": v1_field }),
        )
        .await
        .ok();
    assert_eq!(
        created.user_error_codes("contactUpdate"),
        Vec::<String>::new()
    );
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!, $f: ID!) { segmentCreate(input: { subAccountId: $s, name: \"Gold\", filter: { customFields: [{ fieldId: $f, equals: \"gold\" }] } }) { segment { id } } }",
            json!({ "s": v1, "f": v1_field }),
        )
        .await
        .ok();
    let v1_segment = created
        .data("segmentCreate.segment.id")
        .as_str()
        .expect("segment")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { pipelineCreate(input: { subAccountId: $s, name: \"Victim\" }) { pipeline { id lanes { id } } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_pipeline = created
        .data("pipelineCreate.pipeline.id")
        .as_str()
        .expect("pipeline")
        .to_owned();
    let v1_lane = created.data("pipelineCreate.pipeline.lanes")[0]["id"]
        .as_str()
        .expect("lane")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($l: ID!, $c: ID!) { ticketCreate(input: { laneId: $l, title: \"Victim deal\", contactId: $c, value: 100 }) { ticket { id } } }",
            json!({ "l": v1_lane, "c": v1_contact }),
        )
        .await
        .ok();
    let v1_ticket = created
        .data("ticketCreate.ticket.id")
        .as_str()
        .expect("ticket")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($t: ID!) { ticketNoteAdd(input: { ticketId: $t, body: \"victim\" }) { note { id } } }",
            json!({ "t": v1_ticket }),
        )
        .await
        .ok();
    let v1_ticket_note = created
        .data("ticketNoteAdd.note.id")
        .as_str()
        .expect("note")
        .to_owned();
    // The victim's task workspace: a task with one of each child, a group, a category, an
    // idea board with an idea, a link.
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { g: taskGroupCreate(input: { subAccountId: $s, name: \"V\" }) { group { id } } c: taskCategoryCreate(input: { subAccountId: $s, name: \"V\" }) { category { id } } b: ideaBoardCreate(input: { subAccountId: $s, name: \"V\" }) { board { id } } l: workspaceLinkCreate(input: { subAccountId: $s, title: \"V\", url: \"https://victim.test\" }) { link { id } } t: taskCreate(input: { subAccountId: $s, title: \"Victim task\" }) { task { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let id_at = |r: &tests::Gql, path: &str| r.data(path).as_str().expect("id").to_owned();
    let task = id_at(&created, "t.task.id");
    let children = app
        .gql(
            Some(&victim_owner.access),
            "mutation($t: ID!, $b: ID!) { i: taskChecklistItemAdd(input: { taskId: $t, body: \"V\" }) { item { id } } c: taskCommentAdd(input: { taskId: $t, body: \"V\" }) { comment { id } } a: taskAttachmentAdd(input: { taskId: $t, name: \"v.pdf\", url: \"https://victim.test/v.pdf\" }) { attachment { id } } r: taskReminderAdd(input: { taskId: $t, remindAt: \"2099-01-01T00:00:00Z\" }) { reminder { id } } d: ideaCreate(input: { boardId: $b, title: \"V\" }) { idea { id } } }",
            json!({ "t": task, "b": id_at(&created, "b.board.id") }),
        )
        .await
        .ok();
    let v1_workspace = [
        task.clone(),
        id_at(&created, "g.group.id"),
        id_at(&created, "c.category.id"),
        id_at(&created, "b.board.id"),
        id_at(&created, "l.link.id"),
        id_at(&children, "i.item.id"),
        id_at(&children, "c.comment.id"),
        id_at(&children, "a.attachment.id"),
        id_at(&children, "r.reminder.id"),
        id_at(&children, "d.idea.id"),
    ];
    let v1_invitation = r
        .data("invitationCreate.invitation.id")
        .as_str()
        .expect("invitation")
        .to_owned();

    // (a) the owner of another agency; (b) a user of the sibling sub-account; (c) the owner
    // of a sibling agency sold by the same reseller.
    let other_owner = app.user("owner@other.test").await;
    let other = app.agency(&admin, "Other", "owner@other.test").await;
    // (d) the owner of another reseller; (e) a broad API key of another agency.
    let rival = app.user("rival@reseller.test").await;
    app.reseller(&admin, "Rival", "rival@reseller.test", 0)
        .await;
    let r = app
        .gql(
            Some(&other_owner.access),
            "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [CONTACTS_READ, MEMBERS_MANAGE, SETTINGS_MANAGE, API_KEYS_MANAGE, SUB_ACCOUNTS_MANAGE] }) { secret } }",
            json!({ "s": other }),
        )
        .await
        .ok();
    let foreign_key = Session {
        user_id: other_owner.user_id.clone(),
        access: r
            .data("apiKeyCreate.secret")
            .as_str()
            .expect("secret")
            .to_owned(),
        refresh: String::new(),
    };
    let sibling_agency_owner = app.user("owner@sibling.test").await;
    app.agency_under(&admin, &reseller, "Sibling", "owner@sibling.test")
        .await
        .ok();
    let sibling = app.user("staff@two.test").await;
    app.grant_in(&sibling.user_id, &v2, kernel::Role::SubaccountAdmin)
        .await;

    let (schema, ops) = operations(&app).await;
    assert!(
        ops.len() >= 15,
        "the probe found only {} operations",
        ops.len()
    );
    let random = |id: &str| {
        let g = kernel::GlobalId::parse(id).expect("gid");
        kernel::GlobalId::new(g.kind, uuid::Uuid::now_v7()).to_string()
    };
    // Every victim id; the sibling sub-account's user belongs to the victim agency, so its
    // agency and agency key are left out for them.
    let mut all: Vec<&String> = vec![
        &reseller,
        &victim,
        &v1,
        &agency_key,
        &v1_key,
        &v1_invitation,
        &v1_sidebar,
        &v1_contact,
        &v1_tag,
        &v1_note,
        &v1_field,
        &v1_segment,
        &v1_pipeline,
        &v1_lane,
        &v1_ticket,
        &v1_ticket_note,
        &victim_membership,
        &victim_owner.user_id,
    ];
    all.extend(v1_workspace.iter());
    let in_agency: Vec<&String> = all
        .iter()
        .copied()
        .filter(|id| *id != &victim && *id != &agency_key)
        .collect();
    let relationships: [(&str, &Session, Vec<&String>); 5] = [
        ("another agency", &other_owner, all.clone()),
        ("sibling sub-account", &sibling, in_agency),
        ("another reseller", &rival, all.clone()),
        ("an API key of another agency", &foreign_key, all.clone()),
        (
            "sibling agency of the same reseller",
            &sibling_agency_owner,
            all.clone(),
        ),
    ];

    let mut failures = Vec::new();
    let mut calls = 0;
    for (relationship, attacker, ids) in &relationships {
        let before = fingerprint(&app).await;
        // Independent requests: eight at a time.
        let probes = ops
            .iter()
            .flat_map(|op| ids.iter().map(move |id| (op, *id)));
        let results: Vec<Option<String>> = futures_util::stream::iter(probes)
            .map(|(op, id)| {
                let (app, schema) = (&app, &schema);
                async move {
                    let other = random(id);
                    let hit = call(app, attacker, schema, op, id).await;
                    let miss = call(app, attacker, schema, op, &other).await;
                    let codes: Vec<String> = errors(&hit).into_iter().map(|(c, _)| c).collect();
                    let refused = !codes.is_empty()
                        && codes.iter().all(|c| {
                            ["NOT_FOUND", "FORBIDDEN", "BAD_USER_INPUT"].contains(&c.as_str())
                        });
                    let leaked = !refused
                        || !no_data(&hit, &op.field)
                        || errors_of(&hit, id) != errors_of(&miss, &other)
                        || hit["status"] != miss["status"];
                    leaked.then(|| {
                        format!(
                            "[{relationship}] {} with {id}:\n  victim: {}\n  random: {}",
                            op.field, hit, miss
                        )
                    })
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        calls += results.len();
        failures.extend(results.into_iter().flatten());
        let after = fingerprint(&app).await;
        assert_eq!(before, after, "[{relationship}] the probe changed rows");
    }
    assert!(
        failures.is_empty(),
        "{} of {calls} calls leaked:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "isolation probe: {} operations, {calls} calls, 0 leaks",
        ops.len()
    );
}
