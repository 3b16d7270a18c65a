//! The `mail_outbox` table: mail waiting to be sent, written in the same transaction as the
//! change it announces and drained by `mail::sender`.

use sea_orm::entity::prelude::*;

/// One mail, rendered when it was enqueued. A row is never deleted by the sender: `sent_at`
/// marks it done, so the table doubles as the record of what was sent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Which template rendered it (`Template::name`), for finding a ticket's mails by kind.
    pub template: String,
    pub ticket_id: Option<i64>,
    /// Failed attempts so far; the backoff before the next attempt grows with it.
    pub attempts: i32,
    /// When a sender may next take it: after a failure, the backoff; while a sender holds
    /// it, the end of that sender's lease.
    pub next_attempt_at: ChronoDateTimeUtc,
    pub sent_at: Option<ChronoDateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
