//! Users, sessions, refresh rotation, password change and reset.

use serde_json::json;
use tests::{PASSWORD, TEST_JWT_SECRET, spawn_app, spawn_app_with};

const REGISTER: &str = "mutation($i: UserRegisterInput!) { userRegister(input: $i) { user { id email name } userErrors { field code message } } }";
const REFRESH: &str = "mutation($t: String!) { sessionRefresh(input: { refreshToken: $t }) { session { accessToken refreshToken } userErrors { code } } }";
const VIEWER: &str = "{ viewer { id email name } }";

#[tokio::test]
async fn register_login_and_viewer() {
    let app = spawn_app().await;
    let r = app
        .gql(None, REGISTER, json!({ "i": { "email": "  Ada@Example.COM ", "name": " Ada ", "password": PASSWORD } }))
        .await
        .ok();
    assert_eq!(r.data("userRegister.user.email"), "ada@example.com");
    assert_eq!(r.data("userRegister.user.name"), "Ada");
    let id = r
        .data("userRegister.user.id")
        .as_str()
        .expect("id")
        .to_owned();
    assert!(id.starts_with("usr_"));

    let anon = app.gql(None, VIEWER, json!({})).await.ok();
    assert!(anon.data("viewer").is_null());

    let login = app.login("ADA@example.com", PASSWORD).await.ok();
    assert_eq!(login.data("sessionCreate.session.user.id"), id.as_str());
    let token = login
        .data("sessionCreate.session.accessToken")
        .as_str()
        .expect("token");
    let me = app.gql(Some(token), VIEWER, json!({})).await.ok();
    assert_eq!(me.data("viewer.id"), id.as_str());
    assert_eq!(me.data("viewer.email"), "ada@example.com");

    // The password is stored as an argon2id hash, never in clear.
    let row = app
        .count("user_credentials WHERE password_hash LIKE '$argon2id$%'")
        .await;
    assert_eq!(row, 1);
    assert_eq!(
        app.count("events WHERE event_type = 'user.registered'")
            .await,
        1
    );
    assert_eq!(
        app.count("events WHERE event_type = 'session.created'")
            .await,
        1
    );
}

