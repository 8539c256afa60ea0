//! Resellers: creation, branding and terms, wallets and their ledger, agencies sold for credits.

use serde_json::json;
use tests::{TestApp, spawn_app};

const RESELLER: &str = "query($id: ID!) { node(id: $id) { id ... on Reseller { name brandName primaryColor revenueShareBps agencyPriceCredits creditBalance status creditEntries { totalCount nodes { amount kind } } agencies { totalCount nodes { name } } } } }";
const CREATE: &str = "mutation($i: ResellerCreateInput!) { resellerCreate(input: $i) { reseller { id name brandName } userErrors { field code message } } }";
const UPDATE: &str = "mutation($id: ID!, $i: ResellerUpdateInput!) { resellerUpdate(id: $id, input: $i) { reseller { brandName primaryColor revenueShareBps } userErrors { field code } } }";
const CREDIT: &str = "mutation($i: ResellerWalletCreditInput!) { resellerWalletCredit(input: $i) { reseller { creditBalance } userErrors { field code } } }";

async fn setup(app: &TestApp) -> (tests::Session, tests::Session, String) {
    let admin = app.platform_admin("root@platform.test").await;
    let partner = app.user("partner@north.test").await;
    let reseller = app.reseller(&admin, "North", "partner@north.test", 2).await;
    (admin, partner, reseller)
}

