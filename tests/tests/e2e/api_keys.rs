//! API keys: create (secret once), list, use, revoke; and every refusal.

use kernel::{Role, Scope};
use serde_json::json;
use tests::{TestApp, spawn_app};
use uuid::Uuid;

const CREATE: &str = "mutation($i: ApiKeyCreateInput!) { apiKeyCreate(input: $i) { apiKey { id name prefix status permissions scope { kind id } } secret userErrors { field code message } } }";
const LIST: &str = "query($s: ID!) { apiKeys(scopeId: $s, first: 10) { totalCount nodes { id name status } pageInfo { hasNextPage } } }";
const REVOKE: &str = "mutation($id: ID!) { apiKeyRevoke(id: $id) { apiKey { id status revokedAt } userErrors { code } } }";

fn agency_gid(id: Uuid) -> String {
    kernel::GlobalId::new(kernel::NodeKind::Agency, id).to_string()
}

/// A real agency owned by a new user `email` (created by a platform admin of its own).
async fn agency_owner(app: &TestApp, email: &str) -> (tests::Session, Uuid) {
    let admin = app.platform_admin(&format!("root.{email}")).await;
    let owner = app.user(email).await;
    let agency = app.agency(&admin, "Agency", email).await;
    (owner, tests::uuid_of(&agency))
}

#[tokio::test]
async fn create_list_use_and_revoke() {
    let app = spawn_app().await;
    let (owner, agency) = agency_owner(&app, "owner@a.test").await;
    let scope = agency_gid(agency);

    let r = app
        .gql(Some(&owner.access), CREATE, json!({ "i": { "scopeId": scope, "name": "Zapier", "permissions": ["CONTACTS_READ", "API_KEYS_MANAGE"] } }))
        .await
        .ok();
    let secret = r
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    let prefix = r
        .data("apiKeyCreate.apiKey.prefix")
        .as_str()
        .expect("prefix")
        .to_owned();
    let key_id = r
        .data("apiKeyCreate.apiKey.id")
        .as_str()
        .expect("id")
        .to_owned();
    assert!(
        secret.starts_with(&format!("{prefix}_")),
        "{secret} / {prefix}"
    );
    assert_eq!(r.data("apiKeyCreate.apiKey.status"), "ACTIVE");
    assert_eq!(r.data("apiKeyCreate.apiKey.scope.kind"), "AGENCY");
    assert_eq!(r.data("apiKeyCreate.apiKey.scope.id"), scope.as_str());
    assert_eq!(
        r.data("apiKeyCreate.apiKey.permissions"),
        &json!(["CONTACTS_READ", "API_KEYS_MANAGE"])
    );
    // Only a hash is stored.
    // The random part may itself contain `_` (URL-safe base64): cut the known head off.
    let secret_part = secret
        .strip_prefix(&format!("{prefix}_"))
        .expect("ck_<prefix>_<secret>");
    assert!(secret_part.len() >= 40, "{secret_part}");
    assert_eq!(
        app.count(&format!("api_keys WHERE secret_hash = '{secret_part}'"))
            .await,
        0
    );
    assert_eq!(
        app.count("events WHERE event_type = 'api_key.created'")
            .await,
        1
    );

    // The secret is never shown again.
    let listed = app
        .gql(Some(&owner.access), LIST, json!({ "s": scope }))
        .await
        .ok();
    assert_eq!(listed.data("apiKeys.totalCount"), 1);
    assert_eq!(listed.data("apiKeys.nodes")[0]["id"], key_id.as_str());
    assert!(!listed.body.to_string().contains(secret_part));

    // The key authenticates, acts within its permissions, and is not a user.
    let as_key = app
        .gql(Some(&secret), LIST, json!({ "s": scope }))
        .await
        .ok();
    assert_eq!(as_key.data("apiKeys.totalCount"), 1);
    let viewer = app
        .gql(Some(&secret), "{ viewer { id } }", json!({}))
        .await
        .ok();
    assert!(viewer.data("viewer").is_null());
    // A key cannot mint keys (only people can).
    let r = app
        .gql(
            Some(&secret),
            CREATE,
            json!({ "i": { "scopeId": scope, "name": "child", "permissions": ["CONTACTS_READ"] } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));

    let r = app
        .gql(Some(&owner.access), REVOKE, json!({ "id": key_id }))
        .await
        .ok();
    assert_eq!(r.data("apiKeyRevoke.apiKey.status"), "REVOKED");
    let refused = app.gql(Some(&secret), LIST, json!({ "s": scope })).await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (401, Some("UNAUTHENTICATED"))
    );
    let again = app
        .gql(Some(&owner.access), REVOKE, json!({ "id": key_id }))
        .await
        .ok();
    assert_eq!(again.user_error_codes("apiKeyRevoke"), vec!["ALREADY_DONE"]);

    // A key whose secret part is wrong is refused like an unknown one.
    let tampered = format!("{prefix}_{}", "A".repeat(43));
    let r = app
        .gql(Some(&tampered), "{ viewer { id } }", json!({}))
        .await;
    assert_eq!((r.status, r.error_code()), (401, Some("UNAUTHENTICATED")));
}

