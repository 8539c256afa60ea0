//! The request's tenant context, checked at the edge.

use kernel::{Role, Scope};
use serde_json::json;
use tests::spawn_app;
use uuid::Uuid;

#[tokio::test]
async fn a_named_agency_must_be_one_of_the_actors() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@platform.test").await;
    app.user("owner@other.test").await;
    let s = app.user("m@example.com").await;
    let own = app.agency(&admin, "Own", "owner@other.test").await;
    app.grant_in(&s.user_id, &own, Role::AgencyUser).await;
    // Another agency that exists: as invisible as one that does not.
    let other = app.agency(&admin, "Other", "owner@other.test").await;
    let foreign = kernel::GlobalId::new(kernel::NodeKind::Agency, Uuid::now_v7()).to_string();
    for id in [&other, &foreign] {
        let r = app
            .gql_with_headers(
                Some(&s.access),
                "{ viewer { id } }",
                json!({}),
                &[("canopy-agency", id)],
            )
            .await;
        assert_eq!(r.body["errors"][0]["message"], "not found");
        assert!(r.body["errors"][0].get("locations").is_none());
    }

    app.gql_with_headers(
        Some(&s.access),
        "{ viewer { id } }",
        json!({}),
        &[("canopy-agency", &own)],
    )
    .await
    .ok();
    let r = app
        .gql_with_headers(
            Some(&s.access),
            "{ viewer { id } }",
            json!({}),
            &[("canopy-agency", &foreign)],
        )
        .await;
    assert_eq!((r.status, r.error_code()), (404, Some("NOT_FOUND")));
    assert!(r.body["data"].is_null());
    let r = app
        .gql_with_headers(
            Some(&s.access),
            "{ viewer { id } }",
            json!({}),
            &[("canopy-agency", "agc_bad")],
        )
        .await;
    assert_eq!((r.status, r.error_code()), (400, Some("BAD_USER_INPUT")));
    let sub = kernel::GlobalId::new(kernel::NodeKind::SubAccount, Uuid::now_v7()).to_string();
    let r = app
        .gql_with_headers(
            Some(&s.access),
            "{ viewer { id } }",
            json!({}),
            &[("canopy-sub-account", &sub)],
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql_with_headers(
            None,
            "{ viewer { id } }",
            json!({}),
            &[("canopy-agency", &own)],
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn members_cannot_raise_themselves_or_outrank_their_superiors() {
    let app = spawn_app().await;
    let agency = Uuid::now_v7();
    let scope = Scope::Agency(agency);
    let owner = app.user("owner@t.test").await;
    let admin = app.user("admin@t.test").await;
    let staff = app.user("staff@t.test").await;
    app.grant(&owner.user_id, scope, Role::AgencyOwner).await;
    app.grant(&admin.user_id, scope, Role::AgencyAdmin).await;
    app.grant(&staff.user_id, scope, Role::AgencyUser).await;
    let uuid = |gid: &str| kernel::GlobalId::parse(gid).expect("gid").uuid;
    let actor = |gid: &str, role: Role| kernel::Actor {
        principal: kernel::Principal::User {
            user_id: uuid(gid),
            session_id: Uuid::nil(),
        },
        memberships: vec![kernel::Membership {
            id: Uuid::nil(),
            scope,
            role,
            granted: kernel::PermissionSet::EMPTY,
            withheld: kernel::PermissionSet::EMPTY,
            all_sub_accounts: false,
        }],
        tenant: Some(agency),
    };
    let as_admin = actor(&admin.user_id, Role::AgencyAdmin);
    let code = |r: Result<kernel::Membership, kernel::Error>| r.map(|_| ()).map_err(|e| e.code());
    use kernel::error::ErrorCode::Forbidden;
    // An admin cannot demote the owner, promote themselves, or make someone an owner.
    assert_eq!(
        code(
            tenancy::grant(
                &app.db,
                &as_admin,
                uuid(&owner.user_id),
                scope,
                Role::AgencyUser
            )
            .await
        ),
        Err(Forbidden)
    );
    assert_eq!(
        code(
            tenancy::grant(
                &app.db,
                &as_admin,
                uuid(&admin.user_id),
                scope,
                Role::AgencyOwner
            )
            .await
        ),
        Err(Forbidden)
    );
    assert_eq!(
        code(
            tenancy::grant(
                &app.db,
                &as_admin,
                uuid(&staff.user_id),
                scope,
                Role::AgencyOwner
            )
            .await
        ),
        Err(Forbidden)
    );
    // ...but can make staff an admin.
    assert_eq!(
        code(
            tenancy::grant(
                &app.db,
                &as_admin,
                uuid(&staff.user_id),
                scope,
                Role::AgencyAdmin
            )
            .await
        ),
        Ok(())
    );
    // Staff hold no MEMBERS_MANAGE at all.
    let as_staff = actor(&staff.user_id, Role::AgencyUser);
    assert_eq!(
        code(
            tenancy::grant(
                &app.db,
                &as_staff,
                uuid(&owner.user_id),
                scope,
                Role::AgencyUser
            )
            .await
        ),
        Err(Forbidden)
    );
    assert_eq!(
        app.count("memberships WHERE role = 'AGENCY_OWNER'").await,
        1
    );
}
