//! Agencies and sub-accounts: creation, changes, lifecycle, visibility and refusals.

use kernel::Role;
use serde_json::json;
use tests::spawn_app;

const AGENCY: &str = "query($id: ID!) { node(id: $id) { id ... on Agency { name status subdomain subAccountPrice { amount currency } marketplaceEnabled subAccounts(first: 10) { totalCount nodes { id name slug } } } } }";
const CREATE: &str = "mutation($i: AgencyCreateInput!) { agencyCreate(input: $i) { agency { id name subdomain timezone currency: subAccountPrice { currency } status } userErrors { field code message } } }";
const UPDATE: &str = "mutation($id: ID!, $i: AgencyUpdateInput!) { agencyUpdate(id: $id, input: $i) { agency { id name marketplaceEnabled subAccountPrice { amount currency } } userErrors { field code message } } }";
const SUB_UPDATE: &str = "mutation($id: ID!, $i: SubAccountUpdateInput!) { subAccountUpdate(id: $id, input: $i) { subAccount { id name slug email } userErrors { field code message } } }";
const LIST: &str = "{ agencies(first: 50) { totalCount nodes { id name } } }";

fn lifecycle(kind: &str, action: &str) -> String {
    format!(
        "mutation($id: ID!) {{ {kind}{action}(id: $id) {{ {field} {{ id status }} userErrors {{ code message }} }} }}",
        field = if kind == "agency" {
            "agency"
        } else {
            "subAccount"
        }
    )
}

#[tokio::test]
async fn platform_admins_create_agencies_owned_by_a_user() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@platform.test").await;
    let owner = app.user("owner@acme.test").await;
    let r = app
        .gql(Some(&admin.access), CREATE, json!({ "i": { "name": " Acme ", "ownerEmail": "OWNER@acme.test", "subdomain": "Acme", "timezone": "Europe/Paris", "currency": "eur" } }))
        .await
        .ok();
    assert_eq!(r.data("agencyCreate.agency.name"), "Acme");
    assert_eq!(r.data("agencyCreate.agency.subdomain"), "acme");
    assert_eq!(r.data("agencyCreate.agency.currency.currency"), "EUR");
    assert_eq!(r.data("agencyCreate.agency.status"), "ACTIVE");
    let id = r
        .data("agencyCreate.agency.id")
        .as_str()
        .expect("id")
        .to_owned();
    assert!(id.starts_with("agc_"));
    assert_eq!(
        app.count("memberships WHERE role = 'AGENCY_OWNER'").await,
        1
    );
    assert_eq!(
        app.count("events WHERE event_type = 'agency.created'")
            .await,
        1
    );

    // The owner sees it; a stranger cannot tell it exists.
    let mine = app.gql(Some(&owner.access), LIST, json!({})).await.ok();
    assert_eq!(mine.data("agencies.totalCount"), 1);
    app.gql(Some(&owner.access), AGENCY, json!({ "id": id }))
        .await
        .ok();
    let stranger = app.user("stranger@x.test").await;
    let none = app.gql(Some(&stranger.access), LIST, json!({})).await.ok();
    assert_eq!(none.data("agencies.totalCount"), 0);
    let foreign = app
        .gql(Some(&stranger.access), AGENCY, json!({ "id": id }))
        .await;
    let random = kernel::GlobalId::new(kernel::NodeKind::Agency, uuid::Uuid::now_v7()).to_string();
    let missing = app
        .gql(Some(&stranger.access), AGENCY, json!({ "id": random }))
        .await;
    assert_eq!(foreign.error_code(), Some("NOT_FOUND"));
    assert_eq!(
        foreign.body,
        missing
            .body
            .to_string()
            .replace(&random, &id)
            .parse::<serde_json::Value>()
            .expect("json")
    );
    // The platform sees every agency.
    let all = app.gql(Some(&admin.access), LIST, json!({})).await.ok();
    assert_eq!(all.data("agencies.totalCount"), 1);
}

