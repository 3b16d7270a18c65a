//! The `resource_pools` table: a compute, network or storage pool and its overcommit ratios.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "resource_pools")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    /// `compute`, `network` or `storage`.
    pub kind: String,
    /// Empty for a pool that spans data centers.
    pub data_center_id: Option<i64>,
    /// A host of this pool holds `total * ratio` of each resource.
    pub cpu_overcommit: f64,
    pub memory_overcommit: f64,
    pub disk_overcommit: f64,
    /// How its hosts take new VMs: `spread`, `pack`, `tenant_affinity` or
    /// `tenant_anti_affinity`.
    pub placement_policy: String,
    /// The tenant a dedicated pool serves; empty for a pool every tenant shares.
    pub tenant_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
