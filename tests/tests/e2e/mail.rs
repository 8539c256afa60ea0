//! Email: queued in the change's transaction, handed to a real SMTP server by a job, codes
//! blanked once sent, a brand's own sender, bounces told apart from temporary failures, and a
//! mail directory when no SMTP server is configured.

use jobs::JobStatus;
use jobs::entity::job;
use mail::entity as outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tests::{TestApp, spawn_app, spawn_app_with};

const INVITE: &str = "mutation($s: ID!, $e: String!) { invitationCreate(input: { scopeId: $s, email: $e, role: AGENCY_USER }) { invitation { id } userErrors { code } } }";

async fn invite(app: &TestApp, token: &str, scope: &str, email: &str) {
    app.gql(Some(token), INVITE, json!({ "s": scope, "e": email }))
        .await
        .ok();
}

async fn outbox_row(app: &TestApp, to: &str) -> outbox::Model {
    outbox::Entity::find()
        .filter(outbox::Column::ToAddress.eq(to))
        .one(&app.db)
        .await
        .expect("read the outbox")
        .expect("an outbox row")
}

/// The outbox row to `to` once it is in `status` (the SMTP server has the mail a moment before
/// the handler records it).
async fn outbox_in(app: &TestApp, to: &str, status: mail::OutboxStatus) -> outbox::Model {
    for _ in 0..800 {
        let row = outbox_row(app, to).await;
        if row.status == status {
            return row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the email to {to} never became {status:?}");
}

/// The email job in `status`, waiting for it (up to 20 s).
async fn email_job(app: &TestApp, status: JobStatus) -> Option<job::Model> {
    for _ in 0..800 {
        let j = job::Entity::find()
            .filter(job::Column::Kind.eq(mail::SEND))
            .filter(job::Column::Status.eq(status))
            .one(&app.db)
            .await
            .expect("read jobs");
        if j.is_some() {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    None
}

fn code_in(body: &str) -> String {
    body.lines()
        .map(str::trim)
        .find(|l| l.len() == 43 && !l.contains(' '))
        .expect("a code in the email")
        .to_owned()
}

#[tokio::test]
async fn an_invitation_arrives_over_smtp_its_code_accepts_it_and_the_outbox_forgets_the_code() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    invite(&app, &owner.access, &agency, "nia@hire.test").await;
    let mail = app.mail_to("nia@hire.test").await;
    assert_eq!(mail.header("subject"), Some("You are invited to Canopy"));
    assert!(
        mail.header("from")
            .is_some_and(|f| f.contains("no-reply@canopy.localhost"))
    );
    let code = code_in(mail.body());
    let r = app
        .gql(None, "mutation($t: String!) { invitationAccept(input: { token: $t, name: \"Nia\", password: \"correct horse battery\" }) { invitation { status } } }", json!({ "t": code }))
        .await
        .ok();
    assert_eq!(r.data("invitationAccept.invitation.status"), "ACCEPTED");
    let row = outbox_in(&app, "nia@hire.test", mail::OutboxStatus::Sent).await;
    assert_eq!(row.status, mail::OutboxStatus::Sent);
    assert!(row.sent_at.is_some());
    assert!(
        !row.body_text.contains(&code),
        "the code is blanked once sent"
    );
    assert!(email_job(&app, JobStatus::Succeeded).await.is_some());
}

#[tokio::test]
async fn a_brand_with_its_own_sender_sends_from_it() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let r = app
        .gql(Some(&owner.access), "mutation($id: ID!) { agencyUpdate(id: $id, input: { senderEmail: \"Hello@Acme.test\" }) { agency { senderEmail } userErrors { code } } }", json!({ "id": agency }))
        .await
        .ok();
    assert_eq!(r.data("agencyUpdate.agency.senderEmail"), "hello@acme.test");
    invite(&app, &owner.access, &agency, "sam@hire.test").await;
    let mail = app.mail_to("sam@hire.test").await;
    let from = mail.header("from").expect("a From header");
    assert!(
        from.contains("Acme") && from.contains("<hello@acme.test>"),
        "{from}"
    );
    assert_eq!(mail.from, "hello@acme.test");
}

#[tokio::test]
async fn a_bounce_is_dead_at_once_and_a_temporary_failure_is_retried() {
    let app = spawn_app_with(|c| c.mail_retry_base_ms = 50).await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    invite(&app, &owner.access, &agency, "bounce@hire.test").await;
    invite(&app, &owner.access, &agency, "tempfail@hire.test").await;
    // The server answers 451 twice, then takes it.
    let mail = app.mail_to("tempfail@hire.test").await;
    assert!(mail.body().contains("invited"));
    let sent = outbox_in(&app, "tempfail@hire.test", mail::OutboxStatus::Sent).await;
    assert_eq!(sent.status, mail::OutboxStatus::Sent);
    let done = email_job(&app, JobStatus::Succeeded)
        .await
        .expect("the retried job succeeded");
    assert_eq!(done.attempts, 3);
    // 550: no retry.
    let dead = email_job(&app, JobStatus::Dead)
        .await
        .expect("the bounced job is dead");
    assert_eq!(dead.attempts, 1);
    assert!(
        dead.last_error
            .as_deref()
            .is_some_and(|e| e.contains("550")),
        "{:?}",
        dead.last_error
    );
    let bounced = outbox_in(&app, "bounce@hire.test", mail::OutboxStatus::Bounced).await;
    assert_eq!(bounced.status, mail::OutboxStatus::Bounced);
}

#[tokio::test]
async fn without_smtp_mail_is_written_to_the_mail_directory() {
    let app = spawn_app_with(|c| c.smtp_url = None).await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    invite(&app, &owner.access, &agency, "lee@hire.test").await;
    let row = outbox_row(&app, "lee@hire.test").await;
    let path = app.config.mail_dir.join(format!("{}.eml", row.id));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no {}",
            path.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let eml = std::fs::read_to_string(&path).expect("read the .eml");
    assert!(eml.contains("To: lee@hire.test"), "{eml}");
    assert!(eml.contains("You have been invited"));
}
