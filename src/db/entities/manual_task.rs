//! The `manual_tasks` table: fulfilment work a person does (a firewall change, a desk visit).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "manual_tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub title: String,
    /// `bureau_operator` or `supplier`: who may complete it.
    pub assignee_role: String,
    /// Reserved for assigning to one person; tasks go to the whole role today.
    pub assignee_id: Option<i64>,
    /// `open` or `done`.
    pub state: String,
    pub due_at: ChronoDateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub completed_by: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub completed_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
