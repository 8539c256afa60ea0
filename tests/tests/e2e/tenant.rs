//! The request's tenant context, checked at the edge.

use kernel::{Role, Scope};
use serde_json::json;
use tests::spawn_app;
use uuid::Uuid;

#[tokio::test]
async fn a_named_agency_must_be_one_of_the_actors() {
    let app = spawn_app().await;
    let agency = Uuid::now_v7();
    let s = app.user("m@example.com").await;
    app.grant(&s.user_id, Scope::Agency(agency), Role::AgencyUser)
        .await;
    let own = kernel::GlobalId::new(kernel::NodeKind::Agency, agency).to_string();
    let foreign = kernel::GlobalId::new(kernel::NodeKind::Agency, Uuid::now_v7()).to_string();

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
