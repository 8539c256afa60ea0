//! White-label branding by host, without signing in.

use serde_json::json;
use tests::spawn_app;

const BRAND: &str = "query($h: String!) { branding(host: $h) { owner name logoUrl primaryColor } }";

#[tokio::test]
async fn hosts_show_their_owners_brand() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@platform.test").await;
    app.user("owner@acme.test").await;
    app.user("partner@north.test").await;
    let r = app
        .gql(Some(&admin.access), "mutation($i: AgencyCreateInput!) { agencyCreate(input: $i) { agency { id } userErrors { code } } }",
            json!({ "i": { "name": "Acme", "ownerEmail": "owner@acme.test", "subdomain": "acme", "customDomain": "crm.acme.test", "logoUrl": "https://acme.test/logo.png", "primaryColor": "#FF0000" } }))
        .await
        .ok();
    let acme = r
        .data("agencyCreate.agency.id")
        .as_str()
        .expect("id")
        .to_owned();
    let north = app.reseller(&admin, "North", "partner@north.test", 0).await;
    app.gql(Some(&admin.access), "mutation($id: ID!) { resellerUpdate(id: $id, input: { brandName: \"North CRM\", whiteLabelDomain: \"app.north.test\", primaryColor: \"#00ff00\" }) { userErrors { code } } }", json!({ "id": north }))
        .await
        .ok();
    app.gql(Some(&admin.access), "mutation($i: AgencyCreateInput!) { agencyCreate(input: $i) { agency { id } } }",
        json!({ "i": { "resellerId": north, "name": "Beacon", "ownerEmail": "owner@acme.test", "subdomain": "beacon" } }))
        .await
        .ok();

    let brand = |host: &'static str| {
        let app = &app;
        async move {
            app.gql(None, BRAND, json!({ "h": host }))
                .await
                .ok()
                .data("branding")
                .clone()
        }
    };
    assert_eq!(
        brand("CRM.acme.test").await,
        json!({ "owner": "AGENCY", "name": "Acme", "logoUrl": "https://acme.test/logo.png", "primaryColor": "#ff0000" })
    );
    assert_eq!(brand("acme.canopy.localhost:8080").await["name"], "Acme");
    assert_eq!(
        brand("app.north.test").await,
        json!({ "owner": "RESELLER", "name": "North CRM", "logoUrl": null, "primaryColor": "#00ff00" })
    );
    // An agency sold by a reseller, with no colour of its own, wears the reseller's.
    assert_eq!(
        brand("beacon.canopy.localhost").await,
        json!({ "owner": "AGENCY", "name": "Beacon", "logoUrl": null, "primaryColor": "#00ff00" })
    );
    assert_eq!(
        brand("canopy.localhost").await,
        json!({ "owner": "PLATFORM", "name": "Canopy", "logoUrl": null, "primaryColor": null })
    );
    assert!(brand("unknown.example.com").await.is_null());
    assert!(brand("x.y.canopy.localhost").await.is_null());
    // Out of service: no brand.
    app.gql(
        Some(&admin.access),
        "mutation($id: ID!) { agencySuspend(id: $id) { agency { status } } }",
        json!({ "id": acme }),
    )
    .await
    .ok();
    assert!(brand("crm.acme.test").await.is_null());
}

#[tokio::test]
async fn one_domain_one_brand() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@platform.test").await;
    app.user("a@a.test").await;
    app.user("p@p.test").await;
    let north = app.reseller(&admin, "North", "p@p.test", 0).await;
    app.gql(Some(&admin.access), "mutation($id: ID!) { resellerUpdate(id: $id, input: { whiteLabelDomain: \"app.north.test\" }) { userErrors { code } } }", json!({ "id": north }))
        .await
        .ok();
    let victim = app
        .gql(Some(&admin.access), "mutation { agencyCreate(input: { name: \"Victim\", ownerEmail: \"a@a.test\", subdomain: \"victim\" }) { agency { id } } }", json!({}))
        .await
        .ok();
    assert!(victim.data("agencyCreate.agency.id").is_string());
    let owner = app.login("a@a.test", tests::PASSWORD).await.ok();
    let token = owner
        .data("sessionCreate.session.accessToken")
        .as_str()
        .expect("token")
        .to_owned();
    let mine = app.agency(&admin, "Mine", "a@a.test").await;
    // A reseller's white-label domain cannot be taken as a custom domain...
    let r = app
        .gql_with_headers(Some(&token), "mutation($id: ID!) { agencyUpdate(id: $id, input: { customDomain: \"app.north.test\" }) { userErrors { code } } }", json!({ "id": mine }), &[("canopy-agency", &mine)])
        .await
        .ok();
    assert_eq!(r.user_error_codes("agencyUpdate"), vec!["TAKEN"]);
    // ...and a custom domain under the platform's domain never wins over a subdomain.
    app.gql_with_headers(Some(&token), "mutation($id: ID!) { agencyUpdate(id: $id, input: { customDomain: \"victim.canopy.localhost\", name: \"Impostor\" }) { userErrors { code } } }", json!({ "id": mine }), &[("canopy-agency", &mine)])
        .await
        .ok();
    let b = app
        .gql(None, BRAND, json!({ "h": "victim.canopy.localhost" }))
        .await
        .ok();
    assert_eq!(b.data("branding.name"), "Victim");
}
