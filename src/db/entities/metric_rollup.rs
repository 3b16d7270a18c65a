//! The `metric_rollups` table: one row per device, metric, instance and minute.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "metric_rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: String,
    /// The interface or storage index; empty for whole-device metrics.
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance: String,
    /// The start of the minute.
    #[sea_orm(primary_key, auto_increment = false)]
    pub minute: ChronoDateTimeUtc,
    pub min_value: f64,
    pub max_value: f64,
    pub avg_value: f64,
    pub samples: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
