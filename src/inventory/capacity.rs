//! What placement reads from the CMDB: the hosts of the clusters in resource pools, as
//! `yunguan_actors::placement::HostCandidate`s, with their pool's overcommit, what is
//! allocated on them and the tenants running VMs there.
//!
//! A host's allocation is the larger of the platform's own figure (which sees VMs the CMDB
//! does not) and what the CMDB knows is there: its synced VMs plus the placements fulfilment
//! made that no synced VM stands for yet (a VM being built, or one on a cloud that is not
//! synced). A placement whose cloud id a synced VM carries is that VM, counted once.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::sea_query::{Alias, Expr, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use yunguan_actors::placement::{HostCandidate, Overcommit};

use crate::db::entities::{cloud_platform, cluster, host, resource_pool, vm, vm_placement};

/// Which hosts to read.
#[derive(Debug, Clone, Copy)]
pub enum Within<'a> {
    Everywhere,
    /// The hosts of this data center's platforms.
    DataCenter(i64),
    /// The hosts of these pools' clusters (as the caller read them, perhaps locked).
    Pools(&'a [resource_pool::Model]),
}

/// What one host holds, as far as the CMDB knows.
#[derive(Default)]
struct Held {
    vcpu: u64,
    memory_mb: u64,
    disk_gb: u64,
    tenant_ids: BTreeSet<i64>,
}

impl Held {
    fn add(&mut self, vcpu: i64, memory_mb: i64, disk_gb: i64) {
        self.vcpu = self.vcpu.saturating_add(non_negative(vcpu));
        self.memory_mb = self.memory_mb.saturating_add(non_negative(memory_mb));
        self.disk_gb = self.disk_gb.saturating_add(non_negative(disk_gb));
    }
}

fn non_negative(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// What the candidates hang from: the platforms in scope (with their data centers), the
/// pools, and the clusters of those platforms that are in a pool.
struct Layout {
    platforms: BTreeMap<i64, i64>,
    pools: BTreeMap<i64, resource_pool::Model>,
    clusters: BTreeMap<i64, cluster::Model>,
}

async fn layout(db: &impl ConnectionTrait, within: Within<'_>) -> Result<Layout, DbErr> {
    let mut platforms_query = cloud_platform::Entity::find();
    if let Within::DataCenter(data_center_id) = within {
        platforms_query =
            platforms_query.filter(cloud_platform::Column::DataCenterId.eq(data_center_id));
    }
    let platforms: BTreeMap<i64, i64> = platforms_query
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.data_center_id))
        .collect();
    let mut clusters_query = cluster::Entity::find()
        .filter(cluster::Column::PlatformId.is_in(platforms.keys().copied()))
        .filter(cluster::Column::PoolId.is_not_null());
    let pools = match within {
        Within::Pools(pools) => {
            clusters_query =
                clusters_query.filter(cluster::Column::PoolId.is_in(pools.iter().map(|p| p.id)));
            pools.to_vec()
        }
        _ => resource_pool::Entity::find().all(db).await?,
    };
    let clusters = clusters_query.all(db).await?;
    Ok(Layout {
        platforms,
        pools: pools.into_iter().map(|pool| (pool.id, pool)).collect(),
        clusters: clusters
            .into_iter()
            .map(|cluster| (cluster.id, cluster))
            .collect(),
    })
}

/// The hosts placement may consider: every host of a cluster in a resource pool (a cluster
/// outside any pool is not scheduled onto). A host is schedulable when it is up and not
/// cordoned. Ordered by host id.
pub async fn placement_candidates(
    db: &impl ConnectionTrait,
    within: Within<'_>,
) -> Result<Vec<HostCandidate>, DbErr> {
    Ok(candidates_with_pool_names(db, within).await?.0)
}

/// [`placement_candidates`], with the names of the pools in scope by id (for showing their
/// usage), read in the same go.
pub async fn candidates_with_pool_names(
    db: &impl ConnectionTrait,
    within: Within<'_>,
) -> Result<(Vec<HostCandidate>, BTreeMap<i64, String>), DbErr> {
    let layout = layout(db, within).await?;
    let hosts = host::Entity::find()
        .filter(host::Column::ClusterId.is_in(layout.clusters.keys().copied()))
        .order_by_asc(host::Column::Id)
        .all(db)
        .await?;
    let held = held_on(db, hosts.iter().map(|found| found.id)).await?;
    let candidates = hosts
        .into_iter()
        .filter_map(|found| {
            let on_host = held.get(&found.id);
            candidate(&layout, found, on_host)
        })
        .collect();
    let names = layout
        .pools
        .into_values()
        .map(|pool| (pool.id, pool.name))
        .collect();
    Ok((candidates, names))
}

