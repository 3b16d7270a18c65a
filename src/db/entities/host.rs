//! The `hosts` table: a hypervisor of a cluster, its capacity and what is used of it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hosts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    /// The platform's name for it (the hypervisor hostname): what sync matches on.
    pub external_id: String,
    pub name: String,
    pub vcpu_total: i64,
    pub memory_mb_total: i64,
    pub disk_gb_total: i64,
    pub vcpu_used: i64,
    pub memory_mb_used: i64,
    pub disk_gb_used: i64,
    /// `up`, `down` or `missing` (no longer reported by its platform).
    pub state: String,
    /// Whether placement may put new VMs on it.
    pub schedulable: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
