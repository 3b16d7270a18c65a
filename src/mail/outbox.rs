//! The outbox: a mail is a row written in the caller's transaction, so it is sent if and only
//! if the change it announces commits. Sending, and retrying with backoff, is `sender`'s.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use super::templates::{self, Locale, Template, Texts, TicketMailParams};
use crate::db::entities::mail_outbox;

/// Characters `mail_outbox.subject` holds.
const SUBJECT_MAX_CHARS: usize = 400;

/// A mail to queue: rendered now, sent after the caller commits.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub recipient: String,
    pub template: Template,
    pub locale: Locale,
    /// The ticket the mail is about, to find a ticket's mails later.
    pub ticket_id_opt: Option<i64>,
    pub params: TicketMailParams,
}

/// Renders `mail` and stores it, due at once; returns the outbox row's id. Pass the open
/// transaction of the change the mail announces: a rollback then takes the mail with it.
/// Call `outbox::Nudge::nudge` after the commit to have it sent without waiting for the next poll.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    texts: &Texts,
    mail: OutgoingMail,
) -> Result<i64, DbErr> {
    let rendered = texts.ticket(mail.template, mail.locale, &mail.params);
    enqueue_rendered(
        db,
        mail.recipient,
        mail.template.name(),
        rendered,
        mail.ticket_id_opt,
    )
    .await
}

/// Queues a mail already rendered (alarm mails, which are about no ticket).
pub async fn enqueue_rendered(
    db: &impl ConnectionTrait,
    recipient: String,
    template_name: &str,
    rendered: templates::RenderedMail,
    ticket_id_opt: Option<i64>,
) -> Result<i64, DbErr> {
    let now = Utc::now();
    let row = mail_outbox::ActiveModel {
        recipient: Set(recipient),
        subject: Set(rendered.subject.chars().take(SUBJECT_MAX_CHARS).collect()),
        body: Set(rendered.body),
        template: Set(template_name.to_owned()),
        ticket_id: Set(ticket_id_opt),
        attempts: Set(0),
        next_attempt_at: Set(now),
        sent_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = mail_outbox::Entity::insert(row).exec(db).await?;
    Ok(inserted.last_insert_id)
}
