//! E-mail about tickets, through a transactional outbox.
//!
//! A change that warrants a mail enqueues it in its own transaction ([`outbox::enqueue`]), so
//! the mail exists if and only if the change committed; the supervised `mail-sender` actor
//! (`crate::outbox::actor` around [`sender::MailSender`]) drains the outbox to an SMTP relay
//! (or the log), retrying forever by the shared backoff. Who gets which mail is the caller's
//! business; this module owns the texts, the table's use and the delivery.
//!
//! # Layout
//! - [`templates`]: the subjects and bodies, Chinese and English (pure).
//! - [`outbox`]: writing a mail in the caller's transaction (`enqueue`).
//! - [`transport`]: SMTP or log, and the deterministic Message-ID.
//! - [`sender`]: one pass: claim due rows, deliver, record (`send_due_once`).
//! - [`settings`]: the `mail` section of the settings.

pub mod outbox;
pub mod sender;
pub mod settings;
pub mod templates;
pub mod transport;
