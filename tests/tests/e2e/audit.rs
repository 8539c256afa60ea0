//! The audit log: every mutation by every actor, with its tenant, targets and result; read
//! by a scope's admins only; kept for its retention.

use kernel::Role;
use serde_json::{Value, json};
use tests::{TestApp, spawn_app};

const LOG: &str = "query($s: ID!, $f: AuditFilterInput) { auditLog(scopeId: $s, filter: $f, first: 50) { totalCount nodes { operation actorKind actorId onBehalfOf subAccountId targets result userErrors ip requestId } } }";
const UPDATE: &str = "mutation($id: ID!, $i: ContactUpdateInput!) { contactUpdate(id: $id, input: $i) { contact { id } userErrors { code } } }";

async fn log(app: &TestApp, token: &str, scope: &str, filter: Value) -> Vec<Value> {
    let r = app
        .gql(Some(token), LOG, json!({ "s": scope, "f": filter }))
        .await
        .ok();
    r.data("auditLog.nodes").as_array().expect("nodes").clone()
}

fn platform() -> String {
    kernel::id::scope_gid(kernel::Scope::Platform).to_string()
}

#[tokio::test]
async fn each_mutation_is_logged_with_its_actor_targets_and_result() {
    let app = spawn_app().await;
    let w = app.world().await;
    let contact = app
        .create_contact(&w.owner, &w.dental, json!({ "firstName": "Ann" }))
        .await;
    // A user error, and a failure (an id that names nothing).
    app.gql(
        Some(&w.owner.access),
        UPDATE,
        json!({ "id": contact, "i": { "email": "not an email" } }),
    )
    .await
    .ok();
    let missing =
        kernel::GlobalId::new(kernel::NodeKind::Contact, uuid::Uuid::now_v7()).to_string();
    app.gql(
        Some(&w.owner.access),
        UPDATE,
        json!({ "id": missing, "i": { "firstName": "X" } }),
    )
    .await;

    // Acting from the agency, a mutation that changed nothing is filed under the agency (only
    // what it changed tells its sub-account).
    let rows = log(
        &app,
        &w.owner.access,
        &w.agency,
        json!({ "operation": "contactUpdate" }),
    )
    .await;
    let results: Vec<&str> = rows
        .iter()
        .map(|r| r["result"].as_str().expect("result"))
        .collect();
    assert_eq!(results, vec!["NOT_FOUND", "USER_ERRORS"], "newest first");
    assert_eq!(rows[0]["targets"], json!([missing]));
    assert!(!rows[1]["userErrors"].as_array().expect("codes").is_empty());
    let created = &log(
        &app,
        &w.owner.access,
        &w.dental,
        json!({ "operation": "contactCreate" }),
    )
    .await[0];
    assert_eq!(created["result"], "OK");
    assert_eq!(created["actorKind"], "user");
    assert_eq!(created["actorId"], w.owner.user_id.as_str());
    assert_eq!(created["subAccountId"], w.dental.as_str());
    assert_eq!(created["ip"], "127.0.0.1");
    let targets = created["targets"].as_array().expect("targets");
    assert!(
        targets.contains(&json!(contact)) && targets.contains(&json!(w.dental)),
        "{targets:?}"
    );
    // The agency's log holds its sub-accounts' entries too.
    let agency = log(
        &app,
        &w.owner.access,
        &w.agency,
        json!({ "operation": "contactCreate" }),
    )
    .await;
    assert_eq!(agency.len(), 1);
    assert_eq!(
        app.count("audit_log WHERE operation = 'contactUpdate'")
            .await,
        2,
        "the failed update's row was kept although its savepoint was undone"
    );
}

#[tokio::test]
async fn an_api_key_is_logged_as_itself_on_behalf_of_its_owner() {
    let app = spawn_app().await;
    let w = app.world().await;
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($i: ApiKeyCreateInput!) { apiKeyCreate(input: $i) { apiKey { id } secret } }",
            json!({ "i": { "scopeId": w.dental, "name": "Sync", "permissions": ["CONTACTS_READ", "CONTACTS_WRITE"] } }),
        )
        .await
        .ok();
    let secret = r
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    let key = r.data("apiKeyCreate.apiKey.id").clone();
    app.create_contact(
        &tests::Session {
            user_id: w.owner.user_id.clone(),
            access: secret,
            refresh: String::new(),
        },
        &w.dental,
        json!({ "firstName": "Bo" }),
    )
    .await;
    let rows = log(&app, &w.owner.access, &w.dental, json!({ "actorId": key })).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["actorKind"], "api_key");
    assert_eq!(rows[0]["onBehalfOf"], w.owner.user_id.as_str());
}

