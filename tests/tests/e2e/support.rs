//! Support access: a platform admin acts inside an agency only under a grant to themselves,
//! which the agency sees among its memberships, which the audit log keeps, and which ends.

use serde_json::json;
use tests::spawn_app;

const GRANT: &str = "mutation($i: SupportAccessGrantInput!) { supportAccessGrant(input: $i) { membership { id role expiresAt supportReason } userErrors { field code } } }";
const CONTACTS: &str = "query($s: ID!) { contacts(subAccountId: $s, first: 5) { nodes { id } } }";
const MEMBERS: &str = "query($s: ID!) { memberships(scopeId: $s) { nodes { user { email } expiresAt supportReason } } }";

#[tokio::test]
async fn a_platform_admin_reads_a_tenant_only_under_a_grant_the_tenant_sees() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.create_contact(&w.owner, &w.dental, json!({ "firstName": "Ann" }))
        .await;
    let in_agency = [("canopy-agency", w.agency.as_str())];
    let r = app
        .gql_with_headers(
            Some(&w.admin.access),
            CONTACTS,
            json!({ "s": w.dental }),
            &in_agency,
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "no grant, no access");

    let reason = "ticket 4521: contacts missing";
    let g = app
        .gql(
            Some(&w.admin.access),
            GRANT,
            json!({ "i": { "agencyId": w.agency, "reason": reason, "hours": 2 } }),
        )
        .await
        .ok();
    assert_eq!(g.user_errors("supportAccessGrant"), vec![]);
    assert_eq!(g.data("supportAccessGrant.membership.role"), "AGENCY_ADMIN");
    let r = app
        .gql_with_headers(
            Some(&w.admin.access),
            CONTACTS,
            json!({ "s": w.dental }),
            &in_agency,
        )
        .await
        .ok();
    assert_eq!(r.data("contacts.nodes").as_array().expect("nodes").len(), 1);
    // Staff name the agency they act in (from above, they see no tenant's data).
    let r = app
        .gql_with_headers(
            Some(&w.admin.access),
            "mutation($i: ContactCreateInput!) { contactCreate(input: $i) { contact { id } userErrors { code } } }",
            json!({ "i": { "subAccountId": w.dental, "firstName": "Fixed" } }),
            &in_agency,
        )
        .await
        .ok();
    assert_eq!(r.user_errors("contactCreate"), vec![]);

    // The agency sees the grant, and the audit log keeps it and what was done under it.
    let list = app
        .gql(Some(&w.owner.access), MEMBERS, json!({ "s": w.agency }))
        .await
        .ok();
    let nodes = list
        .data("memberships.nodes")
        .as_array()
        .expect("nodes")
        .clone();
    let support = nodes
        .iter()
        .find(|n| n["user"]["email"] == "root@platform.test")
        .expect("the grant is listed");
    assert_eq!(support["supportReason"], reason);
    assert!(support["expiresAt"].is_string());
    let log = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!, $a: ID) { auditLog(scopeId: $s, filter: { actorId: $a }) { nodes { operation result } } }",
            json!({ "s": w.agency, "a": w.admin.user_id }),
        )
        .await
        .ok();
    let ops: Vec<&str> = log
        .data("auditLog.nodes")
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["operation"].as_str().expect("op"))
        .collect();
    // Newest first: what was done under the grant, the grant, and (before it) the agency the
    // admin created from above.
    assert_eq!(
        ops,
        vec!["contactCreate", "supportAccessGrant", "agencyCreate"]
    );
}

#[tokio::test]
async fn a_grant_ends_by_itself_and_only_platform_admins_may_ask() {
    let app = spawn_app().await;
    let w = app.world().await;
    let ask = |hours: i64, reason: &str| json!({ "i": { "agencyId": w.agency, "reason": reason, "hours": hours } });
    let r = app
        .gql(Some(&w.owner.access), GRANT, ask(1, "curious"))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = app
        .gql(Some(&w.admin.access), GRANT, ask(25, ""))
        .await
        .ok();
    assert_eq!(
        r.user_errors("supportAccessGrant"),
        vec![
            ("input.reason".to_owned(), "TOO_SHORT".to_owned()),
            ("input.hours".to_owned(), "INVALID".to_owned())
        ]
    );
    let missing = kernel::GlobalId::new(kernel::NodeKind::Agency, uuid::Uuid::now_v7()).to_string();
    let r = app
        .gql(
            Some(&w.admin.access),
            GRANT,
            json!({ "i": { "agencyId": missing, "reason": "help" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));

    app.gql(Some(&w.admin.access), GRANT, ask(1, "a quick look"))
        .await
        .ok();
    let in_dental = [
        ("canopy-sub-account", w.dental.as_str()),
        ("canopy-agency", w.agency.as_str()),
    ];
    let r = app
        .gql_with_headers(
            Some(&w.admin.access),
            CONTACTS,
            json!({ "s": w.dental }),
            &in_dental,
        )
        .await;
    assert_eq!(r.error_code(), None, "{}", r.body);
    // An hour later (moved back in the database, and the cache's entry ended as the hour would
    // have ended it).
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!(
            "UPDATE memberships SET expires_at = '{}' WHERE reason IS NOT NULL",
            (chrono::Utc::now() - chrono::Duration::seconds(1))
                .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        ))
        .await
        .expect("end it");
    app.credentials
        .clear(&[kernel::credentials::Class::Memberships]);
    let r = app
        .gql_with_headers(
            Some(&w.admin.access),
            CONTACTS,
            json!({ "s": w.dental }),
            &in_dental,
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let list = app
        .gql(Some(&w.owner.access), MEMBERS, json!({ "s": w.agency }))
        .await
        .ok();
    assert!(
        list.data("memberships.nodes")
            .as_array()
            .expect("nodes")
            .iter()
            .all(|n| n["user"]["email"] != "root@platform.test"),
        "an ended grant is not listed"
    );
    // The minute's job removes the ended grant with an event in the agency, which every
    // replica's cache and the admin's live connections hear.
    let out = app
        .run_job(tenancy::service::support::EXPIRY, json!({}))
        .await;
    assert_eq!(out["removed"], 1, "{out}");
    assert_eq!(
        app.count("events WHERE event_type = 'membership.removed'")
            .await,
        1
    );
    assert_eq!(app.count("memberships WHERE reason IS NOT NULL").await, 0);
}
