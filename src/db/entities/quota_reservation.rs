//! The `quota_reservations` table: what one approved ticket holds of its tenant's quota.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quota_reservations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_id: i64,
    pub tenant_id: i64,
    pub vcpu: i64,
    pub memory_gb: i64,
    pub storage_gb: i64,
    pub hosts: i64,
    pub public_ips: i64,
    /// `reserved`, `consumed` (its resources exist) or `released`.
    pub state: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
