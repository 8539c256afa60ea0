//! Referrals end to end: codes unique per sub-account, redeemed by leads through the API or a
//! public link, never past their most uses (12 at once for 3 uses), never after they expire, once
//! per lead, and not by the referrer.

use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app, spawn_app_with};

pub const CREATE: &str = "mutation($i: ReferralCodeCreateInput!) { referralCodeCreate(input: $i) { referralCode { id code linkPath status timesUsed } userErrors { field code message } } }";
const REDEEM: &str = "mutation($c: ID!, $code: String!) { referralRedeem(contactId: $c, code: $code) { referralCode { timesUsed status } userErrors { field code } } }";

/// A referrer in `sub` with a code made from `input`; the code's id and link path.
pub async fn code(app: &TestApp, who: &Session, sub: &str, input: Value) -> (String, String) {
    let referrer = app
        .create_contact(who, sub, json!({ "firstName": "Rita", "email": format!("rita-{}@referrer.test", uuid::Uuid::now_v7()) }))
        .await;
    let mut i = input;
    i["contactId"] = json!(referrer);
    let r = app
        .gql(Some(&who.access), CREATE, json!({ "i": i }))
        .await
        .ok();
    assert_eq!(r.user_errors("referralCodeCreate"), vec![], "{}", r.body);
    let c = r.data("referralCodeCreate.referralCode");
    (
        c["id"].as_str().expect("id").to_owned(),
        c["linkPath"].as_str().expect("path").to_owned(),
    )
}

#[tokio::test]
async fn twelve_leads_at_once_redeem_a_three_use_code_three_times() {
    // Twelve from one address: more than the default limit lets through.
    let app = spawn_app_with(|c| c.public_writes_per_ip = 100).await;
    let w = app.world().await;
    let (id, link) = code(
        &app,
        &w.owner,
        &w.dental,
        json!({ "maxUses": 3, "offerDetails": "A free cleaning for both" }),
    )
    .await;
    let (status, page) = {
        let r = app
            .http
            .get(format!("{}{link}", app.url))
            .send()
            .await
            .expect("get");
        (r.status().as_u16(), r.json::<Value>().await.expect("json"))
    };
    assert_eq!(status, 200);
    assert_eq!(page["referral"]["offerDetails"], "A free cleaning for both");
    let answers = futures_util::future::join_all((0..12).map(|i| {
        let req = app.http.post(format!("{}{link}", app.url)).json(
            &json!({ "firstName": format!("Lead{i}"), "email": format!("lead{i}@visitor.test") }),
        );
        async move {
            let r = req.send().await.expect("post");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        }
    }))
    .await;
    let won = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(won, 3, "{answers:?}");
    for (s, body) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(
            (*s, body["userErrors"][0]["code"].as_str()),
            (409, Some("USED_UP")),
            "{body}"
        );
    }
    let r = app
        .gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on ReferralCode { timesUsed status referredLeads { contact { source } } } } }", json!({ "id": id }))
        .await
        .ok();
    assert_eq!(r.data("node.timesUsed"), 3);
    assert_eq!(r.data("node.status"), "USED");
    let leads = r.data("node.referredLeads").as_array().expect("leads");
    assert_eq!(leads.len(), 3);
    assert!(
        leads.iter().all(|l| l["contact"]["source"] == "REFERRAL"),
        "{leads:?}"
    );
    // Those that lost wrote nothing: no contact, no redemption.
    assert_eq!(app.count("referral_redemptions").await, 3);
    assert_eq!(
        app.count("contacts WHERE email LIKE 'lead%@visitor.test'")
            .await,
        3
    );
}

#[tokio::test]
async fn codes_are_unique_per_sub_account_and_redeemed_once_by_others_until_they_expire() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, _) = code(&app, &w.owner, &w.dental, json!({ "code": "spring-24" })).await;
    let rita = app
        .create_contact(&w.owner, &w.dental, json!({ "firstName": "Rita2" }))
        .await;
    let r = app
        .gql(
            Some(&w.owner.access),
            CREATE,
            json!({ "i": { "contactId": rita, "code": "SPRING-24" } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("referralCodeCreate"),
        vec![("input.code".into(), "TAKEN".into())]
    );
    // Another sub-account may have the same code.
    code(&app, &w.owner, &w.gardens, json!({ "code": "SPRING-24" })).await;
    let lead = app
        .create_contact(&w.owner, &w.dental, json!({ "firstName": "Leo" }))
        .await;
    let redeem = |c: String, code: &'static str| {
        let app = &app;
        let token = w.owner.access.clone();
        async move {
            app.gql(Some(&token), REDEEM, json!({ "c": c, "code": code }))
                .await
                .ok()
        }
    };
    let r = redeem(lead.clone(), "Spring-24").await;
    assert_eq!(
        r.data("referralRedeem.referralCode.timesUsed"),
        1,
        "{}",
        r.body
    );
    assert_eq!(
        redeem(lead.clone(), "SPRING-24")
            .await
            .user_error_codes("referralRedeem"),
        ["ALREADY_DONE"]
    );
    assert_eq!(
        redeem(lead.clone(), "NOPE-00")
            .await
            .user_error_codes("referralRedeem"),
        ["INVALID"]
    );
    // The referrer cannot redeem their own.
    let codes = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { referralCodes(subAccountId: $s) { code contact { id } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    let referrer = codes.data("referralCodes")[0]["contact"]["id"]
        .as_str()
        .expect("referrer")
        .to_owned();
    assert_eq!(
        redeem(referrer, "SPRING-24")
            .await
            .user_error_codes("referralRedeem"),
        ["NOT_ALLOWED"]
    );
    // An expiring code stops at its time.
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1200)).to_rfc3339();
    code(
        &app,
        &w.owner,
        &w.dental,
        json!({ "code": "FLASH", "expiresAt": soon }),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        redeem(lead, "FLASH")
            .await
            .user_error_codes("referralRedeem"),
        ["EXPIRED"]
    );
    // An unknown link is 404.
    let r = app
        .http
        .get(format!("{}/refer/{}", app.url, "B".repeat(43)))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_link_tells_no_one_who_is_who_and_dies_with_its_referrer() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (id, link) = code(&app, &w.owner, &w.dental, json!({ "maxUses": 5 })).await;
    let post = |email: String| {
        let req = app
            .http
            .post(format!("{}{link}", app.url))
            .json(&json!({ "firstName": "Pat", "email": email }));
        async move { req.send().await.expect("post").status().as_u16() }
    };
    assert_eq!(post("pat@visitor.test".into()).await, 201);
    // The same lead again, and the referrer themselves: the same answer, and nothing counted.
    assert_eq!(post("pat@visitor.test".into()).await, 201);
    let r = app
        .gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on ReferralCode { timesUsed contact { id email } } } }", json!({ "id": id }))
        .await
        .ok();
    let referrer_email = r
        .data("node.contact.email")
        .as_str()
        .expect("email")
        .to_owned();
    assert_eq!(post(referrer_email).await, 201);
    let r = app
        .gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on ReferralCode { timesUsed contact { id } } } }", json!({ "id": id }))
        .await
        .ok();
    assert_eq!(r.data("node.timesUsed"), 1);
    // A deleted referrer's link is gone.
    let referrer = r.data("node.contact.id").as_str().expect("id").to_owned();
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { contactDelete(id: $id) { userErrors { code } } }",
        json!({ "id": referrer }),
    )
    .await
    .ok();
    assert_eq!(
        app.http
            .get(format!("{}{link}", app.url))
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    assert_eq!(post("late@visitor.test".into()).await, 404);
}
