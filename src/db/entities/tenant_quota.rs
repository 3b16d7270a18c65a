//! The `tenant_quotas` table: a tenant's limits and what it holds (reserved plus in use).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_quotas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    pub vcpu_limit: i64,
    pub memory_gb_limit: i64,
    pub storage_gb_limit: i64,
    pub hosts_limit: i64,
    pub public_ips_limit: i64,
    pub vcpu_held: i64,
    pub memory_gb_held: i64,
    pub storage_gb_held: i64,
    pub hosts_held: i64,
    pub public_ips_held: i64,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
