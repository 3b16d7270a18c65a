//! Where a ticket's VMs go, decided before any is created.
//!
//! Owns: the compute pools open to a tenant (its dedicated pools first, then the shared ones,
//! each in id order), placing a request for several VMs as a whole in the first of them that
//! holds all of it (the pool's policy and overcommit decide, through
//! `yunguan_actors::placement`), and the ledger of placements (`vm_placements`): written in
//! the transaction that starts fulfilment, completed with the VM's cloud id and record, kept
//! current by a resize, removed when the VM is retired or its fulfilment failed.
//!
//! Concurrent placements into the same pools take turns: the pools' rows are locked
//! (`FOR UPDATE`) on PostgreSQL, and SQLite's write transactions hold its one write lock from
//! their start, so the capacity one placement counts is never taken by another meanwhile.
//!
//! Leaves to others: reading hosts and what they hold (`inventory::capacity`), the policies
//! themselves (`yunguan_actors::placement`), and telling the provider (`fulfilment`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationDef, Set,
};
use yunguan_actors::placement::{
    place_many, HostCandidate, HostResources, PlaceManyError, Placement, PlacementError, VmRequest,
};

use crate::db::entities::{host, resource_pool, vm_placement};
use crate::fulfilment::provider::HostSize;
use crate::inventory::capacity::{placement_candidates, Within};
use crate::inventory::pools::placement_policy;

/// VMs one ticket asks for, all of one size.
#[derive(Debug, Clone, Copy)]
pub struct Ask {
    pub ticket_id: i64,
    pub tenant_id: i64,
    pub size: HostSize,
    pub count: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// Nothing open to the tenant holds the request; the reason names what does not fit.
    #[error("{0}")]
    NoRoom(String),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Where one of a ticket's VMs was placed, as the provider is told.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Placed {
    pub host_index: i32,
    pub data_center_id: i64,
    pub pool_id: i64,
    pub cluster_id: i64,
    pub host_id: i64,
    /// The host as its platform names it (the hypervisor's hostname).
    pub host: String,
}

/// Places every VM of the ask and writes the placements, or answers why it cannot.
pub async fn place(
    txn: &impl ConnectionTrait,
    ask: Ask,
    now: DateTime<Utc>,
) -> Result<(), PlaceError> {
    // A request for no VM (a form whose bounds allow it) has nothing to place.
    if ask.count == 0 {
        return Ok(());
    }
    let pools = open_pools(txn, ask.tenant_id).await?;
    if pools.is_empty() {
        return Err(PlaceError::NoRoom(
            "no compute resource pool is open to the tenant".to_owned(),
        ));
    }
    let candidates = placement_candidates(txn, Within::Pools(&pools)).await?;
    let requests = vec![vm_request(&ask); ask.count];
    let mut refusals = Vec::with_capacity(pools.len());
    for pool in &pools {
        let in_pool: Vec<HostCandidate> = candidates
            .iter()
            .filter(|candidate| candidate.pool_id == pool.id)
            .cloned()
            .collect();
        match place_many(
            &requests,
            &in_pool,
            placement_policy(&pool.placement_policy),
        ) {
            Ok(placements) => {
                let rows = ledger_rows(&ask, &placements, now);
                vm_placement::Entity::insert_many(rows).exec(txn).await?;
                return Ok(());
            }
            Err(refused) => refusals.push(format!(
                "pool {} ({}): {}",
                pool.name,
                pool.placement_policy,
                refusal(&ask, &refused)
            )),
        }
    }
    Err(PlaceError::NoRoom(format!(
        "no room for {} VM(s) of {} vCPU, {} GB memory, {} GB disk: {}",
        ask.count,
        ask.size.vcpu,
        ask.size.memory_gb,
        ask.size.disk_gb,
        refusals.join("; ")
    )))
}

