//! The `alarms` table: every alarm occurrence, from raised to cleared.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alarms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub rule_id: i64,
    pub rule_name: String,
    pub device_id: i64,
    /// The device's name when raised, for lists that outlive the device.
    pub device_name: String,
    pub data_center_id: i64,
    /// The interface or storage index, for per-instance alarms.
    pub instance: Option<String>,
    /// Which coming of this rule, device and instance: operator commands name it.
    pub occurrence: i64,
    /// `info`, `minor`, `major` or `critical`.
    pub severity: String,
    /// `raised`, `acknowledged` or `cleared`.
    pub state: String,
    /// Changing too often to be announced each time.
    pub flapping: bool,
    /// The upstream device whose failure cut this device off: a symptom, not a root cause.
    pub caused_by_device_id: Option<i64>,
    pub value: f64,
    pub raised_at: ChronoDateTimeUtc,
    pub acknowledged_at: Option<ChronoDateTimeUtc>,
    pub acknowledged_by: Option<i64>,
    pub cleared_at: Option<ChronoDateTimeUtc>,
    pub cleared_by: Option<i64>,
    /// `condition_ended`, `operator`, `device_removed`, `rule_removed`, `rule_changed` or
    /// `restart` (see `AlarmView`).
    pub clear_reason: Option<String>,
    pub updated_at: ChronoDateTimeUtc,
    /// When the managers were told nobody acknowledged it in time (once per occurrence).
    pub escalated_at: Option<ChronoDateTimeUtc>,
    /// The maintenance window it was raised in: recorded, told to nobody meanwhile.
    pub suppressed_by_window_id: Option<i64>,
    /// When that window's occurrence ends; set back to null once the alarm, still active
    /// then, has been told.
    pub suppressed_until: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
