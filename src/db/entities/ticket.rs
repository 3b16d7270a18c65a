//! The `tickets` table: one service request and where it stands.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub requester_id: i64,
    pub item_id: i64,
    /// The catalog item version it was (last) submitted under.
    pub item_version: i32,
    pub title: String,
    pub business_system: String,
    /// The validated form, as JSON.
    #[sea_orm(column_type = "Text")]
    pub form: String,
    /// The facts derived from the form (`Facts` as JSON).
    #[sea_orm(column_type = "Text")]
    pub facts: String,
    /// One of `TicketState`'s names.
    pub state: String,
    pub round: i32,
    /// The levels planned for this round (`Vec<Level>` as JSON).
    #[sea_orm(column_type = "Text")]
    pub levels: String,
    pub level_index: Option<i32>,
    /// When the open level opened: its SLA counts from here, across restarts.
    pub level_opened_at: Option<ChronoDateTimeUtc>,
    pub reminded_at: Option<ChronoDateTimeUtc>,
    pub escalated_at: Option<ChronoDateTimeUtc>,
    /// Grows by one with every change: guards against concurrent transitions.
    pub version: i64,
    /// Why it was rejected or failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub rating: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub rating_comment: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub closed_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
