//! Invitations: invite by email, accept (with or without an account), revoke, expire, list.

use kernel::Role;
use serde_json::json;
use tests::{PASSWORD, TestApp, spawn_app};

const INVITE: &str = "mutation($i: InvitationCreateInput!) { invitationCreate(input: $i) { invitation { id email role status scope { kind id } } userErrors { field code message } } }";
const ACCEPT: &str = "mutation($i: InvitationAcceptInput!) { invitationAccept(input: $i) { invitation { status } user { id email } userErrors { field code message } } }";
const REVOKE: &str = "mutation($id: ID!) { invitationRevoke(id: $id) { invitation { status } userErrors { code } } }";
const LIST: &str =
    "query($s: ID!) { invitations(scopeId: $s) { totalCount nodes { email role status } } }";

/// The code of the newest invitation email sent to `to`, as the SMTP server received it.
async fn code_sent_to(app: &TestApp, to: &str) -> String {
    let mail = app.mail_to(to).await;
    mail.body()
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 43 && !l.contains(' '))
        .expect("code")
        .to_owned()
}

#[tokio::test]
async fn invite_a_new_person_who_accepts_by_creating_an_account() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let r = app
        .gql(
            Some(&owner.access),
            INVITE,
            json!({ "i": { "scopeId": agency, "email": "New@Hire.test", "role": "AGENCY_USER" } }),
        )
        .await
        .ok();
    assert_eq!(r.data("invitationCreate.invitation.email"), "new@hire.test");
    assert_eq!(r.data("invitationCreate.invitation.status"), "PENDING");
    assert_eq!(
        r.data("invitationCreate.invitation.scope.id"),
        agency.as_str()
    );
    let code = code_sent_to(&app, "new@hire.test").await;
    assert!(
        !r.body.to_string().contains(&code),
        "the code travels only by email"
    );
    let listed = app
        .gql(Some(&owner.access), LIST, json!({ "s": agency }))
        .await
        .ok();
    assert_eq!(listed.data("invitations.totalCount"), 1);

    // Without an account: name and password make one.
    let r = app
        .gql(
            None,
            ACCEPT,
            json!({ "i": { "token": code, "name": "Nia", "password": "short" } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("invitationAccept"), vec!["TOO_SHORT"]);
    assert_eq!(
        app.count("users WHERE email = 'new@hire.test'").await,
        0,
        "nothing half-made"
    );
    let r = app
        .gql(
            None,
            ACCEPT,
            json!({ "i": { "token": code, "name": "Nia", "password": PASSWORD } }),
        )
        .await
        .ok();
    assert_eq!(r.data("invitationAccept.invitation.status"), "ACCEPTED");
    assert_eq!(r.data("invitationAccept.user.email"), "new@hire.test");
    // The inviter is told.
    let n = app
        .gql(
            Some(&owner.access),
            "{ notifications { nodes { kind text } } notificationUnreadCount }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        n.data("notifications.nodes"),
        &json!([{ "kind": "invitation.accepted", "text": "new@hire.test accepted your invitation" }])
    );
    assert_eq!(n.data("notificationUnreadCount"), 1);
    // The new member signs in and finds the agency.
    let login = app.login("new@hire.test", PASSWORD).await.ok();
    let token = login
        .data("sessionCreate.session.accessToken")
        .as_str()
        .expect("token")
        .to_owned();
    let mine = app
        .gql(Some(&token), "{ agencies { nodes { id } } }", json!({}))
        .await
        .ok();
    assert_eq!(mine.data("agencies.nodes")[0]["id"], agency.as_str());
    // A code works once.
    let again = app
        .gql(
            None,
            ACCEPT,
            json!({ "i": { "token": code, "name": "Nia", "password": PASSWORD } }),
        )
        .await
        .ok();
    assert_eq!(
        again.user_error_codes("invitationAccept"),
        vec!["INVALID_TOKEN"]
    );
    assert_eq!(app.count("memberships WHERE role = 'AGENCY_USER'").await, 1);
    assert_eq!(
        app.count("events WHERE event_type = 'invitation.accepted'")
            .await,
        1
    );
}

#[tokio::test]
async fn existing_users_accept_signed_in_as_themselves() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let dental = app.sub_account(&owner, &agency, "Dental").await;
    let known = app.user("known@x.test").await;
    let other = app.user("other@x.test").await;
    app.gql(
        Some(&owner.access),
        INVITE,
        json!({ "i": { "scopeId": dental, "email": "known@x.test", "role": "SUBACCOUNT_ADMIN" } }),
    )
    .await
    .ok();
    let code = code_sent_to(&app, "known@x.test").await;
    // Anonymous, for an address with an account: sign in first.
    let r = app
        .gql(None, ACCEPT, json!({ "i": { "token": code } }))
        .await
        .ok();
    assert_eq!(r.user_error_codes("invitationAccept"), vec!["NOT_ALLOWED"]);
    // Someone else's invitation.
    let r = app
        .gql(
            Some(&other.access),
            ACCEPT,
            json!({ "i": { "token": code } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("invitationAccept"), vec!["NOT_ALLOWED"]);
    let r = app
        .gql(
            Some(&known.access),
            ACCEPT,
            json!({ "i": { "token": code } }),
        )
        .await
        .ok();
    assert_eq!(r.data("invitationAccept.user.id"), known.user_id.as_str());
    assert_eq!(
        app.count("memberships WHERE role = 'SUBACCOUNT_ADMIN'")
            .await,
        1
    );
    // Already a member: inviting again is pointless.
    let r = app.gql(Some(&owner.access), INVITE, json!({ "i": { "scopeId": dental, "email": "known@x.test", "role": "SUBACCOUNT_USER" } })).await.ok();
    assert_eq!(r.user_error_codes("invitationCreate"), vec!["ALREADY_DONE"]);
}

#[tokio::test]
async fn invitation_refusals() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let staff = app
        .member("staff@acme.test", &agency, Role::AgencyUser)
        .await;
    let admin2 = app
        .member("admin@acme.test", &agency, Role::AgencyAdmin)
        .await;
    let stranger = app.user("stranger@x.test").await;
    let invite = |email: &str, role: &str| json!({ "i": { "scopeId": agency, "email": email, "role": role } });

    assert_eq!(
        app.gql(None, INVITE, invite("a@x.test", "AGENCY_USER"))
            .await
            .error_code(),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(
        app.gql(
            Some(&stranger.access),
            INVITE,
            invite("a@x.test", "AGENCY_USER")
        )
        .await
        .error_code(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        app.gql(
            Some(&staff.access),
            INVITE,
            invite("a@x.test", "AGENCY_USER")
        )
        .await
        .error_code(),
        Some("FORBIDDEN")
    );
    // Upward: an admin cannot invite an owner.
    let r = app
        .gql(
            Some(&admin2.access),
            INVITE,
            invite("a@x.test", "AGENCY_OWNER"),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("invitationCreate"), vec!["NOT_ALLOWED"]);
    // A role of another kind of scope, and a bad address.
    let r = app
        .gql(
            Some(&owner.access),
            INVITE,
            invite("a@x.test", "PLATFORM_ADMIN"),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("invitationCreate"), vec!["INVALID"]);
    let r = app
        .gql(
            Some(&owner.access),
            INVITE,
            invite("not-an-email", "AGENCY_USER"),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("invitationCreate"), vec!["INVALID"]);
    assert_eq!(app.count("invitations").await, 0);
    assert_eq!(
        app.gql(Some(&stranger.access), LIST, json!({ "s": agency }))
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
}

#[tokio::test]
async fn revoked_replaced_and_expired_invitations_cannot_be_accepted() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let r = app
        .gql(
            Some(&owner.access),
            INVITE,
            json!({ "i": { "scopeId": agency, "email": "r@x.test", "role": "AGENCY_USER" } }),
        )
        .await
        .ok();
    let id = r
        .data("invitationCreate.invitation.id")
        .as_str()
        .expect("id")
        .to_owned();
    let first = code_sent_to(&app, "r@x.test").await;
    // Inviting again replaces the first invitation.
    app.gql(
        Some(&owner.access),
        INVITE,
        json!({ "i": { "scopeId": agency, "email": "r@x.test", "role": "AGENCY_USER" } }),
    )
    .await
    .ok();
    let second = code_sent_to(&app, "r@x.test").await;
    let r = app
        .gql(
            None,
            ACCEPT,
            json!({ "i": { "token": first, "name": "R", "password": PASSWORD } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("invitationAccept"),
        vec!["INVALID_TOKEN"]
    );
    assert_eq!(
        app.gql(Some(&owner.access), REVOKE, json!({ "id": id }))
            .await
            .ok()
            .user_error_codes("invitationRevoke"),
        vec!["ALREADY_DONE"]
    );
    let listed = app
        .gql(Some(&owner.access), LIST, json!({ "s": agency }))
        .await
        .ok();
    let second_id = {
        let r = app
            .gql(
                Some(&owner.access),
                "query($s: ID!) { invitations(scopeId: $s) { nodes { id } } }",
                json!({ "s": agency }),
            )
            .await
            .ok();
        r.data("invitations.nodes")[0]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    assert_eq!(listed.data("invitations.totalCount"), 1);
    let stranger = app.user("stranger@x.test").await;
    assert_eq!(
        app.gql(Some(&stranger.access), REVOKE, json!({ "id": second_id }))
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
    let r = app
        .gql(Some(&owner.access), REVOKE, json!({ "id": second_id }))
        .await
        .ok();
    assert_eq!(r.data("invitationRevoke.invitation.status"), "REVOKED");
    let r = app
        .gql(
            None,
            ACCEPT,
            json!({ "i": { "token": second, "name": "R", "password": PASSWORD } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("invitationAccept"),
        vec!["INVALID_TOKEN"]
    );

    // Expired.
    app.gql(
        Some(&owner.access),
        INVITE,
        json!({ "i": { "scopeId": agency, "email": "late@x.test", "role": "AGENCY_USER" } }),
    )
    .await
    .ok();
    let late = code_sent_to(&app, "late@x.test").await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE invitations SET expires_at = created_at")
        .await
        .expect("expire");
    let r = app
        .gql(
            None,
            ACCEPT,
            json!({ "i": { "token": late, "name": "L", "password": PASSWORD } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("invitationAccept"),
        vec!["INVALID_TOKEN"]
    );
    let listed = app
        .gql(Some(&owner.access), LIST, json!({ "s": agency }))
        .await
        .ok();
    assert_eq!(listed.data("invitations.nodes")[0]["status"], "EXPIRED");
    assert_eq!(app.count("memberships WHERE role = 'AGENCY_USER'").await, 0);
}

#[tokio::test]
async fn an_invitation_lapses_with_its_inviters_standing() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let manager = app
        .member("manager@acme.test", &agency, Role::AgencyAdmin)
        .await;
    app.gql(
        Some(&manager.access),
        INVITE,
        json!({ "i": { "scopeId": agency, "email": "late@x.test", "role": "AGENCY_ADMIN" } }),
    )
    .await
    .ok();
    let code = code_sent_to(&app, "late@x.test").await;
    // The manager is removed before the invitation is accepted.
    app.remove_membership(&owner, &agency, &manager.user_id)
        .await;
    let r = app
        .gql(
            None,
            ACCEPT,
            json!({ "i": { "token": code, "name": "L", "password": PASSWORD } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_error_codes("invitationAccept"),
        vec!["INVALID_TOKEN"]
    );
    assert_eq!(
        app.count("memberships WHERE role = 'AGENCY_ADMIN'").await,
        0
    );
}
