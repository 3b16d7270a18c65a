//! The `maintenance_windows` table: a device, data center or alarm rule silenced for a period.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "maintenance_windows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub reason: String,
    /// `device`, `data_center` or `rule`.
    pub scope_kind: String,
    pub scope_id: i64,
    /// The first occurrence.
    pub starts_at: ChronoDateTimeUtc,
    pub ends_at: ChronoDateTimeUtc,
    /// `none`, `daily` or `weekly`.
    pub recurrence: String,
    /// No occurrence starts after this; none: for ever.
    pub recurs_until: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
