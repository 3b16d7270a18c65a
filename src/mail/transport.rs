//! Where a mail goes once the sender has claimed it: an SMTP relay (lettre), or, in the
//! embedded default with no relay configured, the log. It owns turning an outbox row into an
//! RFC 5322 message; which rows to send, and what to record afterwards, is `sender`'s.

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::settings::{MailSettings, MailTransportKind, SmtpTls};
use crate::db::entities::mail_outbox;

pub enum MailTransport {
    /// Boxed: the SMTP configuration (TLS, credentials) is large, the log variant empty.
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    /// Writes each mail to the log as one line (id, recipient, subject; the body at debug
    /// level) and counts it as sent.
    Log,
}

impl MailTransport {
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<MailTransport> {
        if settings.transport == MailTransportKind::Log {
            return Ok(MailTransport::Log);
        }
        let host = settings.smtp_host.as_str();
        let mut builder = match settings.smtp_tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .with_context(|| format!("setting up STARTTLS to {host}"))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .with_context(|| format!("setting up TLS to {host}"))?,
        }
        // The relay constructors pick 587 and 465; the configured port wins.
        .port(settings.smtp_port)
        .timeout(Some(settings.timeout()))
        // One pooled connection per delivery in flight.
        .pool_config(PoolConfig::new().max_size(settings.concurrency.max(1) as u32));
        if let Some((username, password)) = settings.smtp_credentials_opt() {
            builder = builder.credentials(Credentials::new(
                username.to_owned(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(MailTransport::Smtp(Box::new(builder.build())))
    }

    /// Hands `mail` to the relay, which has it once this returns `Ok`.
    pub async fn deliver(&self, mail: &mail_outbox::Model, from: &Mailbox) -> anyhow::Result<()> {
        match self {
            MailTransport::Smtp(transport) => {
                let message = build_message(mail, from)?;
                // lettre's error already prints its cause: wrapping it would print that twice.
                transport
                    .send(message)
                    .await
                    .map_err(|error| anyhow::anyhow!("smtp: {error}"))?;
            }
            MailTransport::Log => {
                tracing::info!(
                    mail_id = mail.id,
                    recipient = %mail.recipient,
                    subject = %mail.subject,
                    "mail (no smtp relay configured)"
                );
                tracing::debug!(mail_id = mail.id, body = %mail.body, "mail body");
            }
        }
        Ok(())
    }
}

/// The Message-ID of an outbox row: the same however often the row is sent, so that a
/// receiver can recognise a resend (see `sender`). The row's creation time keeps two
/// deployments with the same `From` domain (staging and production, a database restored
/// from scratch) from reusing each other's ids.
fn message_id(mail: &mail_outbox::Model, domain: &str) -> String {
    format!(
        "<outbox-{}.{}@{domain}>",
        mail.id,
        mail.created_at.timestamp_micros()
    )
}

fn build_message(mail: &mail_outbox::Model, from: &Mailbox) -> anyhow::Result<Message> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .with_context(|| format!("recipient {:?} is not a mail address", mail.recipient))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(message_id(mail, from.email.domain())))
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .context("building the message")
}
