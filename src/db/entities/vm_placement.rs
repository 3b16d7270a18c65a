//! The `vm_placements` table: where fulfilment put each VM of a ticket, and what it holds
//! there, from the start of fulfilment until the VM is retired.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vm_placements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    /// Which of the ticket's VMs (from 0), as in its request key `ticket-{id}/host-{index}`.
    pub host_index: i32,
    pub tenant_id: i64,
    pub data_center_id: i64,
    pub pool_id: i64,
    pub cluster_id: i64,
    pub host_id: i64,
    pub vcpu: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    /// The provider's id once the VM is made: a synced VM with it is the same VM, counted once.
    pub cloud_id: Option<String>,
    /// The inventory record of the VM once it is made.
    pub record_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
