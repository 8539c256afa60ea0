//! Revocation at once: a signed-out session, a changed password, a removed membership, a
//! revoked API key, a suspended sub-account and a deleted one stop on another replica within a
//! second (its credential cache cleared through the bus), on this replica at once, and a warm
//! credential costs fewer statements than one read every time, as does a sub-account a query
//! enters.

use kernel::Role;
use serde_json::json;
use std::time::{Duration, Instant};
use tests::{PASSWORD, TestApp, spawn_app, spawn_app_with};

const PING: &str = "{ __typename }";

/// How soon another replica must refuse: its bus hears of the change at once on PostgreSQL;
/// on SQLite the follower polls every second.
fn within() -> Duration {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(2_500)
    }
}

/// Asks `app` until it answers `code` (then returns how long that took), failing after 5 s.
async fn refused(app: &TestApp, token: &str, headers: &[(&str, &str)], code: &str) -> Duration {
    let start = Instant::now();
    loop {
        let r = app
            .gql_with_headers(Some(token), PING, json!({}), headers)
            .await;
        if r.error_code() == Some(code) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "still answered after 5 s: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A successful request on `app` (which caches the credential there).
async fn accepted(app: &TestApp, token: &str, headers: &[(&str, &str)]) {
    let r = app
        .gql_with_headers(Some(token), PING, json!({}), headers)
        .await;
    assert_eq!(r.error_code(), None, "{}", r.body);
}

fn access_of(r: &tests::Gql) -> String {
    r.data("sessionCreate.session.accessToken")
        .as_str()
        .expect("access token")
        .to_owned()
}

#[tokio::test]
async fn a_signed_out_session_is_refused_here_at_once_and_on_another_replica() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let a = app.user("sam@example.com").await;
    let other = access_of(&app.login("sam@example.com", PASSWORD).await.ok());
    accepted(&replica, &a.access, &[]).await;
    accepted(&app, &other, &[]).await;

    app.gql(
        Some(&a.access),
        "mutation { sessionRevoke { revokedCount } }",
        json!({}),
    )
    .await
    .ok();
    let r = app.gql(Some(&a.access), PING, json!({})).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"), "here, at once");
    let took = refused(&replica, &a.access, &[], "UNAUTHENTICATED").await;
    println!("refused on the other replica after {took:?}");
    assert!(took < within(), "another replica took {took:?}");
    // The user's other session goes on.
    accepted(&replica, &other, &[]).await;
}

#[tokio::test]
async fn a_changed_password_ends_the_other_sessions_on_another_replica() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let here = app.user("pat@example.com").await;
    let elsewhere = access_of(&app.login("pat@example.com", PASSWORD).await.ok());
    accepted(&replica, &elsewhere, &[]).await;

    app.gql(
        Some(&here.access),
        "mutation($i: PasswordChangeInput!) { passwordChange(input: $i) { user { id } } }",
        json!({ "i": { "currentPassword": PASSWORD, "newPassword": "new password 1" } }),
    )
    .await
    .ok();
    let took = refused(&replica, &elsewhere, &[], "UNAUTHENTICATED").await;
    println!("refused on the other replica after {took:?}");
    assert!(took < within(), "another replica took {took:?}");
    accepted(&replica, &here.access, &[]).await;
}

#[tokio::test]
async fn a_removed_membership_is_refused_on_another_replica() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let w = app.world().await;
    let member = app
        .member("dana@acme.test", &w.dental, Role::SubaccountUser)
        .await;
    let dental = [("canopy-sub-account", w.dental.as_str())];
    accepted(&replica, &member.access, &dental).await;

    app.remove_membership(&w.owner, &w.dental, &member.user_id)
        .await;
    let took = refused(&replica, &member.access, &dental, "NOT_FOUND").await;
    println!("refused on the other replica after {took:?}");
    assert!(took < within(), "another replica took {took:?}");
}

#[tokio::test]
async fn a_revoked_api_key_is_refused_on_another_replica() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let w = app.world().await;
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($i: ApiKeyCreateInput!) { apiKeyCreate(input: $i) { apiKey { id } secret } }",
            json!({ "i": { "scopeId": w.agency, "name": "Zapier", "permissions": ["CONTACTS_READ"] } }),
        )
        .await
        .ok();
    let secret = r
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    let id = r.data("apiKeyCreate.apiKey.id").clone();
    accepted(&replica, &secret, &[]).await;
    accepted(&app, &secret, &[]).await;

    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { apiKeyRevoke(id: $id) { apiKey { status } } }",
        json!({ "id": id }),
    )
    .await
    .ok();
    let r = app.gql(Some(&secret), PING, json!({})).await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"), "here, at once");
    let took = refused(&replica, &secret, &[], "UNAUTHENTICATED").await;
    println!("refused on the other replica after {took:?}");
    assert!(took < within(), "another replica took {took:?}");
}

