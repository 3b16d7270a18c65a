//! The `alarm_rules` table: alarm rules as data (see `yunguan_actors::alarm::rule`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alarm_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub name: String,
    /// A `Metric` in snake case.
    pub metric: String,
    /// `above`, `below` or `equals`.
    pub comparison: String,
    pub threshold: f64,
    /// How long the condition must hold before the alarm is raised.
    pub for_secs: i64,
    pub severity: String,
    /// `all`, `device_kind` or `device`.
    pub scope_kind: String,
    pub scope_value: Option<String>,
    pub enabled: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