/// The ledger's rows of the ask's placements, in the order of the ticket's VMs.
fn ledger_rows<'a>(
    ask: &'a Ask,
    placements: &'a [Placement],
    now: DateTime<Utc>,
) -> impl Iterator<Item = vm_placement::ActiveModel> + 'a {
    (0..)
        .zip(placements)
        .map(move |(index, placement)| vm_placement::ActiveModel {
            ticket_id: Set(ask.ticket_id),
            host_index: Set(index),
            tenant_id: Set(ask.tenant_id),
            data_center_id: Set(placement.data_center_id),
            pool_id: Set(placement.pool_id),
            cluster_id: Set(placement.cluster_id),
            host_id: Set(placement.host_id),
            vcpu: Set(ask.size.vcpu),
            memory_mb: Set(ask.size.memory_gb * 1024),
            disk_gb: Set(ask.size.disk_gb),
            cloud_id: Set(None),
            record_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
}

/// The compute pools the tenant may use, locked until the transaction ends: its dedicated
/// pools first, then the shared ones.
async fn open_pools(
    txn: &impl ConnectionTrait,
    tenant_id: i64,
) -> Result<Vec<resource_pool::Model>, DbErr> {
    let mut pools = resource_pool::Entity::find()
        .filter(resource_pool::Column::Kind.eq("compute"))
        .filter(
            Condition::any()
                .add(resource_pool::Column::TenantId.is_null())
                .add(resource_pool::Column::TenantId.eq(tenant_id)),
        )
        .order_by_asc(resource_pool::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?;
    pools.sort_by_key(|pool| pool.tenant_id.is_none());
    Ok(pools)
}

fn vm_request(ask: &Ask) -> VmRequest {
    let non_negative = |value: i64| u64::try_from(value).unwrap_or(0);
    VmRequest {
        vcpu: u32::try_from(ask.size.vcpu.max(0)).unwrap_or(u32::MAX),
        memory_mb: non_negative(ask.size.memory_gb).saturating_mul(1024),
        disk_gb: non_negative(ask.size.disk_gb),
        tenant_id: ask.tenant_id,
        data_center_opt: None,
    }
}

/// Why one pool refused, naming the VM and the resources that do not fit.
fn refusal(ask: &Ask, refused: &PlaceManyError) -> String {
    let which = format!("VM {} of {}", refused.request_index + 1, ask.count);
    match &refused.error {
        PlacementError::NoCandidates => "no schedulable host".to_owned(),
        PlacementError::DataCenterUnavailable { data_center_id } => {
            format!("no schedulable host in data center {data_center_id}")
        }
        PlacementError::ConflictingDataCenters { .. } => {
            "the request and the pool name different data centers".to_owned()
        }
        PlacementError::AntiAffinityUnsatisfiable { hosts_with_room } => format!(
            "{which}: each of the {hosts_with_room} host(s) with room already runs one of the \
             tenant's VMs"
        ),
        PlacementError::NoCapacity { largest_free } => {
            format!("{which} does not fit: {}", short_of(ask, largest_free))
        }
    }
}

/// The resources no host has enough of, or that no single host has all of them.
fn short_of(ask: &Ask, largest_free: &HostResources) -> String {
    let wanted = vm_request(ask);
    let mut short = Vec::new();
    if u64::from(wanted.vcpu) > largest_free.vcpu {
        short.push(format!(
            "vCPU (asked {}, at most {} free on a host)",
            wanted.vcpu, largest_free.vcpu
        ));
    }
    if wanted.memory_mb > largest_free.memory_mb {
        short.push(format!(
            "memory (asked {} MB, at most {} MB free on a host)",
            wanted.memory_mb, largest_free.memory_mb
        ));
    }
    if wanted.disk_gb > largest_free.disk_gb {
        short.push(format!(
            "disk (asked {} GB, at most {} GB free on a host)",
            wanted.disk_gb, largest_free.disk_gb
        ));
    }
    if short.is_empty() {
        "no single host has room for all of its vCPU, memory and disk at once".to_owned()
    } else {
        short.join(", ")
    }
}

/// Where the ticket's VMs were placed, in their order (a placement whose host left the
/// inventory is not among them).
pub async fn of_ticket(db: &impl ConnectionTrait, ticket_id: i64) -> Result<Vec<Placed>, DbErr> {
    let on_host: RelationDef = vm_placement::Entity::belongs_to(host::Entity)
        .from(vm_placement::Column::HostId)
        .to(host::Column::Id)
        .into();
    vm_placement::Entity::find()
        .select_only()
        .columns([
            vm_placement::Column::HostIndex,
            vm_placement::Column::DataCenterId,
            vm_placement::Column::PoolId,
            vm_placement::Column::ClusterId,
            vm_placement::Column::HostId,
        ])
        .column_as(host::Column::ExternalId, "host")
        .join(JoinType::InnerJoin, on_host)
        .filter(vm_placement::Column::TicketId.eq(ticket_id))
        .order_by_asc(vm_placement::Column::HostIndex)
        .into_model::<Placed>()
        .all(db)
        .await
}

/// The VM is made: its placement learns its cloud id and inventory record.
pub async fn made(
    txn: &impl ConnectionTrait,
    ticket_id: i64,
    host_index: i32,
    cloud_id: &str,
    record_id: i64,
) -> Result<(), DbErr> {
    vm_placement::Entity::update_many()
        .col_expr(vm_placement::Column::CloudId, cloud_id.into())
        .col_expr(vm_placement::Column::RecordId, record_id.into())
        .filter(vm_placement::Column::TicketId.eq(ticket_id))
        .filter(vm_placement::Column::HostIndex.eq(host_index))
        .exec(txn)
        .await?;
    Ok(())
}

/// The VM of `record_id` now has this size.
pub async fn resized(
    txn: &impl ConnectionTrait,
    record_id: i64,
    size: HostSize,
) -> Result<(), DbErr> {
    vm_placement::Entity::update_many()
        .col_expr(vm_placement::Column::Vcpu, size.vcpu.into())
        .col_expr(
            vm_placement::Column::MemoryMb,
            (size.memory_gb * 1024).into(),
        )
        .col_expr(vm_placement::Column::DiskGb, size.disk_gb.into())
        .filter(vm_placement::Column::RecordId.eq(record_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The VM of `record_id` is gone: its host has the room back.
pub async fn retired(txn: &impl ConnectionTrait, record_id: i64) -> Result<(), DbErr> {
    vm_placement::Entity::delete_many()
        .filter(vm_placement::Column::RecordId.eq(record_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The ticket's fulfilment failed (and removed what it made): its placements are given up.
pub async fn released(txn: &impl ConnectionTrait, ticket_id: i64) -> Result<(), DbErr> {
    vm_placement::Entity::delete_many()
        .filter(vm_placement::Column::TicketId.eq(ticket_id))
        .exec(txn)
        .await?;
    Ok(())
}