#[tokio::test]
async fn a_suspended_sub_account_is_refused_on_another_replica() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let w = app.world().await;
    let dental = [("canopy-sub-account", w.dental.as_str())];
    accepted(&replica, &w.owner.access, &dental).await;

    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { subAccountSuspend(id: $id) { userErrors { code } } }",
        json!({ "id": w.dental }),
    )
    .await
    .ok();
    let took = refused(&replica, &w.owner.access, &dental, "FORBIDDEN").await;
    println!("refused on the other replica after {took:?}");
    assert!(took < within(), "another replica took {took:?}");
}

/// The statements of one `{ __typename }` as a sub-account's member, three times: cold, then
/// warm twice.
async fn statements(app: &TestApp) -> (u64, u64, u64) {
    let w = app.world().await;
    let member = app
        .member("dana@acme.test", &w.dental, Role::SubaccountUser)
        .await;
    // The grant's event reaches this replica's bus too (on PostgreSQL a few milliseconds
    // later), clearing the memberships again: let it, before counting.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut n = Vec::new();
    for _ in 0..3 {
        n.push(app.statements_for(&member.access, PING, json!({})).await);
    }
    (n[0], n[1], n[2])
}

#[tokio::test]
async fn a_warm_credential_costs_fewer_statements_than_one_read_every_time() {
    let on = spawn_app().await;
    let (cold, warm, again) = statements(&on).await;
    let off = spawn_app_with(|c| c.credential_cache_ttl_secs = 0).await;
    let (off_first, off_warm, _) = statements(&off).await;
    println!("statements of one request: cold {cold}, warm {warm}, without the cache {off_warm}");
    // Off, every request reads the session, the memberships, the agency and the sub-account.
    assert_eq!(off_first, off_warm, "without the cache nothing is saved");
    // The first request of a credential reads its session and memberships (the tenant may be
    // warm already: its owner worked in it).
    assert!(
        cold <= off_warm && warm + 2 <= cold,
        "cold {cold}, warm {warm}"
    );
    assert_eq!(warm, again);
    // Warm: none of the four (the session's read is new with revocation; the others are not).
    assert!(
        warm + 4 <= off_warm,
        "warm {warm}, cold {cold}, without the cache {off_warm}"
    );
}

const PAGE: &str = "query($s: ID!) { contacts(subAccountId: $s, first: 1) { nodes { id } } }";

#[tokio::test]
async fn a_deleted_sub_account_is_not_found_on_another_replica_that_entered_it() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let w = app.world().await;
    let dental = json!({ "s": w.dental });
    // Named by argument, not header: the access primitive enters it, from the cache the second
    // time.
    for _ in 0..2 {
        let r = replica
            .gql(Some(&w.owner.access), PAGE, dental.clone())
            .await;
        assert_eq!(r.error_code(), None, "{}", r.body);
    }
    let deleted = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { subAccountDelete(id: $id) { userErrors { code } } }",
            json!({ "id": w.dental }),
        )
        .await;
    assert_eq!(
        deleted.user_error_codes("subAccountDelete"),
        Vec::<String>::new(),
        "{}",
        deleted.body
    );
    let start = Instant::now();
    loop {
        let r = replica
            .gql(Some(&w.owner.access), PAGE, dental.clone())
            .await;
        if r.error_code() == Some("NOT_FOUND") {
            break;
        }
        assert!(
            start.elapsed() < within(),
            "still listed after {:?}: {}",
            start.elapsed(),
            r.body
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_sub_account_a_query_entered_is_not_read_again() {
    let app = spawn_app().await;
    let w = app.world().await;
    let token = &w.owner.access;
    // The credential and the agency are warm; these three sub-accounts are not yet.
    app.fewest_statements_for(token, PAGE, json!({ "s": w.dental }))
        .await;
    let mut subs = vec![w.gardens.clone()];
    for name in ["North", "South"] {
        subs.push(app.sub_account(&w.owner, &w.agency, name).await);
    }
    // The fewest of three first pages (the count takes in the job runtime's statements too).
    let mut first = u64::MAX;
    for s in &subs {
        first = first.min(app.statements_for(token, PAGE, json!({ "s": s })).await);
    }
    let then = app
        .fewest_statements_for(token, PAGE, json!({ "s": subs[0] }))
        .await;
    println!("a sub-account's first page: {first} statements, then {then}");
    assert_eq!(then + 1, first, "its existence is read once");
}

#[tokio::test]
async fn a_mutation_does_not_enter_a_sub_account_it_deleted_before() {
    let app = spawn_app().await;
    let w = app.world().await;
    let token = &w.owner.access;
    // Cached by a query first.
    app.gql(Some(token), PAGE, json!({ "s": w.dental }))
        .await
        .ok();
    let r = app
        .gql(
            Some(token),
            "mutation($s: ID!) { subAccountDelete(id: $s) { userErrors { code } } \
             contactCreate(input: { subAccountId: $s, firstName: \"Late\" }) { contact { id } } }",
            json!({ "s": w.dental }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
    assert_eq!(
        r.body["data"]["contactCreate"],
        serde_json::Value::Null,
        "{}",
        r.body
    );
}