#[tokio::test]
async fn agency_create_refusals_write_nothing() {
    let app = spawn_app().await;
    let tests::Acme { admin, owner, .. } = app.acme().await;
    let before = app.count("agencies").await;

    let r = app
        .gql(
            Some(&owner.access),
            CREATE,
            json!({ "i": { "name": "Mine", "ownerEmail": "owner@acme.test" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = app
        .gql(
            None,
            CREATE,
            json!({ "i": { "name": "Mine", "ownerEmail": "owner@acme.test" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));

    let r = app
        .gql(Some(&admin.access), CREATE, json!({ "i": {
            "name": "", "ownerEmail": "nobody@x.test", "subdomain": "-bad-", "customDomain": "localhost",
            "timezone": "paris", "currency": "EURO", "subAccountPrice": -5 } }))
        .await
        .ok();
    let mut codes = r.user_error_codes("agencyCreate");
    codes.sort();
    assert_eq!(codes, vec!["INVALID"; 7], "{}", r.body);

    app.gql(Some(&admin.access), CREATE, json!({ "i": { "name": "One", "ownerEmail": "owner@acme.test", "subdomain": "taken", "customDomain": "crm.taken.test" } }))
        .await
        .ok();
    let r = app
        .gql(Some(&admin.access), CREATE, json!({ "i": { "name": "Two", "ownerEmail": "owner@acme.test", "subdomain": "TAKEN", "customDomain": "CRM.taken.test" } }))
        .await
        .ok();
    assert_eq!(r.user_error_codes("agencyCreate"), vec!["TAKEN", "TAKEN"]);
    let r = app
        .gql(
            Some(&admin.access),
            CREATE,
            json!({ "i": { "name": "Www", "ownerEmail": "owner@acme.test", "subdomain": "www" } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("agencyCreate"), vec!["TAKEN"]);
    assert_eq!(app.count("agencies").await, before + 1);
}

#[tokio::test]
async fn agency_update_by_its_admins_and_the_platform() {
    let app = spawn_app().await;
    let tests::Acme {
        admin,
        owner,
        agency,
    } = app.acme().await;
    let staff = app
        .member("staff@acme.test", &agency, Role::AgencyUser)
        .await;
    let stranger = app.user("stranger@x.test").await;

    let r = app
        .gql(Some(&owner.access), UPDATE, json!({ "id": agency, "i": { "name": "Acme Co", "subAccountPrice": 4900, "currency": "gbp" } }))
        .await
        .ok();
    assert_eq!(r.data("agencyUpdate.agency.name"), "Acme Co");
    assert_eq!(
        r.data("agencyUpdate.agency.subAccountPrice"),
        &json!({ "amount": 4900, "currency": "GBP" })
    );
    // Feature flags are sold by the platform, not set by the agency.
    let r = app
        .gql(
            Some(&owner.access),
            UPDATE,
            json!({ "id": agency, "i": { "marketplaceEnabled": true } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("agencyUpdate"), vec!["NOT_ALLOWED"]);
    let r = app
        .gql(
            Some(&admin.access),
            UPDATE,
            json!({ "id": agency, "i": { "marketplaceEnabled": true } }),
        )
        .await
        .ok();
    assert_eq!(r.data("agencyUpdate.agency.marketplaceEnabled"), true);

    let r = app
        .gql(
            Some(&staff.access),
            UPDATE,
            json!({ "id": agency, "i": { "name": "Hijacked" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = app
        .gql(
            Some(&stranger.access),
            UPDATE,
            json!({ "id": agency, "i": { "name": "Hijacked" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(
            Some(&owner.access),
            UPDATE,
            json!({ "id": agency, "i": { "timezone": "nowhere", "whiteLabelPrice": -1 } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("agencyUpdate"),
        vec!["INVALID", "INVALID"]
    );
    assert_eq!(app.count("agencies WHERE name = 'Hijacked'").await, 0);
}

#[tokio::test]
async fn agency_suspend_delete_and_restore() {
    let app = spawn_app().await;
    let tests::Acme {
        admin,
        owner,
        agency,
    } = app.acme().await;
    let call = |who: &tests::Session, action: &str| {
        let q = lifecycle("agency", action);
        let token = who.access.clone();
        let agency = agency.clone();
        let app = &app;
        async move { app.gql(Some(&token), &q, json!({ "id": agency })).await }
    };

    // Owners run their agency; they do not suspend or delete it.
    assert_eq!(
        call(&owner, "Suspend").await.error_code(),
        Some("FORBIDDEN")
    );
    assert_eq!(call(&owner, "Delete").await.error_code(), Some("FORBIDDEN"));

    let r = call(&admin, "Suspend").await.ok();
    assert_eq!(r.data("agencySuspend.agency.status"), "SUSPENDED");
    assert_eq!(
        call(&admin, "Suspend")
            .await
            .ok()
            .user_error_codes("agencySuspend"),
        vec!["ALREADY_DONE"]
    );
    // Its members are refused inside it, with the reason.
    let r = app
        .gql_with_headers(
            Some(&owner.access),
            "{ viewer { id } }",
            json!({}),
            &[("canopy-agency", &agency)],
        )
        .await;
    assert_eq!((r.status, r.error_code()), (403, Some("FORBIDDEN")));
    assert!(r.error_message().expect("msg").contains("suspended"));
    let r = call(&admin, "Reactivate").await.ok();
    assert_eq!(r.data("agencyReactivate.agency.status"), "ACTIVE");
    app.gql_with_headers(
        Some(&owner.access),
        "{ viewer { id } }",
        json!({}),
        &[("canopy-agency", &agency)],
    )
    .await
    .ok();

    let r = call(&admin, "Delete").await.ok();
    assert_eq!(r.data("agencyDelete.agency.status"), "DELETED");
    // Gone for its members, and for the API.
    assert_eq!(
        app.gql(Some(&owner.access), AGENCY, json!({ "id": agency }))
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        app.gql(Some(&owner.access), LIST, json!({}))
            .await
            .ok()
            .data("agencies.totalCount"),
        0
    );
    assert_eq!(
        call(&owner, "Restore").await.error_code(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        call(&admin, "Suspend").await.error_code(),
        Some("NOT_FOUND")
    );
    let r = call(&admin, "Restore").await.ok();
    assert_eq!(r.data("agencyRestore.agency.status"), "ACTIVE");
    assert_eq!(
        call(&admin, "Restore")
            .await
            .ok()
            .user_error_codes("agencyRestore"),
        vec!["ALREADY_DONE"]
    );
    app.gql(Some(&owner.access), AGENCY, json!({ "id": agency }))
        .await
        .ok();

    // Past the 30-day window, a deletion is final.
    call(&admin, "Delete").await.ok();
    use sea_orm::ConnectionTrait;
    let old = (chrono::Utc::now() - chrono::Duration::days(31)).to_rfc3339();
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            if backend == sea_orm::DbBackend::Postgres {
                "UPDATE agencies SET deleted_at = $1::timestamptz"
            } else {
                "UPDATE agencies SET deleted_at = ?"
            },
            [old.into()],
        ))
        .await
        .expect("age the deletion");
    assert_eq!(
        call(&admin, "Restore")
            .await
            .ok()
            .user_error_codes("agencyRestore"),
        vec!["NOT_ALLOWED"]
    );
    assert_eq!(
        app.count("events WHERE event_type LIKE 'agency.%'").await,
        6
    );
}

#[tokio::test]
async fn sub_accounts_are_seen_by_those_who_reach_them() {
    let app = spawn_app().await;
    let tests::Acme {
        admin,
        owner,
        agency,
    } = app.acme().await;
    let dental = app.sub_account(&owner, &agency, "Bright Dental").await;
    let gardens = app.sub_account(&owner, &agency, "Green Gardens").await;
    assert!(dental.starts_with("sub_"));

    let dental_staff = app
        .member("staff@dental.test", &dental, Role::SubaccountUser)
        .await;
    let agency_user = app
        .member("user@acme.test", &agency, Role::AgencyUser)
        .await;

    let names = |r: &tests::Gql| -> Vec<String> {
        r.data("node.subAccounts.nodes")
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let r = app
        .gql(Some(&owner.access), AGENCY, json!({ "id": agency }))
        .await
        .ok();
    assert_eq!(names(&r), vec!["Bright Dental", "Green Gardens"]);
    assert_eq!(r.data("node.subAccounts.nodes")[0]["slug"], "bright-dental");
    let r = app
        .gql(Some(&admin.access), AGENCY, json!({ "id": agency }))
        .await
        .ok();
    assert_eq!(r.data("node.subAccounts.totalCount"), 2);
    // Sub-account staff see their own sub-account only; the sibling is NOT_FOUND to them.
    let r = app
        .gql(Some(&dental_staff.access), AGENCY, json!({ "id": agency }))
        .await
        .ok();
    assert_eq!(names(&r), vec!["Bright Dental"]);
    let sibling = app
        .gql(
            Some(&dental_staff.access),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gardens }),
        )
        .await;
    assert_eq!(sibling.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(
            Some(&dental_staff.access),
            "query($id: ID!) { node(id: $id) { ... on SubAccount { agency { name } } } }",
            json!({ "id": dental }),
        )
        .await
        .ok();
    assert_eq!(r.data("node.agency.name"), "Acme");
    // An agency user without all-sub-account access sees none of them.
    let r = app
        .gql(Some(&agency_user.access), AGENCY, json!({ "id": agency }))
        .await
        .ok();
    assert_eq!(r.data("node.subAccounts.totalCount"), 0);
    // Strangers see nothing.
    let stranger = app.user("stranger@x.test").await;
    let r = app
        .gql(
            Some(&stranger.access),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": dental }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn sub_account_changes_and_refusals() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let dental = app.sub_account(&owner, &agency, "Bright Dental").await;
    let gardens = app.sub_account(&owner, &agency, "Green Gardens").await;
    let sub_admin = app
        .member("admin@dental.test", &dental, Role::SubaccountAdmin)
        .await;
    let other_owner = app.user("owner@other.test").await;
    let admin2 = app.platform_admin("root2@platform.test").await;
    let other = app.agency(&admin2, "Other", "owner@other.test").await;
    let _ = other;

    // Slugs are unique in an agency.
    let r = app
        .gql(Some(&owner.access), "mutation($i: SubAccountCreateInput!) { subAccountCreate(input: $i) { subAccount { id } userErrors { field code } } }", json!({ "i": { "agencyId": agency, "name": "Bright Dental" } }))
        .await
        .ok();
    assert_eq!(r.user_error_codes("subAccountCreate"), vec!["TAKEN"]);
    // A sub-account admin edits their sub-account, not their sibling, and creates none.
    let r = app.gql(Some(&sub_admin.access), SUB_UPDATE, json!({ "id": dental, "i": { "name": "Bright Dental Care", "email": "Front@Dental.test" } })).await.ok();
    assert_eq!(
        r.data("subAccountUpdate.subAccount.email"),
        "front@dental.test"
    );
    let r = app
        .gql(
            Some(&sub_admin.access),
            SUB_UPDATE,
            json!({ "id": gardens, "i": { "name": "Mine" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(Some(&sub_admin.access), "mutation($i: SubAccountCreateInput!) { subAccountCreate(input: $i) { subAccount { id } } }", json!({ "i": { "agencyId": agency, "name": "New" } }))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = app
        .gql(
            Some(&sub_admin.access),
            &lifecycle("subAccount", "Delete"),
            json!({ "id": dental }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    // Another agency's owner: everything here is NOT_FOUND.
    for q in [
        lifecycle("subAccount", "Suspend"),
        lifecycle("subAccount", "Delete"),
        lifecycle("subAccount", "Restore"),
    ] {
        let r = app
            .gql(Some(&other_owner.access), &q, json!({ "id": dental }))
            .await;
        assert_eq!(r.error_code(), Some("NOT_FOUND"), "{q}");
    }
    let r = app
        .gql(
            Some(&other_owner.access),
            SUB_UPDATE,
            json!({ "id": dental, "i": { "name": "x" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(Some(&other_owner.access), "mutation($i: SubAccountCreateInput!) { subAccountCreate(input: $i) { subAccount { id } } }", json!({ "i": { "agencyId": agency, "name": "Planted" } }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    // Bad input.
    let r = app.gql(Some(&owner.access), SUB_UPDATE, json!({ "id": dental, "i": { "slug": "Not A Slug", "logoUrl": "ftp://x", "email": "nope" } })).await.ok();
    assert_eq!(
        r.user_error_codes("subAccountUpdate"),
        vec!["INVALID", "INVALID", "INVALID"]
    );
    let r = app
        .gql(
            Some(&owner.access),
            SUB_UPDATE,
            json!({ "id": dental, "i": { "slug": "green-gardens" } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("subAccountUpdate"), vec!["TAKEN"]);
    let r = app
        .gql(
            Some(&owner.access),
            SUB_UPDATE,
            json!({ "id": agency, "i": { "name": "x" } }),
        )
        .await;
    assert_eq!(
        r.error_code(),
        Some("BAD_USER_INPUT"),
        "an agency id is not a sub-account id"
    );

    // Lifecycle by the agency; a suspended sub-account refuses its staff.
    let r = app
        .gql(
            Some(&owner.access),
            &lifecycle("subAccount", "Suspend"),
            json!({ "id": dental }),
        )
        .await
        .ok();
    assert_eq!(r.data("subAccountSuspend.subAccount.status"), "SUSPENDED");
    let r = app
        .gql_with_headers(
            Some(&sub_admin.access),
            "{ viewer { id } }",
            json!({}),
            &[("canopy-sub-account", &dental)],
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    app.gql(
        Some(&owner.access),
        &lifecycle("subAccount", "Reactivate"),
        json!({ "id": dental }),
    )
    .await
    .ok();
    app.gql_with_headers(
        Some(&sub_admin.access),
        "{ viewer { id } }",
        json!({}),
        &[("canopy-sub-account", &dental)],
    )
    .await
    .ok();
    let r = app
        .gql(
            Some(&owner.access),
            &lifecycle("subAccount", "Delete"),
            json!({ "id": dental }),
        )
        .await
        .ok();
    assert_eq!(r.data("subAccountDelete.subAccount.status"), "DELETED");
    assert_eq!(
        app.gql(
            Some(&sub_admin.access),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": dental })
        )
        .await
        .error_code(),
        Some("NOT_FOUND")
    );
    let r = app
        .gql(
            Some(&owner.access),
            &lifecycle("subAccount", "Restore"),
            json!({ "id": dental }),
        )
        .await
        .ok();
    assert_eq!(r.data("subAccountRestore.subAccount.status"), "ACTIVE");
}

#[tokio::test]
async fn sub_account_scoped_api_keys_and_tenant_headers() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let dental = app.sub_account(&owner, &agency, "Bright Dental").await;
    let stranger = app.user("stranger@x.test").await;
    const KEY: &str = "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [CONTACTS_READ] }) { apiKey { scope { kind id } } secret userErrors { code } } }";
    // The owner reaches the sub-account through the agency: the scope is found in the tree.
    let r = app
        .gql(Some(&owner.access), KEY, json!({ "s": dental }))
        .await
        .ok();
    assert_eq!(
        r.data("apiKeyCreate.apiKey.scope"),
        &json!({ "kind": "SUB_ACCOUNT", "id": dental })
    );
    let secret = r
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    let r = app
        .gql(Some(&stranger.access), KEY, json!({ "s": dental }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    // The key sees its own sub-account, and nothing of its siblings.
    let gardens = app.sub_account(&owner, &agency, "Green Gardens").await;
    app.gql(
        Some(&secret),
        "query($id: ID!) { node(id: $id) { id } }",
        json!({ "id": dental }),
    )
    .await
    .ok();
    let r = app
        .gql(
            Some(&secret),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gardens }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    // Naming a sub-account and another agency together is NOT_FOUND.
    let r = app
        .gql_with_headers(
            Some(&owner.access),
            "{ viewer { id } }",
            json!({}),
            &[
                ("canopy-sub-account", &dental),
                (
                    "canopy-agency",
                    &kernel::GlobalId::new(kernel::NodeKind::Agency, uuid::Uuid::now_v7())
                        .to_string(),
                ),
            ],
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    app.gql_with_headers(
        Some(&owner.access),
        "{ viewer { id } }",
        json!({}),
        &[("canopy-sub-account", &dental), ("canopy-agency", &agency)],
    )
    .await
    .ok();
}

#[tokio::test]
async fn tenant_data_is_read_inside_its_tenant_only() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@platform.test").await;
    let both = app.user("both@x.test").await;
    let a = app.agency(&admin, "A", "both@x.test").await;
    let b = app.agency(&admin, "B", "both@x.test").await;
    let sub_b = app.sub_account(&admin, &b, "B one").await;
    const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";
    // Owner of two agencies, naming none: no tenant is implied, no sub-account is readable.
    let r = app
        .gql(Some(&both.access), NODE, json!({ "id": sub_b }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    // Inside A, B's sub-account is not there either.
    let r = app
        .gql_with_headers(
            Some(&both.access),
            NODE,
            json!({ "id": sub_b }),
            &[("canopy-agency", &a)],
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    // Inside B it is.
    app.gql_with_headers(
        Some(&both.access),
        NODE,
        json!({ "id": sub_b }),
        &[("canopy-agency", &b)],
    )
    .await
    .ok();
    // A sub-account named alone is ambiguous for someone in two agencies.
    let r = app
        .gql_with_headers(
            Some(&both.access),
            NODE,
            json!({ "id": sub_b }),
            &[("canopy-sub-account", &sub_b)],
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
    app.gql_with_headers(
        Some(&both.access),
        NODE,
        json!({ "id": sub_b }),
        &[("canopy-sub-account", &sub_b), ("canopy-agency", &b)],
    )
    .await
    .ok();
}

#[tokio::test]
async fn a_pages_edges_are_its_nodes_with_the_cursors_that_resume_after_them() {
    let app = spawn_app().await;
    let w = app.world().await;
    let q = "query($id: ID!, $a: String) { node(id: $id) { ... on Agency { subAccounts(first: 2, after: $a) { edges { cursor node { id name } } nodes { id name } pageInfo { startCursor endCursor } } } } }";
    let r = app
        .gql(Some(&w.owner.access), q, json!({ "id": w.agency }))
        .await
        .ok();
    let page = r.data("node.subAccounts");
    let nodes = page["nodes"].as_array().expect("nodes");
    let edges = page["edges"].as_array().expect("edges");
    assert_eq!(nodes.len(), 2, "the world's two sub-accounts");
    let of_edges: Vec<&serde_json::Value> = edges.iter().map(|e| &e["node"]).collect();
    assert_eq!(of_edges, nodes.iter().collect::<Vec<_>>());
    assert_eq!(edges[0]["cursor"], page["pageInfo"]["startCursor"]);
    assert_eq!(edges[1]["cursor"], page["pageInfo"]["endCursor"]);
    // The first edge's cursor resumes at the second item.
    let after = json!({ "id": w.agency, "a": edges[0]["cursor"] });
    let r = app.gql(Some(&w.owner.access), q, after).await.ok();
    assert_eq!(r.data("node.subAccounts.nodes")[0]["id"], nodes[1]["id"]);
}
