//! The activity feed: each event is shown only to those who may read its subject.

use kernel::Role;
use serde_json::{Value, json};
use tests::{TestApp, spawn_app};

const FEED: &str = "query($s: ID!, $f: ActivityFilterInput, $n: Int, $a: String) { activity(scopeId: $s, filter: $f, first: $n, after: $a) { pageInfo { hasNextPage endCursor } nodes { type subjectType subjectId actorKind actor { email } payload subject { __typename ... on Contact { firstName } } } } }";

fn types(r: &tests::Gql) -> Vec<String> {
    r.data("activity.nodes")
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn key(app: &TestApp, token: &str, scope: &str, perms: Value) -> String {
    let r = app
        .gql(Some(token), "mutation($s: ID!, $p: [Permission!]!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: $p }) { secret } }", json!({ "s": scope, "p": perms }))
        .await
        .ok();
    r.data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned()
}

#[tokio::test]
async fn the_feed_shows_what_each_reader_may_read() {
    let app = spawn_app().await;
    let tests::World {
        admin,
        owner,
        agency,
        dental,
        gardens,
    } = app.world().await;
    let staff = app
        .member("staff@dental.test", &dental, Role::SubaccountUser)
        .await;
    let gardener = app
        .member("gardener@gardens.test", &gardens, Role::SubaccountUser)
        .await;

    let r = app.gql(Some(&owner.access), "mutation($s: ID!) { contactCreate(input: { subAccountId: $s, firstName: \"Ada\" }) { contact { id } } }", json!({ "s": dental })).await.ok();
    let ada = r.data("contactCreate.contact.id").clone();
    app.gql(Some(&owner.access), "mutation($s: ID!) { pipelineCreate(input: { subAccountId: $s, name: \"Sales\" }) { pipeline { id } } }", json!({ "s": dental })).await.ok();
    app.gql(Some(&owner.access), "mutation($s: ID!) { contactCreate(input: { subAccountId: $s, firstName: \"Gus\" }) { contact { id } } }", json!({ "s": gardens })).await.ok();

    // A sub-account user sees the sub-account's contacts and pipelines, newest first.
    let r = app
        .gql(Some(&staff.access), FEED, json!({ "s": dental }))
        .await
        .ok();
    assert_eq!(
        types(&r),
        ["pipeline.created", "contact.created"],
        "{}",
        r.body
    );
    let contact_event = &r.data("activity.nodes")[1];
    assert_eq!(
        contact_event["subject"],
        json!({ "__typename": "Contact", "firstName": "Ada" })
    );
    assert_eq!(
        (
            contact_event["subjectId"].as_str(),
            contact_event["actor"]["email"].as_str()
        ),
        (ada.as_str(), Some("owner@acme.test"))
    );

    // A key that may read pipelines only sees no contact events.
    let pipelines_only = key(&app, &owner.access, &dental, json!(["PIPELINES_READ"])).await;
    let r = app
        .gql(Some(&pipelines_only), FEED, json!({ "s": dental }))
        .await
        .ok();
    assert_eq!(types(&r), ["pipeline.created"]);

    // The agency's owner sees both sub-accounts and the agency's own events; filters narrow.
    let r = app
        .gql(Some(&owner.access), FEED, json!({ "s": agency, "n": 100 }))
        .await
        .ok();
    let all = types(&r);
    // Platform staff acting from above are not named to the agency.
    let by_admin: Vec<Value> = r
        .data("activity.nodes")
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["type"] == "agency.created")
        .cloned()
        .collect();
    assert!(!by_admin.is_empty(), "{all:?}");
    assert!(
        by_admin
            .iter()
            .all(|n| n["actor"].is_null() && n["actorKind"] == "user")
    );
    let counted = app
        .gql(
            Some(&owner.access),
            "query($s: ID!) { activity(scopeId: $s, first: 1) { totalCount nodes { type } } }",
            json!({ "s": agency }),
        )
        .await
        .ok();
    assert_eq!(
        counted.data("activity.totalCount").as_u64(),
        Some(all.len() as u64)
    );
    assert_eq!(
        all.iter().filter(|t| *t == "contact.created").count(),
        2,
        "{all:?}"
    );
    assert!(
        all.iter().any(|t| t.starts_with("sub_account."))
            || all.iter().any(|t| t.starts_with("membership.")),
        "{all:?}"
    );
    let r = app
        .gql(
            Some(&owner.access),
            FEED,
            json!({ "s": agency, "f": { "types": ["contact.created"], "subjectId": ada } }),
        )
        .await
        .ok();
    assert_eq!(types(&r), ["contact.created"]);
    // Pages follow each other without gaps.
    let first = app
        .gql(Some(&owner.access), FEED, json!({ "s": agency, "n": 1 }))
        .await
        .ok();
    let second = app
        .gql(
            Some(&owner.access),
            FEED,
            json!({ "s": agency, "n": 1, "a": first.data("activity.pageInfo.endCursor") }),
        )
        .await
        .ok();
    assert_eq!(
        vec![types(&first)[0].clone(), types(&second)[0].clone()],
        all[..2].to_vec()
    );

    // Someone of another sub-account, or of another agency, sees nothing of it.
    let r = app
        .gql(Some(&gardener.access), FEED, json!({ "s": dental }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    // A sub-account user holds nothing at the agency level: no agency feed.
    let r = app
        .gql(
            Some(&gardener.access),
            FEED,
            json!({ "s": agency, "n": 100 }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let other = app.user("owner@other.test").await;
    app.agency(&admin, "Other", "owner@other.test").await;
    let r = app
        .gql(Some(&other.access), FEED, json!({ "s": dental }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    let r = app
        .gql(Some(&owner.access), FEED, json!({ "s": ada }))
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
}
