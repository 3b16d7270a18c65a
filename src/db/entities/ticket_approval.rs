//! The `ticket_approvals` table: one approver's slot on one level of one round.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_approvals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub round: i32,
    pub level_index: i32,
    pub approver_id: i64,
    /// One of `Decision`'s names.
    pub decision: String,
    /// Who decided: the approver, or a delegate acting for them.
    pub decided_by: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub opened_at: ChronoDateTimeUtc,
    pub decided_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
