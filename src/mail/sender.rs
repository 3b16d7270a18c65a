//! Draining the outbox, one pass at a time: [`MailSender::send_due_once`] claims the due rows,
//! delivers each, and records the result. Looping, and waking up, is `actor`'s.
//!
//! Claiming ([`crate::outbox::rows`]) moves a row's `next_attempt_at` a lease into the
//! future in one committed statement, so no other sender (another node, or this one's next
//! pass) takes it while it is being sent; on PostgreSQL the claim also skips rows another node is claiming at that
//! moment. A sender that dies mid-batch leaves its rows to be claimed again when the lease
//! ends.
//!
//! Delivery is at least once, not exactly once: if the relay accepts a mail and the sender
//! dies (or loses the database) before marking the row sent, the row is claimed again after
//! the lease and the mail sent again. The resend carries the same Message-ID, which lets the
//! receiving side recognise it as the same message.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use lettre::message::Mailbox;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::transport::MailTransport;
use crate::db::entities::mail_outbox;
use crate::mail::settings::MailSettings;
use crate::outbox::actor::{self, Drainer};
use crate::outbox::rows::Outbox;
use crate::outbox::{next_attempt_after, Drain, Nudge, Pass};
use yunguan_actors::supervision::Supervisor;

/// The mail outbox's columns.
const OUTBOX: Outbox<mail_outbox::Entity> = Outbox {
    id: mail_outbox::Column::Id,
    delivered_at: mail_outbox::Column::SentAt,
    next_attempt_at: mail_outbox::Column::NextAttemptAt,
    entity: PhantomData,
};

/// The shortest claim: long enough for a batch of quick sends.
const MIN_CLAIM_LEASE: Duration = Duration::from_secs(60);

/// The longest `mail.timeout_ms` accepted.
const MAX_SEND_TIMEOUT: Duration = Duration::from_secs(10 * 60);

pub struct MailSender {
    db: DatabaseConnection,
    transport: MailTransport,
    from: Mailbox,
    batch_size: u64,
    /// Deliveries in flight at once.
    concurrency: usize,
    /// Bounds one mail's whole delivery (lettre's own timeout bounds each SMTP command).
    send_timeout: Duration,
    /// How long a claim keeps other senders off the claimed rows.
    lease: Duration,
}

/// Starts the supervised `mail-sender` actor, woken by `nudge`.
pub fn start(
    supervisor: &Supervisor,
    db: DatabaseConnection,
    settings: &MailSettings,
    nudge: &Nudge,
) -> anyhow::Result<Drainer<MailSender>> {
    let sender = MailSender::new(db, settings)?;
    actor::start(
        supervisor,
        "mail-sender",
        sender,
        settings.poll_interval(),
        nudge,
    )
}

impl Drain for MailSender {
    fn drain_once(self: Arc<Self>) -> BoxFuture<'static, anyhow::Result<Pass>> {
        async move { self.send_due_once().await }.boxed()
    }

    fn batch_size(&self) -> u64 {
        self.batch_size
    }
}

impl MailSender {
    pub fn new(db: DatabaseConnection, settings: &MailSettings) -> anyhow::Result<MailSender> {
        let from: Mailbox = settings
            .from
            .parse()
            .with_context(|| format!("mail.from {:?} is not a mailbox", settings.from))?;
        anyhow::ensure!(
            settings.batch_size > 0,
            "mail.batch_size must be at least 1"
        );
        anyhow::ensure!(
            (1..=64).contains(&settings.concurrency),
            "mail.concurrency must be between 1 and 64"
        );
        let send_timeout = settings.timeout();
        anyhow::ensure!(
            !send_timeout.is_zero() && send_timeout <= MAX_SEND_TIMEOUT,
            "mail.timeout_ms must be between 1 and {}",
            MAX_SEND_TIMEOUT.as_millis()
        );
        Ok(MailSender {
            db,
            transport: MailTransport::from_settings(settings)?,
            from,
            batch_size: settings.batch_size,
            concurrency: settings.concurrency,
            send_timeout,
            // Room for several slow sends per claim (see the check in `send_due_once`).
            lease: MIN_CLAIM_LEASE.max(send_timeout * 4),
        })
    }

