//! E-mail about tickets, through a transactional outbox.
//!
//! A change that warrants a mail enqueues it in its own transaction ([`outbox::enqueue`]), so
//! the mail exists if and only if the change committed; the supervised `mail-sender` actor
//! ([`actor`]) drains the outbox to an SMTP relay (or the log), retrying forever with capped
//! backoff. Who gets which mail is the caller's business; this module owns the texts, the
//! table's use and the delivery.
//!
//! # Layout
//! - [`templates`]: the subjects and bodies, Chinese and English (pure).
//! - [`outbox`]: `enqueue` and the retry backoff.
//! - [`transport`]: SMTP or log, and the deterministic Message-ID.
//! - [`sender`]: one pass: claim due rows, deliver, record (`send_due_once`).
//! - [`actor`]: the loop around it, its snapshot and the nudge.

pub mod actor;
pub mod outbox;
pub mod sender;
pub mod templates;
pub mod transport;
