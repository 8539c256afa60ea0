//! Memberships: list a scope's members, change roles and single permissions, reach all
//! sub-accounts, remove; and the rank rules.

use kernel::Role;
use serde_json::{Value, json};
use tests::spawn_app;

const LIST: &str = "query($s: ID!) { memberships(scopeId: $s) { totalCount nodes { id role user { email } permissions allSubAccountsAccess } } }";
const UPDATE: &str = "mutation($id: ID!, $i: MembershipUpdateInput!) { membershipUpdate(id: $id, input: $i) { membership { role grantedPermissions withheldPermissions permissions allSubAccountsAccess } userErrors { field code } } }";
const REMOVE: &str =
    "mutation($id: ID!) { membershipRemove(id: $id) { membership { id } userErrors { code } } }";

fn member_id(list: &Value, email: &str) -> String {
    list["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["user"]["email"] == email)
        .expect("member")["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn owners_manage_their_members() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    app.sub_account(&owner, &agency, "Dental").await;
    let staff = app
        .member("staff@acme.test", &agency, Role::AgencyUser)
        .await;
    let manager = app
        .member("manager@acme.test", &agency, Role::AgencyAdmin)
        .await;
    let stranger = app.user("stranger@x.test").await;

    let r = app
        .gql(Some(&owner.access), LIST, json!({ "s": agency }))
        .await
        .ok();
    assert_eq!(r.data("memberships.totalCount"), 3);
    let list = r.data("memberships").clone();
    let staff_m = member_id(&list, "staff@acme.test");
    let owner_m = member_id(&list, "owner@acme.test");
    let manager_m = member_id(&list, "manager@acme.test");
    assert_eq!(
        app.gql(Some(&staff.access), LIST, json!({ "s": agency }))
            .await
            .error_code(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        app.gql(Some(&stranger.access), LIST, json!({ "s": agency }))
            .await
            .error_code(),
        Some("NOT_FOUND")
    );

    // Single permissions and reach.
    let sees = |token: String| {
        let app = &app;
        let agency = agency.clone();
        async move {
            app.gql(Some(&token), "query($id: ID!) { node(id: $id) { ... on Agency { subAccounts { totalCount } } } }", json!({ "id": agency }))
                .await
                .ok()
                .data("node.subAccounts.totalCount")
                .clone()
        }
    };
    assert_eq!(sees(staff.access.clone()).await, 0);
    let r = app
        .gql(Some(&owner.access), UPDATE, json!({ "id": staff_m, "i": { "grant": ["FUNNELS_PUBLISH"], "withhold": ["CONTACTS_WRITE"], "allSubAccountsAccess": true } }))
        .await
        .ok();
    let perms = r
        .data("membershipUpdate.membership.permissions")
        .as_array()
        .expect("perms")
        .clone();
    assert!(
        perms.contains(&json!("FUNNELS_PUBLISH")) && !perms.contains(&json!("CONTACTS_WRITE")),
        "{perms:?}"
    );
    assert_eq!(
        r.data("membershipUpdate.membership.allSubAccountsAccess"),
        true
    );
    assert_eq!(sees(staff.access.clone()).await, 1);
    let r = app
        .gql(
            Some(&owner.access),
            UPDATE,
            json!({ "id": staff_m, "i": { "grant": ["PLATFORM_MANAGE"] } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("membershipUpdate"), vec!["NOT_ALLOWED"]);

    // Rank rules: an admin cannot touch the owner, themselves, or make an owner.
    assert_eq!(
        app.gql(
            Some(&manager.access),
            UPDATE,
            json!({ "id": owner_m, "i": { "role": "AGENCY_USER" } })
        )
        .await
        .error_code(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        app.gql(
            Some(&manager.access),
            UPDATE,
            json!({ "id": manager_m, "i": { "role": "AGENCY_OWNER" } })
        )
        .await
        .error_code(),
        Some("FORBIDDEN")
    );
    let r = app
        .gql(
            Some(&manager.access),
            UPDATE,
            json!({ "id": staff_m, "i": { "role": "AGENCY_OWNER" } }),
        )
        .await
        .ok();
    // Above their rank, and carrying permissions (billing) they do not hold.
    assert_eq!(
        r.user_error_codes("membershipUpdate"),
        vec!["NOT_ALLOWED", "NOT_ALLOWED"]
    );
    let r = app
        .gql(
            Some(&manager.access),
            UPDATE,
            json!({ "id": staff_m, "i": { "role": "SUBACCOUNT_USER" } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("membershipUpdate"), vec!["INVALID"]);
    assert_eq!(
        app.gql(Some(&manager.access), REMOVE, json!({ "id": owner_m }))
            .await
            .error_code(),
        Some("FORBIDDEN")
    );

    // Your own memberships.
    let mine = app
        .gql(
            Some(&staff.access),
            "{ viewerMemberships { role scope { kind id } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        mine.data("viewerMemberships"),
        &json!([{ "role": "AGENCY_USER", "scope": { "kind": "AGENCY", "id": agency } }])
    );

    // Removal takes access away at once.
    let r = app
        .gql(Some(&manager.access), REMOVE, json!({ "id": staff_m }))
        .await
        .ok();
    assert!(r.data("membershipRemove.membership.id").is_string());
    let r = app
        .gql(
            Some(&staff.access),
            "{ agencies { totalCount } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(r.data("agencies.totalCount"), 0);
    assert_eq!(
        app.count("events WHERE event_type IN ('membership.updated', 'membership.removed')")
            .await,
        2
    );
}

#[tokio::test]
async fn keys_never_change_memberships_and_nobody_gives_what_they_lack() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let manager = app
        .member("manager@acme.test", &agency, Role::AgencyAdmin)
        .await;
    app.member("staff@acme.test", &agency, Role::AgencyUser)
        .await;
    let list = app
        .gql(Some(&owner.access), LIST, json!({ "s": agency }))
        .await
        .ok()
        .data("memberships")
        .clone();
    let manager_m = member_id(&list, "manager@acme.test");
    let staff_m = member_id(&list, "staff@acme.test");

    // A key with MEMBERS_MANAGE, made by the manager, cannot touch the manager's own membership
    // (nor anyone's: people manage people).
    let key = app
        .gql(Some(&manager.access), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [MEMBERS_MANAGE] }) { secret } }", json!({ "s": agency }))
        .await
        .ok();
    let secret = key
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    let r = app
        .gql(
            Some(&secret),
            UPDATE,
            json!({ "id": manager_m, "i": { "allSubAccountsAccess": true } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = app
        .gql(Some(&secret), REMOVE, json!({ "id": staff_m }))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));

    // The owner withholds CONTACTS_WRITE from the manager; the manager then cannot give it back
    // to staff by clearing their withholdings.
    app.gql(
        Some(&owner.access),
        UPDATE,
        json!({ "id": manager_m, "i": { "withhold": ["CONTACTS_WRITE"] } }),
    )
    .await
    .ok();
    app.gql(
        Some(&owner.access),
        UPDATE,
        json!({ "id": staff_m, "i": { "withhold": ["CONTACTS_WRITE"] } }),
    )
    .await
    .ok();
    let r = app
        .gql(
            Some(&manager.access),
            UPDATE,
            json!({ "id": staff_m, "i": { "withhold": [] } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("membershipUpdate"), vec!["NOT_ALLOWED"]);
    // Nor invite someone as an admin (whose role holds it).
    let r = app
        .gql(Some(&manager.access), "mutation($s: ID!) { invitationCreate(input: { scopeId: $s, email: \"x@y.test\", role: AGENCY_ADMIN }) { userErrors { code } } }", json!({ "s": agency }))
        .await
        .ok();
    assert_eq!(r.user_error_codes("invitationCreate"), vec!["NOT_ALLOWED"]);
}

#[tokio::test]
async fn two_owners_removing_each_other_at_once_leave_one() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@platform.test").await;
    let a = app.user("a@acme.test").await;
    let agency = app.agency(&admin, "Acme", "a@acme.test").await;
    let b = app.member("b@acme.test", &agency, Role::AgencyOwner).await;
    let list = app
        .gql(Some(&a.access), LIST, json!({ "s": agency }))
        .await
        .ok()
        .data("memberships")
        .clone();
    let (am, bm) = (
        member_id(&list, "a@acme.test"),
        member_id(&list, "b@acme.test"),
    );
    for _ in 0..3 {
        let (ra, rb) = tokio::join!(
            app.gql(Some(&a.access), REMOVE, json!({ "id": bm })),
            app.gql(Some(&b.access), REMOVE, json!({ "id": am })),
        );
        let removed = [&ra, &rb]
            .iter()
            .filter(|r| r.data("membershipRemove.membership.id").is_string())
            .count();
        assert!(
            removed <= 1,
            "both owners removed each other: {:?} {:?}",
            ra.body,
            rb.body
        );
        if removed == 1 {
            break;
        }
    }
    assert_eq!(
        app.count("memberships WHERE role = 'AGENCY_OWNER'").await,
        1
    );
}
