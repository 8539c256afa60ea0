//! Delivering the outbox: the `email.send` handler and the transport it hands mail to.
//!
//! - Over SMTP (`CANOPY_SMTP_URL`), through lettre's pooled async transport. A 5xx reply is a
//!   bounce: the email is marked `bounced` and its job dies. A 4xx reply, a timeout or a lost
//!   connection is retried with backoff.
//! - With no SMTP configured, each email is written to `<CANOPY_MAIL_DIR>/<outbox id>.eml`
//!   (and logged), so that a newcomer can still read an invitation code.
//!
//! A handed-over email is marked `sent` and the codes in its body are blanked. Delivery is at
//! least once: a crash between the hand-over and that mark sends it again, under the same
//! `Message-ID` (`<outbox id@domain>`), by which receivers drop the copy.

use crate::entity::{self as outbox, OutboxStatus};
use chrono::Utc;
use jobs::{Backoff, JobError, JobResult, JobRun, Registry};
use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, QueryFilter};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How mail leaves.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465`; `None`: write files into `dir`.
    pub smtp_url: Option<String>,
    /// The platform's sender (`Canopy <no-reply@canopy.localhost>`).
    pub from: String,
    /// Where mail goes when no SMTP server is configured.
    pub dir: PathBuf,
    /// The first retry delay (then doubling, up to an hour).
    pub retry_base: Duration,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Dir(PathBuf),
}

/// The sender: a transport and the platform's default `From`.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    backoff: Backoff,
}

impl Mailer {
    /// Builds the transport (inside the Tokio runtime: lettre's pool starts a task).
    pub fn new(config: &MailConfig) -> Result<Self, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("CANOPY_MAIL_FROM {:?} is not a mailbox: {e}", config.from))?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("CANOPY_SMTP_URL is not usable: {e}"))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
            None => Transport::Dir(config.dir.clone()),
        };
        Ok(Self {
            transport,
            from,
            backoff: Backoff::Exponential {
                base: config.retry_base,
                max: Duration::from_secs(3600),
            },
        })
    }

    /// A one-line description for the start-up log (no credentials).
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP (CANOPY_SMTP_URL)".into(),
            Transport::Dir(d) => format!("the directory {} (no CANOPY_SMTP_URL)", d.display()),
        }
    }

    async fn deliver(&self, id: Uuid, message: Message) -> Result<(), JobError> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    JobError::Fail(format!("refused: {e}"))
                } else {
                    JobError::Retry(format!("not handed over: {e}"))
                }
            }),
            Transport::Dir(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let write = async {
                    tokio::fs::create_dir_all(dir).await?;
                    let tmp = dir.join(format!(".{id}.eml.tmp"));
                    tokio::fs::write(&tmp, message.formatted()).await?;
                    tokio::fs::rename(&tmp, &path).await
                };
                write.await.map_err(|e| {
                    JobError::Retry(format!("cannot write {}: {e}", path.display()))
                })?;
                tracing::info!(path = %path.display(), "email written to the mail directory (no SMTP server configured)");
                Ok(())
            }
        }
    }
}

/// Registers the `email.send` handler.
pub fn register(registry: &mut Registry, mailer: Arc<Mailer>) {
    registry.on(crate::SEND, mailer.backoff.clone(), move |run| {
        let mailer = mailer.clone();
        async move { send(&mailer, run).await }
    });
}

async fn send(mailer: &Mailer, run: JobRun) -> JobResult {
    let id: Uuid = run
        .payload
        .get("outbox_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| JobError::Fail("the payload names no outbox_id".into()))?;
    let Some(mail) = outbox::Entity::find_by_id(id).one(&run.db).await? else {
        return Err(JobError::Fail(format!("outbox row {id} is gone")));
    };
    if mail.status == OutboxStatus::Sent {
        return Ok(serde_json::json!({ "outbox_id": id, "status": "sent", "again": false }));
    }
    let message = match build(mailer, &mail) {
        Ok(m) => m,
        Err(e) => {
            mark(&run, id, OutboxStatus::Bounced, Some(&e)).await?;
            return Err(JobError::Fail(e));
        }
    };
    match mailer.deliver(id, message).await {
        Ok(()) => {
            blank_and_mark_sent(&run, &mail).await?;
            Ok(serde_json::json!({ "outbox_id": id, "status": "sent" }))
        }
        Err(JobError::Fail(e)) => {
            mark(&run, id, OutboxStatus::Bounced, Some(&e)).await?;
            Err(JobError::Fail(e))
        }
        Err(JobError::Retry(e)) => {
            mark(&run, id, OutboxStatus::Queued, Some(&e)).await?;
            Err(JobError::Retry(e))
        }
    }
}

fn build(mailer: &Mailer, mail: &outbox::Model) -> Result<Message, String> {
    let from = match (&mail.from_name, &mail.from_address) {
        (name, Some(address)) => Mailbox::new(
            name.clone(),
            address
                .parse()
                .map_err(|e| format!("the sender {address:?} is not an address: {e}"))?,
        ),
        _ => mailer.from.clone(),
    };
    let to: Mailbox = mail
        .to_address
        .parse()
        .map_err(|e| format!("the recipient {:?} is not an address: {e}", mail.to_address))?;
    let domain = from.email.domain().to_owned();
    let builder = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", mail.id)));
    let attachments: Vec<crate::Attachment> = match &mail.attachments {
        Some(a) => serde_json::from_value(a.clone())
            .map_err(|e| format!("the attachments cannot be read: {e}"))?,
        None => Vec::new(),
    };
    if attachments.is_empty() {
        return builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body_text.clone())
            .map_err(|e| format!("the email cannot be built: {e}"));
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(mail.body_text.clone()));
    for a in attachments {
        let kind = ContentType::parse(&a.content_type).map_err(|e| {
            format!(
                "the attachment type {:?} is not a MIME type: {e}",
                a.content_type
            )
        })?;
        parts =
            parts.singlepart(lettre::message::Attachment::new(a.filename).body(a.content, kind));
    }
    builder
        .multipart(parts)
        .map_err(|e| format!("the email cannot be built: {e}"))
}

async fn mark(
    run: &JobRun,
    id: Uuid,
    status: OutboxStatus,
    error: Option<&str>,
) -> Result<(), JobError> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status.to_value()))
        .col_expr(
            outbox::Column::LastError,
            Expr::value(error.map(str::to_owned)),
        )
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.ne(OutboxStatus::Sent))
        .exec(&run.db)
        .await?;
    Ok(())
}

/// Marks the email sent and blanks its codes: the outbox keeps no usable secret.
async fn blank_and_mark_sent(run: &JobRun, mail: &outbox::Model) -> Result<(), JobError> {
    let mut body = mail.body_text.clone();
    for secret in mail
        .redact
        .as_ref()
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str())
        .filter(|s| !s.is_empty())
    {
        body = body.replace(secret, "[code removed after sending]");
    }
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(OutboxStatus::Sent.to_value()),
        )
        .col_expr(outbox::Column::SentAt, Expr::value(Utc::now()))
        .col_expr(outbox::Column::BodyText, Expr::value(body))
        .col_expr(
            outbox::Column::Redact,
            Expr::value(Option::<serde_json::Value>::None),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox::Column::Id.eq(mail.id))
        .exec(&run.db)
        .await?;
    Ok(())
}