    /// Claims up to `batch_size` due mails and delivers them, `concurrency` at a time: a
    /// delivered mail is marked sent as soon as the relay accepts it (with any others
    /// accepted at the same moment, in one statement); a failed one gets its
    /// attempt counted, its error recorded, and its next attempt put off by the backoff. Errs
    /// only when the database does.
    pub async fn send_due_once(&self) -> anyhow::Result<Pass> {
        let lease_started = Instant::now();
        let claimed = OUTBOX
            .claim_due(&self.db, self.lease, self.batch_size)
            .await
            .context("claiming due mail")?;
        // Owned rows: a stream over borrowed ones makes a future that is not `Send` for
        // every lifetime, which the drain actor's boxed future must be.
        let deliveries = futures_util::stream::iter(claimed)
            .map(|mail| async move {
                // A send that could end after the lease might overlap another sender's claim
                // of the same row: leave it to be claimed again when the lease ends.
                if lease_started.elapsed() + self.send_timeout > self.lease {
                    return (mail, None);
                }
                let delivery = tokio::time::timeout(
                    self.send_timeout,
                    self.transport.deliver(&mail, &self.from),
                )
                .await
                .unwrap_or_else(|_| {
                    Err(anyhow::anyhow!(
                        "timed out after {} ms",
                        self.send_timeout.as_millis()
                    ))
                });
                (mail, Some(delivery))
            })
            .buffer_unordered(self.concurrency);
        let mut outcome = Pass::default();
        let mut left_for_later = 0;
        // The sends that end together are marked together, with no wait for the others.
        let mut finished = deliveries.ready_chunks(self.concurrency.max(1));
        while let Some(together) = finished.next().await {
            let mut sent_ids = Vec::new();
            for (mail, delivery_opt) in together {
                match delivery_opt {
                    None => left_for_later += 1,
                    Some(Ok(())) => {
                        tracing::debug!(mail_id = mail.id, "mail sent");
                        sent_ids.push(mail.id);
                    }
                    Some(Err(error)) => {
                        let error_text = format!("{error:#}");
                        self.mark_failed(&mail, &error_text).await?;
                        outcome.failed += 1;
                        outcome.last_error_opt = Some(error_text);
                    }
                }
            }
            OUTBOX
                .mark_delivered(&self.db, &sent_ids)
                .await
                .with_context(|| format!("marking mails {sent_ids:?} sent"))?;
            outcome.sent += sent_ids.len();
        }
        if left_for_later > 0 {
            tracing::warn!(
                mails_left = left_for_later,
                "mail claim lease running out; leaving the rest for a later pass"
            );
        }
        Ok(outcome)
    }

    async fn mark_failed(&self, mail: &mail_outbox::Model, error_text: &str) -> anyhow::Result<()> {
        let attempts = mail.attempts.saturating_add(1);
        let next_attempt_at = next_attempt_after(Utc::now(), attempts.unsigned_abs());
        tracing::warn!(
            mail_id = mail.id,
            attempts,
            %next_attempt_at,
            error = %error_text,
            "mail not sent"
        );
        mail_outbox::Entity::update_many()
            .col_expr(mail_outbox::Column::Attempts, Expr::value(attempts))
            .col_expr(
                mail_outbox::Column::NextAttemptAt,
                Expr::value(next_attempt_at),
            )
            .col_expr(mail_outbox::Column::LastError, Expr::value(error_text))
            .filter(mail_outbox::Column::Id.eq(mail.id))
            .exec(&self.db)
            .await
            .with_context(|| format!("recording the failure of mail {}", mail.id))?;
        Ok(())
    }
}
