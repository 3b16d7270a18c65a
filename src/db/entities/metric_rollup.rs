//! The `metric_rollups` table: one row per device and minute, holding every series of that
//! device's minute (see `monitoring::rollups`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "metric_rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: i64,
    /// The start of the minute.
    #[sea_orm(primary_key, auto_increment = false)]
    pub minute: ChronoDateTimeUtc,
    /// JSON: `[[metric, instance, min, max, avg, samples], ...]`.
    #[sea_orm(column_type = "Text")]
    pub series: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