#[tokio::test]
async fn the_log_is_for_admins_and_invisible_to_other_tenants() {
    let app = spawn_app().await;
    let w = app.world().await;
    let staff = app
        .member("staff@acme.test", &w.dental, Role::SubaccountUser)
        .await;
    let r = app
        .gql(Some(&staff.access), LOG, json!({ "s": w.dental }))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let admin = app.platform_admin("root2@platform.test").await;
    let other = app.user("other@b.test").await;
    let b = app.agency(&admin, "B", "other@b.test").await;
    let r = app
        .gql(Some(&other.access), LOG, json!({ "s": w.agency }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(Some(&other.access), LOG, json!({ "s": w.dental }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    assert!(
        log(&app, &other.access, &b, json!({}))
            .await
            .iter()
            .all(|e| e["operation"] != "contactCreate")
    );
    // Sign-ins belong to no agency: the platform's admins read them.
    let r = app
        .gql(Some(&w.owner.access), LOG, json!({ "s": platform() }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let signins = log(
        &app,
        &admin.access,
        &platform(),
        json!({ "operation": "sessionCreate" }),
    )
    .await;
    assert!(
        signins
            .iter()
            .any(|e| e["actorKind"] == "anonymous" && e["result"] == "OK")
    );
}

#[tokio::test]
async fn entries_past_their_retention_are_removed() {
    let app = spawn_app().await;
    let w = app.world().await;
    let before = app.count("audit_log").await;
    assert!(before > 0);
    let old = kernel::id::uuid_floor(chrono::Utc::now() - chrono::Duration::days(400));
    use sea_orm::{ActiveValue::Set, EntityTrait};
    audit::entity::Entity::insert(audit::entity::ActiveModel {
        id: Set(old),
        agency_id: Set(Some(tests::uuid_of(&w.agency))),
        sub_account_id: Set(None),
        actor_kind: Set("system".into()),
        actor_id: Set(None),
        on_behalf_of: Set(None),
        operation: Set("contactCreate".into()),
        targets: Set(json!([])),
        result: Set("OK".into()),
        user_errors: Set(json!([])),
        ip: Set(None),
        request_id: Set("-".into()),
        occurred_at: Set(chrono::Utc::now() - chrono::Duration::days(400)),
    })
    .exec_without_returning(&app.db)
    .await
    .expect("old row");
    let out = app.run_job(audit::RETENTION, json!({})).await;
    assert_eq!(out["removed"], 1, "{out}");
    assert_eq!(app.count("audit_log").await, before);
}

/// A document of one mutation opens its savepoint in the statement that sets the tenant: a
/// mutation failing inside the database is undone, and its row is still written in its
/// tenant (the settings come before the savepoint, so rolling back keeps them).
#[tokio::test]
async fn a_sole_mutation_failing_in_the_database_is_undone_and_logged_in_its_tenant() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let w = app.world().await;
    // The tag's row can be written, its event cannot.
    app.db
        .execute_unprepared("DROP TABLE events")
        .await
        .expect("drop");
    let tag = "mutation($s: ID!) { tagCreate(input: { subAccountId: $s, name: \"vip\" }) { tag { id } } }";
    let r = app
        .gql(Some(&w.owner.access), tag, json!({ "s": w.dental }))
        .await;
    assert_eq!(r.error_code(), Some("INTERNAL"), "{}", r.body);
    assert_eq!(app.count("tags").await, 0, "the tag went with its event");
    let rows = log(
        &app,
        &w.owner.access,
        &w.agency,
        json!({ "operation": "tagCreate" }),
    )
    .await;
    let results: Vec<&str> = rows.iter().filter_map(|r| r["result"].as_str()).collect();
    assert_eq!(results, vec!["INTERNAL"]);
}
