//! The `alarm_mail_routes` table: which alarms a person of the bureau is mailed, when they
//! chose otherwise than their role's default. Read and written by `notify::alarm_mail`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alarm_mail_routes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The least severity of raised alarm mailed; none: no raised alarm.
    pub raised_min_severity: Option<String>,
    /// Escalations (alarms nobody acknowledged in time) are mailed.
    pub escalations: bool,
    /// A JSON array of data center ids; none: every data center.
    #[sea_orm(column_type = "Text", nullable)]
    pub data_center_ids: Option<String>,
    /// A JSON array of device kinds; none: every kind.
    #[sea_orm(column_type = "Text", nullable)]
    pub device_kinds: Option<String>,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