#[tokio::test]
async fn expired_keys_stop_working() {
    let app = spawn_app().await;
    let (owner, agency) = agency_owner(&app, "owner@b.test").await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let r = app
        .gql(Some(&owner.access), CREATE, json!({ "i": { "scopeId": agency_gid(agency), "name": "short-lived", "permissions": ["CONTACTS_READ"], "expiresAt": soon } }))
        .await
        .ok();
    let secret = r
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let r = app.gql(Some(&secret), "{ viewer { id } }", json!({})).await;
    assert_eq!((r.status, r.error_code()), (401, Some("UNAUTHENTICATED")));
    assert!(r.error_message().expect("msg").contains("expired"));

    let past = app
        .gql(Some(&owner.access), CREATE, json!({ "i": { "scopeId": agency_gid(agency), "name": "past", "permissions": ["CONTACTS_READ"], "expiresAt": "2001-01-01T00:00:00Z" } }))
        .await
        .ok();
    assert_eq!(past.user_error_codes("apiKeyCreate"), vec!["INVALID"]);
}

#[tokio::test]
async fn refusals() {
    let app = spawn_app().await;
    let (owner, agency) = agency_owner(&app, "owner@c.test").await;
    let staff = app.user("staff@c.test").await;
    app.grant(&staff.user_id, Scope::Agency(agency), Role::AgencyUser)
        .await;
    let stranger = app.user("stranger@d.test").await;
    let scope = agency_gid(agency);
    let input = |perms: serde_json::Value| json!({ "i": { "scopeId": scope, "name": "k", "permissions": perms } });

    let anon = app.gql(None, CREATE, input(json!(["CONTACTS_READ"]))).await;
    assert_eq!(anon.error_code(), Some("UNAUTHENTICATED"));
    // Someone outside the agency cannot tell it exists.
    let outside = app
        .gql(
            Some(&stranger.access),
            CREATE,
            input(json!(["CONTACTS_READ"])),
        )
        .await;
    assert_eq!(outside.error_code(), Some("NOT_FOUND"));
    let outside_list = app
        .gql(Some(&stranger.access), LIST, json!({ "s": scope }))
        .await;
    assert_eq!(outside_list.error_code(), Some("NOT_FOUND"));
    // A member without the permission is forbidden.
    let member = app
        .gql(Some(&staff.access), CREATE, input(json!(["CONTACTS_READ"])))
        .await;
    assert_eq!(member.error_code(), Some("FORBIDDEN"));
    // Permissions beyond one's own, or none at all.
    let beyond = app
        .gql(
            Some(&owner.access),
            CREATE,
            input(json!(["PLATFORM_MANAGE"])),
        )
        .await
        .ok();
    assert_eq!(beyond.user_error_codes("apiKeyCreate"), vec!["NOT_ALLOWED"]);
    let none = app
        .gql(Some(&owner.access), CREATE, input(json!([])))
        .await
        .ok();
    assert_eq!(none.user_error_codes("apiKeyCreate"), vec!["INVALID"]);
    let blank = app
        .gql(
            Some(&owner.access),
            CREATE,
            json!({ "i": { "scopeId": scope, "name": "  ", "permissions": ["CONTACTS_READ"] } }),
        )
        .await
        .ok();
    assert_eq!(blank.user_error_codes("apiKeyCreate"), vec!["INVALID"]);
    // Malformed and wrongly typed ids.
    let r = app
        .gql(Some(&owner.access), CREATE, json!({ "i": { "scopeId": "agc_nope", "name": "k", "permissions": ["CONTACTS_READ"] } }))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let r = app
        .gql(Some(&owner.access), CREATE, json!({ "i": { "scopeId": owner.user_id, "name": "k", "permissions": ["CONTACTS_READ"] } }))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    let r = app
        .gql(Some(&owner.access), REVOKE, json!({ "id": scope }))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    assert_eq!(app.count("api_keys").await, 0);
}