#[tokio::test]
async fn register_refuses_bad_input_and_writes_nothing() {
    let app = spawn_app().await;
    let r = app
        .gql(
            None,
            REGISTER,
            json!({ "i": { "email": "not-an-email", "name": "  ", "password": "short" } }),
        )
        .await
        .ok();
    assert!(r.data("userRegister.user").is_null());
    let errors = r
        .data("userRegister.userErrors")
        .as_array()
        .expect("errors")
        .clone();
    let fields: Vec<String> = errors
        .iter()
        .map(|e| {
            e["field"]
                .as_array()
                .expect("field")
                .iter()
                .map(|p| p.as_str().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect();
    assert_eq!(fields, vec!["input.email", "input.name", "input.password"]);
    assert_eq!(
        r.user_error_codes("userRegister"),
        vec!["INVALID", "INVALID", "TOO_SHORT"]
    );
    assert_eq!(app.count("users").await, 0);
    assert_eq!(
        app.count("events").await,
        0,
        "a refused change records no event"
    );

    // A missing required field is caught by the schema.
    let r = app
        .gql(
            None,
            REGISTER,
            json!({ "i": { "email": "a@b.co", "name": "A" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn register_refuses_a_taken_email_whatever_its_case() {
    let app = spawn_app().await;
    app.register("grace@example.com").await;
    let r = app
        .gql(
            None,
            REGISTER,
            json!({ "i": { "email": "GRACE@example.com", "name": "G", "password": PASSWORD } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("userRegister"), vec!["TAKEN"]);
    assert_eq!(app.count("users").await, 1);
    assert_eq!(
        app.count("events WHERE event_type = 'user.registered'")
            .await,
        1
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_read_the_same() {
    let app = spawn_app().await;
    app.register("lin@example.com").await;
    let wrong = app.login("lin@example.com", "wrong password").await.ok();
    let unknown = app.login("nobody@example.com", "wrong password").await.ok();
    assert!(wrong.data("sessionCreate.session").is_null());
    assert_eq!(
        wrong.user_error_codes("sessionCreate"),
        vec!["INVALID_CREDENTIALS"]
    );
    assert_eq!(
        wrong.data("sessionCreate.userErrors"),
        unknown.data("sessionCreate.userErrors")
    );
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn sign_in_is_throttled_per_account() {
    let app = spawn_app_with(|c| c.login_attempts_per_account = 3).await;
    app.register("max@example.com").await;
    for _ in 0..3 {
        let r = app.login("max@example.com", "wrong password").await.ok();
        assert_eq!(
            r.user_error_codes("sessionCreate"),
            vec!["INVALID_CREDENTIALS"]
        );
    }
    // Even the right password is refused while the account is throttled.
    let r = app.login("max@example.com", PASSWORD).await;
    assert_eq!(r.error_code(), Some("RATE_LIMITED"));
    assert!(
        r.body["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .expect("retryAfter")
            >= 1
    );
    // Another account from the same address is not affected.
    app.register("other@example.com").await;
    app.login("other@example.com", PASSWORD).await.ok();
}

#[tokio::test]
async fn sign_in_is_throttled_per_ip() {
    let app = spawn_app_with(|c| c.login_attempts_per_ip = 2).await;
    app.login("a@example.com", "x-wrong-password").await.ok();
    app.login("b@example.com", "x-wrong-password").await.ok();
    let r = app.login("c@example.com", "x-wrong-password").await;
    assert_eq!(r.error_code(), Some("RATE_LIMITED"));
}

#[tokio::test]
async fn refresh_rotates_and_a_replay_revokes_the_family() {
    let app = spawn_app().await;
    let s = app.user("kim@example.com").await;

    let r1 = app.gql(None, REFRESH, json!({ "t": s.refresh })).await.ok();
    let access2 = r1
        .data("sessionRefresh.session.accessToken")
        .as_str()
        .expect("access")
        .to_owned();
    let refresh2 = r1
        .data("sessionRefresh.session.refreshToken")
        .as_str()
        .expect("refresh")
        .to_owned();
    assert_ne!(refresh2, s.refresh);
    app.gql(Some(&access2), VIEWER, json!({})).await.ok();

    // Replaying the first refresh token: refused, and the whole session is revoked...
    let replay = app.gql(None, REFRESH, json!({ "t": s.refresh })).await.ok();
    assert_eq!(
        replay.user_error_codes("sessionRefresh"),
        vec!["INVALID_TOKEN"]
    );
    assert!(replay.data("sessionRefresh.session").is_null());
    // ...so the newest token of the family no longer works either.
    let after = app.gql(None, REFRESH, json!({ "t": refresh2 })).await.ok();
    assert_eq!(
        after.user_error_codes("sessionRefresh"),
        vec!["INVALID_TOKEN"]
    );
    assert_eq!(
        app.count("sessions WHERE revoked_reason = 'refresh_token_reuse'")
            .await,
        1
    );
    assert_eq!(
        app.count("events WHERE event_type = 'session.reuse_detected'")
            .await,
        1
    );

    let garbage = app
        .gql(None, REFRESH, json!({ "t": "rt_nonsense" }))
        .await
        .ok();
    assert_eq!(
        garbage.user_error_codes("sessionRefresh"),
        vec!["INVALID_TOKEN"]
    );
}

#[tokio::test]
async fn expired_forged_and_malformed_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let s = app.user("eve@example.com").await;
    let claims = |exp: i64| {
        let user = kernel::GlobalId::parse(&s.user_id).expect("gid").uuid;
        json!({ "sub": user, "sid": uuid::Uuid::now_v7(), "iat": exp - 900, "exp": exp, "typ": "access" })
    };
    let now = chrono::Utc::now().timestamp();
    let sign = |secret: &str, exp: i64| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims(exp),
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign")
    };
    let expired = sign(TEST_JWT_SECRET, now - 3600);
    let r = app.gql(Some(&expired), VIEWER, json!({})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));
    assert!(r.error_message().expect("message").contains("expired"));

    let forged = sign("another-secret-another-secret-another-secret", now + 600);
    let r = app.gql(Some(&forged), VIEWER, json!({})).await;
    assert_eq!((r.status, r.error_code()), (401, Some("UNAUTHENTICATED")));

    // Well signed, but naming a session that never was: refused like a signed-out one.
    let unknown_session = sign(TEST_JWT_SECRET, now + 600);
    let r = app.gql(Some(&unknown_session), VIEWER, json!({})).await;
    assert_eq!((r.status, r.error_code()), (401, Some("UNAUTHENTICATED")));
    assert!(
        r.error_message()
            .expect("message")
            .contains("session has ended")
    );
    app.gql(Some(&s.access), VIEWER, json!({})).await.ok();

    let r = app.gql(Some("not.a.jwt"), VIEWER, json!({})).await;
    assert_eq!((r.status, r.error_code()), (401, Some("UNAUTHENTICATED")));
    let basic = app
        .http
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .body(json!({ "query": VIEWER }).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(basic.status().as_u16(), 401);
    assert_eq!(
        basic
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
}

/// A token verified once is not verified again on this replica (identity's memo of checked
/// tokens), but it still expires there, and a copy differing by one character of its signature
/// is checked afresh and refused.
#[tokio::test]
async fn a_token_used_before_still_expires_and_an_altered_copy_is_refused() {
    let app = spawn_app_with(|c| c.access_token_ttl_secs = 1).await;
    let s = app.user("ivy@example.com").await;
    app.gql(Some(&s.access), VIEWER, json!({})).await.ok();
    let mut chars: Vec<char> = s.access.chars().collect();
    let at = chars.len() - 10;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let altered: String = chars.into_iter().collect();
    let r = app.gql(Some(&altered), VIEWER, json!({})).await;
    assert_eq!((r.status, r.error_code()), (401, Some("UNAUTHENTICATED")));
    assert!(r.error_message().expect("message").contains("not valid"));
    // Past its expiry and the 5 s leeway.
    tokio::time::sleep(std::time::Duration::from_secs(8)).await;
    let r = app.gql(Some(&s.access), VIEWER, json!({})).await;
    assert_eq!((r.status, r.error_code()), (401, Some("UNAUTHENTICATED")));
    assert!(r.error_message().expect("message").contains("expired"));
}

#[tokio::test]
async fn session_revoke_current_named_and_everywhere() {
    let app = spawn_app().await;
    let a = app.user("sam@example.com").await;
    const REVOKE: &str = "mutation($i: SessionRevokeInput) { sessionRevoke(input: $i) { revokedCount userErrors { code } } }";

    let anon = app.gql(None, REVOKE, json!({})).await;
    assert_eq!(anon.error_code(), Some("UNAUTHENTICATED"));

    let r = app.gql(Some(&a.access), REVOKE, json!({})).await.ok();
    assert_eq!(r.data("sessionRevoke.revokedCount"), 1);
    let refused = app.gql(None, REFRESH, json!({ "t": a.refresh })).await.ok();
    assert_eq!(
        refused.user_error_codes("sessionRefresh"),
        vec!["INVALID_TOKEN"]
    );
    // A dead refresh token names no session.
    let r = app
        .gql(
            None,
            REVOKE,
            json!({ "i": { "refreshToken": a.refresh, "everywhere": true } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("sessionRevoke"), vec!["INVALID_TOKEN"]);

    // Named by refresh token, without an access token.
    let b = app.login("sam@example.com", PASSWORD).await.ok();
    let b_refresh = b
        .data("sessionCreate.session.refreshToken")
        .as_str()
        .expect("r")
        .to_owned();
    let r = app
        .gql(None, REVOKE, json!({ "i": { "refreshToken": b_refresh } }))
        .await
        .ok();
    assert_eq!(r.data("sessionRevoke.revokedCount"), 1);

    // Everywhere.
    let c = app.login("sam@example.com", PASSWORD).await.ok();
    let d = app.login("sam@example.com", PASSWORD).await.ok();
    let c_access = c
        .data("sessionCreate.session.accessToken")
        .as_str()
        .expect("a")
        .to_owned();
    let d_refresh = d
        .data("sessionCreate.session.refreshToken")
        .as_str()
        .expect("r")
        .to_owned();
    let r = app
        .gql(
            Some(&c_access),
            REVOKE,
            json!({ "i": { "everywhere": true } }),
        )
        .await
        .ok();
    assert_eq!(r.data("sessionRevoke.revokedCount"), 2);
    let refused = app.gql(None, REFRESH, json!({ "t": d_refresh })).await.ok();
    assert_eq!(
        refused.user_error_codes("sessionRefresh"),
        vec!["INVALID_TOKEN"]
    );
    assert_eq!(app.count("sessions WHERE revoked_at IS NULL").await, 0);
}

#[tokio::test]
async fn password_change_checks_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let here = app.user("pat@example.com").await;
    let elsewhere = app.login("pat@example.com", PASSWORD).await.ok();
    let elsewhere_refresh = elsewhere
        .data("sessionCreate.session.refreshToken")
        .as_str()
        .expect("r")
        .to_owned();
    const CHANGE: &str = "mutation($i: PasswordChangeInput!) { passwordChange(input: $i) { user { id } userErrors { field code } } }";

    let r = app
        .gql(
            None,
            CHANGE,
            json!({ "i": { "currentPassword": PASSWORD, "newPassword": "new password 1" } }),
        )
        .await;
    assert_eq!(r.error_code(), Some("UNAUTHENTICATED"));

    let r = app
        .gql(
            Some(&here.access),
            CHANGE,
            json!({ "i": { "currentPassword": "not it at all", "newPassword": "new password 1" } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("passwordChange"), vec!["WRONG_PASSWORD"]);
    let r = app
        .gql(
            Some(&here.access),
            CHANGE,
            json!({ "i": { "currentPassword": PASSWORD, "newPassword": "short" } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("passwordChange"), vec!["TOO_SHORT"]);

    let r = app
        .gql(
            Some(&here.access),
            CHANGE,
            json!({ "i": { "currentPassword": PASSWORD, "newPassword": "new password 1" } }),
        )
        .await
        .ok();
    assert_eq!(r.data("passwordChange.user.id"), here.user_id.as_str());
    assert_eq!(
        app.login("pat@example.com", PASSWORD)
            .await
            .user_error_codes("sessionCreate"),
        vec!["INVALID_CREDENTIALS"]
    );
    app.login("pat@example.com", "new password 1").await.ok();
    // The other device is signed out; this one is not.
    let other = app
        .gql(None, REFRESH, json!({ "t": elsewhere_refresh }))
        .await
        .ok();
    assert_eq!(
        other.user_error_codes("sessionRefresh"),
        vec!["INVALID_TOKEN"]
    );
    app.gql(None, REFRESH, json!({ "t": here.refresh }))
        .await
        .ok();
}

#[tokio::test]
async fn password_reset_by_emailed_code() {
    let app = spawn_app().await;
    let s = app.user("ria@example.com").await;
    const REQUEST: &str = "mutation($e: String!) { passwordResetRequest(input: { email: $e }) { accepted userErrors { code } } }";
    const CONFIRM: &str = "mutation($t: String!, $p: String!) { passwordResetConfirm(input: { token: $t, newPassword: $p }) { user { id } userErrors { field code } } }";

    let unknown = app
        .gql(None, REQUEST, json!({ "e": "nobody@example.com" }))
        .await
        .ok();
    let known = app
        .gql(None, REQUEST, json!({ "e": "RIA@example.com" }))
        .await
        .ok();
    assert_eq!(
        unknown.body, known.body,
        "the answer must not tell whether the account exists"
    );
    assert_eq!(app.count("email_outbox").await, 2);
    assert_eq!(app.count("password_resets").await, 1);
    assert_eq!(
        app.count(
            "email_outbox WHERE to_address = 'nobody@example.com' AND body_text LIKE '%no account%'"
        )
        .await,
        1
    );

    // The code travels only by email.
    let mail = app.mail_to("ria@example.com").await;
    let token = mail
        .body()
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 43 && !l.contains(' '))
        .expect("code in the email")
        .to_owned();
    assert!(!known.body.to_string().contains(&token));

    let bad = app
        .gql(
            None,
            CONFIRM,
            json!({ "t": "wrong-code", "p": "brand new password" }),
        )
        .await
        .ok();
    assert_eq!(
        bad.user_error_codes("passwordResetConfirm"),
        vec!["INVALID_TOKEN"]
    );
    let short = app
        .gql(None, CONFIRM, json!({ "t": token, "p": "short" }))
        .await
        .ok();
    assert_eq!(
        short.user_error_codes("passwordResetConfirm"),
        vec!["TOO_SHORT"]
    );

    let ok = app
        .gql(
            None,
            CONFIRM,
            json!({ "t": token, "p": "brand new password" }),
        )
        .await
        .ok();
    assert_eq!(ok.data("passwordResetConfirm.user.id"), s.user_id.as_str());
    app.login("ria@example.com", "brand new password")
        .await
        .ok();
    // Every earlier session is over, and the code works once.
    let refused = app.gql(None, REFRESH, json!({ "t": s.refresh })).await.ok();
    assert_eq!(
        refused.user_error_codes("sessionRefresh"),
        vec!["INVALID_TOKEN"]
    );
    let again = app
        .gql(
            None,
            CONFIRM,
            json!({ "t": token, "p": "another new password" }),
        )
        .await
        .ok();
    assert_eq!(
        again.user_error_codes("passwordResetConfirm"),
        vec!["INVALID_TOKEN"]
    );
}

#[tokio::test]
async fn password_reset_codes_expire() {
    let app = spawn_app_with(|c| c.password_reset_ttl_secs = 0).await;
    app.user("old@example.com").await;
    app.gql(
        None,
        "mutation { passwordResetRequest(input: { email: \"old@example.com\" }) { accepted } }",
        json!({}),
    )
    .await
    .ok();
    let mail = app.mail_to("old@example.com").await;
    let token = mail
        .body()
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 43)
        .expect("code")
        .to_owned();
    let r = app
        .gql(None, "mutation($t: String!) { passwordResetConfirm(input: { token: $t, newPassword: \"brand new password\" }) { userErrors { code } } }", json!({ "t": token }))
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("passwordResetConfirm"),
        vec!["INVALID_TOKEN"]
    );
}

#[tokio::test]
async fn each_mutation_of_a_document_stands_alone() {
    let app = spawn_app().await;
    let s = app.user("doc@example.com").await;
    let random_key =
        kernel::GlobalId::new(kernel::NodeKind::ApiKey, uuid::Uuid::now_v7()).to_string();
    let doc = format!(
        r#"mutation {{
            a: userRegister(input: {{ email: "first@example.com", name: "F", password: "{PASSWORD}" }}) {{ user {{ id }} }}
            b: apiKeyRevoke(id: "{random_key}") {{ apiKey {{ id }} }}
            c: userRegister(input: {{ email: "third@example.com", name: "T", password: "{PASSWORD}" }}) {{ user {{ id }} }}
        }}"#
    );
    let r = app.gql(Some(&s.access), &doc, json!({})).await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    assert!(r.body["data"]["a"]["user"]["id"].is_string());
    assert!(r.body["data"]["c"]["user"]["id"].is_string());
    assert_eq!(
        app.count("users").await,
        3,
        "the failure between them undoes neither"
    );
}

#[tokio::test]
async fn a_mutation_failing_inside_the_database_leaves_nothing_behind() {
    let app = spawn_app().await;
    let s = app.user("fail@example.com").await;
    app.grant(
        &s.user_id,
        kernel::Scope::Platform,
        kernel::Role::PlatformAdmin,
    )
    .await;
    // The key row can be written, its event cannot: the key must not survive either.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("DROP TABLE events")
        .await
        .expect("drop");
    let r = app
        .gql(
            Some(&s.access),
            "mutation { apiKeyCreate(input: { scopeId: \"plt_00000000000000000000000000000000\", name: \"k\", permissions: [AGENCIES_MANAGE] }) { secret } }",
            json!({}),
        )
        .await;
    assert_eq!(r.error_code(), Some("INTERNAL"));
    assert_eq!(app.count("api_keys").await, 0);
}
