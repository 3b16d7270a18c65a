//! The `mail` section of the settings: the transport (the log or an SMTP relay), the sender,
//! the links and language of mail, and the templates. Owned here, read into
//! `crate::settings::Settings`.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::templates::{Locale, Texts};

#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    /// `log` (the embedded default: mail is written to the log and counts as sent) or `smtp`.
    pub transport: MailTransportKind,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    /// Both set: the relay requires a login.
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    /// The `From` mailbox; its domain also ends every Message-ID.
    pub from: String,
    /// Where the portal is reached from a mail reader, for the links in mail.
    pub base_url: String,
    /// The language of mail to users who have not chosen one.
    pub locale: Locale,
    /// Mails claimed and sent per pass of the sender.
    pub batch_size: u64,
    /// Mails of a batch in delivery at once (SMTP round trips, not CPU, bound a sender).
    pub concurrency: usize,
    /// How often the sender looks for due mail when nothing nudges it.
    pub poll_interval_ms: u64,
    /// Bounds each SMTP command, and each mail's whole delivery.
    pub timeout_ms: u64,
    /// A folder of mail templates that replace the built-in ones file by file
    /// (`zh-CN/done.txt`, `en/alarm_raised.txt`, …; see `mail::templates`).
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
    /// The templates, loaded (and checked) with the settings.
    #[serde(skip)]
    pub texts: Texts,
}

/// How approved tickets are carried out. Until a real cloud adapter is configured, hosts are
/// created on the built-in simulated cloud, whose behaviour these settings shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    Log,
    Smtp,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text: a relay on the same host or network only.
    None,
    /// Plain connect, then STARTTLS, which must succeed (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl MailSettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The login for the relay, when both halves are configured and not empty.
    pub fn smtp_credentials_opt(&self) -> Option<(&str, &SecretString)> {
        let username = self.smtp_username.as_deref().filter(|u| !u.is_empty())?;
        let password = self
            .smtp_password
            .as_ref()
            .filter(|p| !p.expose_secret().is_empty())?;
        Some((username, password))
    }

    /// Where a mail about an alarm points: the alarm in the portal.
    pub fn alarm_link(&self, alarm_id: i64) -> String {
        format!(
            "{}/#/alarms/{alarm_id}",
            self.base_url.trim_end_matches('/')
        )
    }

    /// Where a mail about a ticket points: the ticket's page in the portal.
    pub fn ticket_link(&self, ticket_id: i64) -> String {
        format!(
            "{}/#/tickets/{ticket_id}",
            self.base_url.trim_end_matches('/')
        )
    }
}