#[tokio::test]
async fn another_agencys_keys_are_invisible() {
    let app = spawn_app().await;
    let (owner_a, a) = agency_owner(&app, "owner@a.test").await;
    let (owner_b, _) = agency_owner(&app, "owner@b.test").await;
    let r = app
        .gql(Some(&owner_a.access), CREATE, json!({ "i": { "scopeId": agency_gid(a), "name": "A's key", "permissions": ["CONTACTS_READ"] } }))
        .await
        .ok();
    let key = r
        .data("apiKeyCreate.apiKey.id")
        .as_str()
        .expect("id")
        .to_owned();
    let random = kernel::GlobalId::new(kernel::NodeKind::ApiKey, Uuid::now_v7()).to_string();

    for id in [&key, &random] {
        let revoke = app
            .gql(Some(&owner_b.access), REVOKE, json!({ "id": id }))
            .await;
        assert_eq!(revoke.error_code(), Some("NOT_FOUND"));
        assert!(revoke.data("apiKeyRevoke").is_null());
    }
    let foreign = app
        .gql(Some(&owner_b.access), REVOKE, json!({ "id": key }))
        .await;
    let missing = app
        .gql(Some(&owner_b.access), REVOKE, json!({ "id": random }))
        .await;
    assert_eq!(
        foreign.body["errors"][0]["message"],
        missing.body["errors"][0]["message"]
    );
    let node = app
        .gql(
            Some(&owner_b.access),
            "query($id: ID!) { node(id: $id) { id ... on ApiKey { name } } }",
            json!({ "id": key }),
        )
        .await;
    assert_eq!(node.error_code(), Some("NOT_FOUND"));
    assert!(!node.body.to_string().contains("A's key"));
    assert_eq!(app.count("api_keys WHERE revoked_at IS NULL").await, 1);
}

#[tokio::test]
async fn an_owner_of_several_agencies_manages_keys_without_naming_one() {
    let app = spawn_app().await;
    let (owner, a) = agency_owner(&app, "owner@a.test").await;
    let (_, b) = agency_owner(&app, "owner@b.test").await;
    app.grant(&owner.user_id, Scope::Agency(b), Role::AgencyOwner)
        .await;
    // No Canopy-Agency header: the request acts in no agency, and the key's scope decides.
    for agency in [a, b] {
        let r = app
            .gql(Some(&owner.access), CREATE, json!({ "i": { "scopeId": agency_gid(agency), "name": "k", "permissions": ["CONTACTS_READ"] } }))
            .await
            .ok();
        assert_eq!(r.user_errors("apiKeyCreate"), vec![], "{}", r.body);
        let listed = app
            .gql(
                Some(&owner.access),
                LIST,
                json!({ "s": agency_gid(agency) }),
            )
            .await
            .ok();
        assert_eq!(listed.data("apiKeys.totalCount"), 1, "{}", listed.body);
    }
}