#[tokio::test]
async fn platform_creates_resellers_and_their_staff_brand_them() {
    let app = spawn_app().await;
    let (admin, partner, reseller) = setup(&app).await;
    let r = app
        .gql(Some(&partner.access), RESELLER, json!({ "id": reseller }))
        .await
        .ok();
    assert_eq!(r.data("node.name"), "North");
    assert_eq!(r.data("node.brandName"), "North");
    assert_eq!(r.data("node.creditBalance"), 0);
    assert_eq!(
        app.count("memberships WHERE role = 'RESELLER_OWNER'").await,
        1
    );

    let r = app
        .gql(
            Some(&partner.access),
            UPDATE,
            json!({ "id": reseller, "i": { "brandName": "North CRM", "primaryColor": "#AABBCC" } }),
        )
        .await
        .ok();
    assert_eq!(r.data("resellerUpdate.reseller.brandName"), "North CRM");
    assert_eq!(r.data("resellerUpdate.reseller.primaryColor"), "#aabbcc");
    let r = app
        .gql(
            Some(&partner.access),
            UPDATE,
            json!({ "id": reseller, "i": { "revenueShareBps": 9000 } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("resellerUpdate"), vec!["NOT_ALLOWED"]);
    let r = app
        .gql(
            Some(&admin.access),
            UPDATE,
            json!({ "id": reseller, "i": { "revenueShareBps": 2500 } }),
        )
        .await
        .ok();
    assert_eq!(r.data("resellerUpdate.reseller.revenueShareBps"), 2500);

    // Outsiders cannot tell it exists; only the platform creates resellers.
    let stranger = app.user("stranger@x.test").await;
    assert_eq!(
        app.gql(Some(&stranger.access), RESELLER, json!({ "id": reseller }))
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        app.gql(
            Some(&stranger.access),
            UPDATE,
            json!({ "id": reseller, "i": { "name": "x" } })
        )
        .await
        .error_code(),
        Some("NOT_FOUND")
    );
    let r = app
        .gql(
            Some(&partner.access),
            CREATE,
            json!({ "i": { "name": "Mine", "ownerEmail": "partner@north.test" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let lists = app
        .gql(
            Some(&stranger.access),
            "{ resellers { totalCount } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(lists.data("resellers.totalCount"), 0);
    let lists = app
        .gql(
            Some(&admin.access),
            "{ resellers { totalCount } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(lists.data("resellers.totalCount"), 1);
}

#[tokio::test]
async fn reseller_input_is_checked() {
    let app = spawn_app().await;
    let (admin, _partner, reseller) = setup(&app).await;
    app.gql(
        Some(&admin.access),
        UPDATE,
        json!({ "id": reseller, "i": { "whiteLabelDomain": "crm.north.test" } }),
    )
    .await
    .ok();
    let r = app
        .gql(Some(&admin.access), CREATE, json!({ "i": { "name": "", "ownerEmail": "ghost@x.test", "primaryColor": "blue", "revenueShareBps": 10001, "logoUrl": "file:///etc/passwd", "agencyPriceCredits": -1 } }))
        .await
        .ok();
    let mut codes = r.user_error_codes("resellerCreate");
    codes.sort();
    assert_eq!(codes, vec!["INVALID"; 6], "{}", r.body);
    let r = app
        .gql(Some(&admin.access), CREATE, json!({ "i": { "name": "Copy", "ownerEmail": "partner@north.test", "whiteLabelDomain": "CRM.north.test" } }))
        .await
        .ok();
    assert_eq!(r.user_error_codes("resellerCreate"), vec!["TAKEN"]);
    assert_eq!(app.count("resellers").await, 1);
}

#[tokio::test]
async fn wallets_are_ledgers_and_agencies_cost_credits() {
    let app = spawn_app().await;
    let (admin, partner, reseller) = setup(&app).await;
    app.user("one@agency.test").await;

    // Only the platform credits wallets, and only with positive amounts.
    let r = app
        .gql(
            Some(&partner.access),
            CREDIT,
            json!({ "i": { "resellerId": reseller, "amount": 100 } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    let r = app
        .gql(
            Some(&admin.access),
            CREDIT,
            json!({ "i": { "resellerId": reseller, "amount": 0 } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("resellerWalletCredit"), vec!["INVALID"]);
    let r = app
        .gql(
            Some(&admin.access),
            CREDIT,
            json!({ "i": { "resellerId": reseller, "amount": 3 } }),
        )
        .await
        .ok();
    assert_eq!(r.data("resellerWalletCredit.reseller.creditBalance"), 3);

    // An agency costs 2: the first fits, the second does not, and leaves nothing behind.
    let r = app
        .agency_under(&partner, &reseller, "First", "one@agency.test")
        .await
        .ok();
    let first = r
        .data("agencyCreate.agency.id")
        .as_str()
        .expect("id")
        .to_owned();
    let r = app
        .agency_under(&partner, &reseller, "Second", "one@agency.test")
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("agencyCreate"),
        vec!["INSUFFICIENT_CREDITS"]
    );
    assert_eq!(app.count("agencies").await, 1);
    let r = app
        .gql(Some(&partner.access), RESELLER, json!({ "id": reseller }))
        .await
        .ok();
    assert_eq!(r.data("node.creditBalance"), 1);
    assert_eq!(r.data("node.creditEntries.totalCount"), 2);
    assert_eq!(
        r.data("node.creditEntries.nodes")[1],
        json!({ "amount": -2, "kind": "AGENCY_CREATED" })
    );
    assert_eq!(r.data("node.agencies.nodes"), &json!([{ "name": "First" }]));

    // Reseller staff manage their agencies from above: see them, suspend them.
    let r = app
        .gql(
            Some(&partner.access),
            "mutation($id: ID!) { agencySuspend(id: $id) { agency { status } } }",
            json!({ "id": first }),
        )
        .await
        .ok();
    assert_eq!(r.data("agencySuspend.agency.status"), "SUSPENDED");
    // They sell agencies, not direct ones; the platform's are free.
    let r = app
        .gql(Some(&partner.access), "mutation { agencyCreate(input: { name: \"Direct\", ownerEmail: \"one@agency.test\" }) { agency { id } } }", json!({}))
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
    app.agency_under(&admin, &reseller, "Comp", "one@agency.test")
        .await
        .ok();
    let r = app
        .gql(Some(&partner.access), RESELLER, json!({ "id": reseller }))
        .await
        .ok();
    assert_eq!(r.data("node.creditBalance"), 1);

    // Another reseller's staff cannot sell under this one, nor see it.
    let rival = app.user("rival@south.test").await;
    app.reseller(&admin, "South", "rival@south.test", 0).await;
    let r = app
        .agency_under(&rival, &reseller, "Poached", "one@agency.test")
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    // A suspended reseller sells nothing.
    app.gql(
        Some(&admin.access),
        "mutation($id: ID!) { resellerSuspend(id: $id) { reseller { status } } }",
        json!({ "id": reseller }),
    )
    .await
    .ok();
    app.credit(&admin, &reseller, 10).await;
    let r = app
        .agency_under(&partner, &reseller, "Late", "one@agency.test")
        .await
        .ok();
    assert_eq!(r.user_error_codes("agencyCreate"), vec!["NOT_ALLOWED"]);
    let r = app
        .gql(
            Some(&partner.access),
            "mutation($id: ID!) { resellerReactivate(id: $id) { reseller { status } } }",
            json!({ "id": reseller }),
        )
        .await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn concurrent_spends_of_the_last_credits_let_exactly_one_win() {
    let app = spawn_app().await;
    let (admin, partner, reseller) = setup(&app).await;
    app.user("one@agency.test").await;
    app.credit(&admin, &reseller, 2).await;
    let attempts = (0..16).map(|i| {
        let app = &app;
        let partner = &partner;
        let reseller = &reseller;
        async move {
            app.agency_under(partner, reseller, &format!("Race {i}"), "one@agency.test")
                .await
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let won = results
        .iter()
        .filter(|r| r.data("agencyCreate.agency.id").is_string())
        .count();
    let short = results
        .iter()
        .filter(|r| r.user_error_codes("agencyCreate") == vec!["INSUFFICIENT_CREDITS"])
        .count();
    assert_eq!((won, short), (1, 15), "{results:?}");
    assert_eq!(app.count("agencies").await, 1);
    let r = app
        .gql(Some(&partner.access), RESELLER, json!({ "id": reseller }))
        .await
        .ok();
    assert_eq!(r.data("node.creditBalance"), 0);
    assert_eq!(
        app.count("reseller_credit_entries WHERE amount < 0").await,
        1
    );
}

#[tokio::test]
async fn reseller_lifecycle_is_the_platforms() {
    let app = spawn_app().await;
    let (admin, partner, reseller) = setup(&app).await;
    let q = |action: &str| {
        format!(
            "mutation($id: ID!) {{ reseller{action}(id: $id) {{ reseller {{ status }} userErrors {{ code }} }} }}"
        )
    };
    assert_eq!(
        app.gql(
            Some(&partner.access),
            &q("Delete"),
            json!({ "id": reseller })
        )
        .await
        .error_code(),
        Some("FORBIDDEN")
    );
    let r = app
        .gql(Some(&admin.access), &q("Delete"), json!({ "id": reseller }))
        .await
        .ok();
    assert_eq!(r.data("resellerDelete.reseller.status"), "DELETED");
    assert_eq!(
        app.gql(Some(&partner.access), RESELLER, json!({ "id": reseller }))
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
    let r = app
        .gql(
            Some(&admin.access),
            &q("Restore"),
            json!({ "id": reseller }),
        )
        .await
        .ok();
    assert_eq!(r.data("resellerRestore.reseller.status"), "ACTIVE");
    app.gql(Some(&partner.access), RESELLER, json!({ "id": reseller }))
        .await
        .ok();
}

#[tokio::test]
async fn the_platform_names_a_resellers_manager_agency() {
    let app = spawn_app().await;
    let (admin, partner, reseller) = setup(&app).await;
    app.user("one@agency.test").await;
    let own = app
        .agency_under(&admin, &reseller, "Own", "one@agency.test")
        .await
        .ok();
    let own = own
        .data("agencyCreate.agency.id")
        .as_str()
        .expect("id")
        .to_owned();
    let direct = app.agency(&admin, "Direct", "one@agency.test").await;
    const SET: &str = "mutation($id: ID!, $a: ID!) { resellerUpdate(id: $id, input: { managerAgencyId: $a }) { reseller { managerAgency { name } } userErrors { field code } } }";
    let r = app
        .gql(
            Some(&partner.access),
            SET,
            json!({ "id": reseller, "a": own }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("resellerUpdate"), vec!["NOT_ALLOWED"]);
    let r = app
        .gql(
            Some(&admin.access),
            SET,
            json!({ "id": reseller, "a": direct }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("resellerUpdate"), vec!["INVALID"]);
    let r = app
        .gql(
            Some(&admin.access),
            SET,
            json!({ "id": reseller, "a": own }),
        )
        .await
        .ok();
    assert_eq!(r.data("resellerUpdate.reseller.managerAgency.name"), "Own");
}

#[tokio::test]
async fn reseller_staff_who_own_an_agency_still_act_from_above() {
    let app = spawn_app().await;
    let (admin, partner, reseller) = setup(&app).await;
    app.credit(&admin, &reseller, 10).await;
    // The partner also owns an agency of their own.
    app.agency(&admin, "Partner's own", "partner@north.test")
        .await;
    app.user("one@agency.test").await;
    let r = app
        .agency_under(&partner, &reseller, "Sold", "one@agency.test")
        .await
        .ok();
    let sold = r
        .data("agencyCreate.agency.id")
        .as_str()
        .expect("id")
        .to_owned();
    // From above, they manage the sold agency's sub-accounts too, on every database.
    let sub = app.sub_account(&partner, &sold, "Client").await;
    let r = app
        .gql(
            Some(&partner.access),
            "mutation($id: ID!) { subAccountSuspend(id: $id) { subAccount { status } } }",
            json!({ "id": sub }),
        )
        .await
        .ok();
    assert_eq!(r.data("subAccountSuspend.subAccount.status"), "SUSPENDED");
}
