//! The `ws_tickets` table: single-use WebSocket tickets, by hash.

use sea_orm::entity::prelude::*;

/// A single-use, short-lived credential for opening a WebSocket from a browser, which cannot
/// set an `Authorization` header on the upgrade. Stored as its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ws_tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_hash: String,
    /// The session it was issued from: logging out also voids its tickets.
    pub session_id: i64,
    pub expires_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
