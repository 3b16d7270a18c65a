//! The clouds as the wall shows them: what each platform runs, allocation against capacity,
//! and how busy its hypervisors are.

use std::collections::{BTreeMap, HashMap};

use sea_orm::DbErr;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::entities::{cloud_platform, cluster, host, vm};
use crate::monitoring::platform::HostLoads;
use crate::monitoring::Monitoring;

#[derive(Debug, Serialize, ToSchema)]
pub struct CloudScreen {
    pub platforms: Vec<PlatformScreen>,
    /// Every platform together.
    pub totals: CloudTotals,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformScreen {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub data_center_id: i64,
    pub clusters: u32,
    #[serde(flatten)]
    pub totals: CloudTotals,
    /// When it was last synced, in milliseconds since 1970, and why the last sync failed.
    pub last_sync_at_ms: Option<u64>,
    pub last_error: Option<String>,
    /// Its hypervisors' CPU as they reported it at the last sync (empty until then).
    pub load: HostLoads,
}

/// Hosts and VMs counted; allocation (`*_used`) against capacity (`*_total`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct CloudTotals {
    pub hosts: u32,
    /// Hosts in service (`state` up).
    pub hosts_up: u32,
    pub vms: u32,
    /// VMs by state (`active`, `shutoff`, `error`, ...).
    pub vm_states: BTreeMap<String, u32>,
    pub vcpu_total: i64,
    pub vcpu_used: i64,
    pub memory_mb_total: i64,
    pub memory_mb_used: i64,
    pub disk_gb_total: i64,
    pub disk_gb_used: i64,
}

impl CloudTotals {
    /// Sums saturate: rows entered before amounts had bounds (or synced from a platform that
    /// reports nonsense) may be anything.
    fn add_host(&mut self, host: &host::Model) {
        self.hosts += 1;
        self.hosts_up += u32::from(host.state == "up");
        self.vcpu_total = self.vcpu_total.saturating_add(host.vcpu_total);
        self.vcpu_used = self.vcpu_used.saturating_add(host.vcpu_used);
        self.memory_mb_total = self.memory_mb_total.saturating_add(host.memory_mb_total);
        self.memory_mb_used = self.memory_mb_used.saturating_add(host.memory_mb_used);
        self.disk_gb_total = self.disk_gb_total.saturating_add(host.disk_gb_total);
        self.disk_gb_used = self.disk_gb_used.saturating_add(host.disk_gb_used);
    }

    fn add_vm(&mut self, state: &str) {
        self.vms += 1;
        *self.vm_states.entry(state.to_owned()).or_default() += 1;
    }

    fn add(&mut self, other: &CloudTotals) {
        self.hosts += other.hosts;
        self.hosts_up += other.hosts_up;
        self.vms += other.vms;
        for (state, count) in &other.vm_states {
            *self.vm_states.entry(state.clone()).or_default() += count;
        }
        self.vcpu_total = self.vcpu_total.saturating_add(other.vcpu_total);
        self.vcpu_used = self.vcpu_used.saturating_add(other.vcpu_used);
        self.memory_mb_total = self.memory_mb_total.saturating_add(other.memory_mb_total);
        self.memory_mb_used = self.memory_mb_used.saturating_add(other.memory_mb_used);
        self.disk_gb_total = self.disk_gb_total.saturating_add(other.disk_gb_total);
        self.disk_gb_used = self.disk_gb_used.saturating_add(other.disk_gb_used);
    }
}

pub async fn cloud(db: &DatabaseConnection, monitoring: &Monitoring) -> Result<CloudScreen, DbErr> {
    let platforms = cloud_platform::Entity::find()
        .order_by_asc(cloud_platform::Column::Id)
        .all(db)
        .await?;
    let clusters = cluster::Entity::find().all(db).await?;
    let platform_of_cluster: HashMap<i64, i64> =
        clusters.iter().map(|c| (c.id, c.platform_id)).collect();
    let mut by_platform: HashMap<i64, CloudTotals> = HashMap::new();
    for host in host::Entity::find().all(db).await? {
        if let Some(platform_id) = platform_of_cluster.get(&host.cluster_id) {
            by_platform.entry(*platform_id).or_default().add_host(&host);
        }
    }
    // VMs may be many: only the two columns counted.
    let vms: Vec<(i64, String)> = vm::Entity::find()
        .select_only()
        .column(vm::Column::PlatformId)
        .column(vm::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    for (platform_id, state) in &vms {
        by_platform.entry(*platform_id).or_default().add_vm(state);
    }
    let mut totals = CloudTotals::default();
    let platforms = platforms
        .into_iter()
        .map(|platform| {
            let platform_totals = by_platform.remove(&platform.id).unwrap_or_default();
            totals.add(&platform_totals);
            let summary_opt = monitoring.platform_summary(platform.id);
            PlatformScreen {
                clusters: clusters
                    .iter()
                    .filter(|c| c.platform_id == platform.id)
                    .count() as u32,
                totals: platform_totals,
                last_sync_at_ms: summary_opt.as_ref().and_then(|s| s.last_sync_at_ms),
                last_error: summary_opt.as_ref().and_then(|s| s.last_error.clone()),
                load: summary_opt.map(|s| s.load).unwrap_or_default(),
                id: platform.id,
                name: platform.name,
                kind: platform.kind,
                data_center_id: platform.data_center_id,
            }
        })
        .collect();
    Ok(CloudScreen { platforms, totals })
}