/// A host as a candidate, if its cluster, platform and pool are in the layout and the pool's
/// ratios are valid.
fn candidate(layout: &Layout, found: host::Model, on_host: Option<&Held>) -> Option<HostCandidate> {
    let cluster = layout.clusters.get(&found.cluster_id)?;
    let data_center_id = *layout.platforms.get(&cluster.platform_id)?;
    let pool = layout.pools.get(&cluster.pool_id?)?;
    let Ok(pool_overcommit) = Overcommit::new(
        pool.cpu_overcommit,
        pool.memory_overcommit,
        pool.disk_overcommit,
    ) else {
        tracing::warn!(
            pool_id = pool.id,
            "pool overcommit invalid; its hosts are not candidates"
        );
        return None;
    };
    let known = |amount: fn(&Held) -> u64| on_host.map_or(0, amount);
    Some(HostCandidate {
        host_id: found.id,
        cluster_id: cluster.id,
        pool_id: pool.id,
        data_center_id,
        vcpu_total: u32::try_from(found.vcpu_total.max(0)).unwrap_or(u32::MAX),
        memory_mb_total: non_negative(found.memory_mb_total),
        disk_gb_total: non_negative(found.disk_gb_total),
        vcpu_allocated: non_negative(found.vcpu_used).max(known(|held| held.vcpu)),
        memory_mb_allocated: non_negative(found.memory_mb_used).max(known(|held| held.memory_mb)),
        disk_gb_allocated: non_negative(found.disk_gb_used).max(known(|held| held.disk_gb)),
        tenant_ids_present: on_host
            .map(|held| held.tenant_ids.clone())
            .unwrap_or_default(),
        schedulable: found.schedulable && found.state == "up",
        pool_overcommit,
    })
}

/// Per host and tenant (none for a VM no tenant owns): vCPU, memory (MB) and disk (GB)
/// summed.
type Sums = Vec<(i64, Option<i64>, i64, i64, i64)>;

/// What the synced VMs and the placements not yet synced hold on each of the hosts, summed
/// by the database (a busy cloud has tens of thousands of them).
async fn held_on(
    db: &impl ConnectionTrait,
    host_ids: impl Iterator<Item = i64> + Clone,
) -> Result<BTreeMap<i64, Held>, DbErr> {
    let by_vms = held_by_vms(db, host_ids.clone()).await?;
    let by_placements = held_by_placements(db, host_ids).await?;
    let mut held: BTreeMap<i64, Held> = BTreeMap::new();
    for (host_id, tenant_id_opt, vcpu, memory_mb, disk_gb) in
        by_vms.into_iter().chain(by_placements)
    {
        let on_host = held.entry(host_id).or_default();
        on_host.add(vcpu, memory_mb, disk_gb);
        on_host.tenant_ids.extend(tenant_id_opt);
    }
    Ok(held)
}

/// `SUM(column)` as a 64-bit integer on every backend (PostgreSQL sums bigints as numeric).
fn total(column: impl Into<SimpleExpr>) -> SimpleExpr {
    SimpleExpr::from(Func::sum(column.into())).cast_as(Alias::new("bigint"))
}

async fn held_by_vms(
    db: &impl ConnectionTrait,
    host_ids: impl Iterator<Item = i64>,
) -> Result<Sums, DbErr> {
    vm::Entity::find()
        .select_only()
        .column(vm::Column::HostId)
        .column(vm::Column::TenantId)
        .column_as(total(Expr::col(vm::Column::Vcpu)), "vcpu")
        .column_as(total(Expr::col(vm::Column::MemoryMb)), "memory_mb")
        .column_as(total(Expr::col(vm::Column::DiskGb)), "disk_gb")
        .filter(vm::Column::HostId.is_in(host_ids))
        .group_by(vm::Column::HostId)
        .group_by(vm::Column::TenantId)
        .into_tuple()
        .all(db)
        .await
}

async fn held_by_placements(
    db: &impl ConnectionTrait,
    host_ids: impl Iterator<Item = i64>,
) -> Result<Sums, DbErr> {
    // A placement whose VM a sync reported (anywhere: the platform may have moved it) is
    // counted where the platform says it runs, as that VM; its tenant still counts here.
    let synced = Expr::exists(
        Query::select()
            .expr(Expr::value(1))
            .from(vm::Entity)
            .and_where(
                Expr::col((vm::Entity, vm::Column::ExternalId))
                    .equals((vm_placement::Entity, vm_placement::Column::CloudId)),
            )
            .take(),
    );
    let unsynced = |column: vm_placement::Column| {
        total(Expr::case(synced.clone(), 0).finally(Expr::col((vm_placement::Entity, column))))
    };
    vm_placement::Entity::find()
        .select_only()
        .column(vm_placement::Column::HostId)
        .column(vm_placement::Column::TenantId)
        .column_as(unsynced(vm_placement::Column::Vcpu), "vcpu")
        .column_as(unsynced(vm_placement::Column::MemoryMb), "memory_mb")
        .column_as(unsynced(vm_placement::Column::DiskGb), "disk_gb")
        .filter(vm_placement::Column::HostId.is_in(host_ids))
        .group_by(vm_placement::Column::HostId)
        .group_by(vm_placement::Column::TenantId)
        .into_tuple()
        .all(db)
        .await
}
