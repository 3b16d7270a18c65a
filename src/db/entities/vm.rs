//! The `vms` table: a virtual machine of a platform, owned by a tenant's business system when
//! a ticket made it (or an operator says so).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub platform_id: i64,
    pub host_id: Option<i64>,
    /// The platform's id for it: what sync matches on.
    pub external_id: String,
    pub name: String,
    /// The tenant that owns it; tenant users see only their own.
    pub tenant_id: Option<i64>,
    /// Empty when unknown.
    pub business_system: String,
    pub vcpu: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub state: String,
    /// IPv4 addresses as a JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub addresses: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
