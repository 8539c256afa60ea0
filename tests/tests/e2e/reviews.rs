//! Reviews end to end: a request to a contact by email (never gated by a rating: the API has no
//! way to say one), the review recorded and replied to, verified, and the stats per platform
//! and period.

use serde_json::json;
use tests::{Session, TestApp, spawn_app};

const REQUEST: &str = "mutation($i: ReviewRequestInput!) { reviewRequest(input: $i) { review { id status requestSentAt } userErrors { field code } } }";

/// A requested review of a new contact of `sub`; its id.
pub async fn requested(app: &TestApp, who: &Session, sub: &str, email: &str) -> String {
    let c = app
        .create_contact(who, sub, json!({ "firstName": "Rae", "email": email }))
        .await;
    let r = app
        .gql(Some(&who.access), REQUEST, json!({ "i": { "contactId": c, "platform": "GOOGLE", "reviewUrl": "https://g.page/r/smile/review", "message": "Thanks for visiting! Would you tell others how it went?" } }))
        .await
        .ok();
    assert_eq!(r.user_errors("reviewRequest"), vec![], "{}", r.body);
    r.data("reviewRequest.review.id")
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn a_requested_review_is_emailed_recorded_replied_to_and_verified() {
    let app = spawn_app().await;
    let w = app.world().await;
    let id = requested(&app, &w.owner, &w.dental, "rae@patients.test").await;
    let mail = app.mail_to("rae@patients.test").await;
    assert!(
        mail.body().contains("Would you tell others how it went?"),
        "{}",
        mail.data
    );
    assert!(
        mail.body().contains("https://g.page/r/smile/review"),
        "{}",
        mail.data
    );
    // Replying or verifying before the review exists is not allowed.
    let reply = "mutation($id: ID!, $r: String!) { reviewReply(id: $id, reply: $r) { review { reply repliedAt } userErrors { field code } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            reply,
            json!({ "id": id, "r": "Thank you!" }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("reviewReply"), ["NOT_ALLOWED"]);
    let complete = "mutation($id: ID!, $i: ReviewCompleteInput!) { reviewComplete(id: $id, input: $i) { review { status rating content contact { id } } userErrors { field code } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            complete,
            json!({ "id": id, "i": { "rating": 6 } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("reviewComplete"),
        vec![("input.rating".into(), "INVALID".into())]
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            complete,
            json!({ "id": id, "i": { "rating": 4, "content": "Kind and quick." } }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("reviewComplete.review.status"),
        "COMPLETED",
        "{}",
        r.body
    );
    assert!(r.data("reviewComplete.review.contact.id").is_string());
    let r = app
        .gql(
            Some(&w.owner.access),
            complete,
            json!({ "id": id, "i": { "rating": 5 } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("reviewComplete"), ["ALREADY_DONE"]);
    let r = app
        .gql(
            Some(&w.owner.access),
            reply,
            json!({ "id": id, "r": "Thank you, Rae!" }),
        )
        .await
        .ok();
    assert_eq!(r.data("reviewReply.review.reply"), "Thank you, Rae!");
    let r = app
        .gql(Some(&w.owner.access), "mutation($id: ID!) { reviewVerify(id: $id) { review { status } userErrors { code } } }", json!({ "id": id }))
        .await
        .ok();
    assert_eq!(r.data("reviewVerify.review.status"), "VERIFIED");
}

#[tokio::test]
async fn a_request_takes_no_rating_so_it_cannot_be_gated() {
    let app = spawn_app().await;
    let w = app.world().await;
    // The request's input has no field that rates the contact, and one is refused.
    let fields = app
        .gql(
            None,
            "{ __type(name: \"ReviewRequestInput\") { inputFields { name } } }",
            json!({}),
        )
        .await
        .ok();
    let mut names: Vec<String> = fields
        .data("__type.inputFields")
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["contactId", "message", "platform", "reviewUrl"]);
    let c = app
        .create_contact(
            &w.owner,
            &w.dental,
            json!({ "firstName": "Gus", "email": "gus@patients.test" }),
        )
        .await;
    let r = app
        .gql(Some(&w.owner.access), REQUEST, json!({ "i": { "contactId": c, "platform": "YELP", "reviewUrl": "https://yelp.test/smile", "message": "Hi", "minRating": 4 } }))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    // A contact who gave a poor review before is asked like anyone.
    let r = app
        .gql(Some(&w.owner.access), "mutation($i: ReviewRecordInput!) { reviewRecord(input: $i) { review { id } userErrors { code } } }", json!({ "i": { "subAccountId": w.dental, "contactId": c, "platform": "YELP", "rating": 1 } }))
        .await
        .ok();
    assert_eq!(r.user_errors("reviewRecord"), vec![]);
    let r = app
        .gql(Some(&w.owner.access), REQUEST, json!({ "i": { "contactId": c, "platform": "YELP", "reviewUrl": "https://yelp.test/smile", "message": "Would you review us again?" } }))
        .await
        .ok();
    assert_eq!(r.user_errors("reviewRequest"), vec![]);
}

#[tokio::test]
async fn stats_give_count_and_average_per_platform_and_period() {
    let app = spawn_app().await;
    let w = app.world().await;
    let record = "mutation($i: ReviewRecordInput!) { reviewRecord(input: $i) { review { id } userErrors { code } } }";
    for (platform, rating) in [("GOOGLE", 5), ("GOOGLE", 4), ("GOOGLE", 2), ("FACEBOOK", 3)] {
        app.gql(
            Some(&w.owner.access),
            record,
            json!({ "i": { "subAccountId": w.dental, "platform": platform, "rating": rating } }),
        )
        .await
        .ok();
    }
    // Another sub-account's reviews count for it alone.
    app.gql(
        Some(&w.owner.access),
        record,
        json!({ "i": { "subAccountId": w.gardens, "platform": "GOOGLE", "rating": 1 } }),
    )
    .await
    .ok();
    let now = chrono::Utc::now();
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!, $f: DateTime!, $t: DateTime!) { reviewStats(subAccountId: $s, from: $f, to: $t, granularity: MONTH) { platform period count averageRating } }",
            json!({ "s": w.dental, "f": (now - chrono::Duration::days(40)).to_rfc3339(), "t": (now + chrono::Duration::minutes(1)).to_rfc3339() }),
        )
        .await
        .ok();
    let stats = r.data("reviewStats").as_array().expect("stats");
    let google = stats
        .iter()
        .find(|s| s["platform"] == "GOOGLE")
        .expect("google");
    assert_eq!(google["count"], 3);
    assert!((google["averageRating"].as_f64().expect("avg") - 11.0 / 3.0).abs() < 1e-9);
    assert_eq!(google["period"], now.format("%Y-%m-01").to_string());
    let facebook = stats
        .iter()
        .find(|s| s["platform"] == "FACEBOOK")
        .expect("facebook");
    assert_eq!(
        (
            facebook["count"].as_i64(),
            facebook["averageRating"].as_f64()
        ),
        (Some(1), Some(3.0))
    );
    assert_eq!(stats.len(), 2, "{stats:?}");
}
