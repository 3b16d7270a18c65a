//! The `notification_deliveries` table: posts to notification channels waiting to be made,
//! written in the transaction of the change they announce and drained by
//! `notify::sender`, like `mail_outbox`.

use sea_orm::entity::prelude::*;

/// One post, its body rendered when it was enqueued (it is signed when it is sent, since
/// robots refuse old signatures). `delivered_at` marks it done; the table doubles as the
/// record of what each channel was sent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    /// What it announces: `alarm.raised`, `approval.requested`, `test`, ...
    pub event: String,
    /// The JSON body posted.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Failed attempts so far; the backoff before the next attempt grows with it.
    pub attempts: i32,
    /// When a sender may next take it: after a failure, the backoff; while a sender holds
    /// it, the end of that sender's lease.
    pub next_attempt_at: ChronoDateTimeUtc,
    pub delivered_at: Option<ChronoDateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
