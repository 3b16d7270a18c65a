//! The `notification_channels` table: where alarms and approval notices are posted besides
//! mail (a webhook, a DingTalk or WeCom group robot), and which of them. Read and written by
//! `notify::channels`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// `webhook`, `dingtalk` or `wecom`.
    pub kind: String,
    /// The address without its query (a robot's token is in the query): what is shown.
    pub endpoint: String,
    /// The address and signing secret, sealed together (`secrets`, purpose
    /// `notification_channel.target`).
    #[sea_orm(column_type = "Text")]
    pub target_sealed: String,
    /// A tenant's channel: approval notices of its tickets only. None: the bureau's.
    pub tenant_id: Option<i64>,
    pub alarms: bool,
    /// The least severity of alarm posted.
    pub min_severity: String,
    /// A JSON array of alarm rule ids; None: every rule.
    #[sea_orm(column_type = "Text", nullable)]
    pub rule_ids: Option<String>,
    /// A JSON array of data center ids; None: every data center.
    #[sea_orm(column_type = "Text", nullable)]
    pub data_center_ids: Option<String>,
    /// A JSON array of device kinds; None: every kind.
    #[sea_orm(column_type = "Text", nullable)]
    pub device_kinds: Option<String>,
    pub approvals: bool,
    /// Only approval notices to approvers of this role; None: any role.
    pub approver_role: Option<String>,
    pub locale: String,
    pub enabled: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
