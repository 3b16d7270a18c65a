//! Cloud sync ingestion. [`apply_cloud_changes`] writes what a platform reported
//! (`crate::cloud::CloudChanges`) into hosts and VMs in one transaction, with a system change
//! in the history for each object that changed.
//!
//! Usage figures (a host's used vCPU, memory, disk) move with every sync and are updated
//! without a history entry; a host's capacity, state or schedulability changing is recorded.
//! A full sync is authoritative: VMs it does not report are removed, hosts it does not
//! report become `missing` and unschedulable.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    ModelTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

use super::clouds::{host_view, vm_view};
use super::crud::InventoryError;
use super::history::{self, Change, ChangeAction, ChangeActor};
use crate::cloud::{CloudChanges, Hypervisor, Server, ServerStatus};
use crate::db::entities::{cloud_platform, cluster, host, ticket, vm};

/// Who cloud sync is in the history.
pub const CLOUD_SYNC: ChangeActor = ChangeActor::System {
    component: "cloud-sync",
};

/// What one sync changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncSummary {
    pub hosts_created: u64,
    pub hosts_updated: u64,
    /// Hosts a full sync no longer reported, now `missing`.
    pub hosts_missing: u64,
    pub vms_created: u64,
    pub vms_updated: u64,
    pub vms_deleted: u64,
}

/// The state a VM is stored with.
pub fn vm_state(status: &ServerStatus) -> String {
    match status {
        ServerStatus::Building => "building".to_owned(),
        ServerStatus::Active => "active".to_owned(),
        ServerStatus::Resizing => "resizing".to_owned(),
        ServerStatus::AwaitingResizeConfirmation => "verify_resize".to_owned(),
        ServerStatus::ShutOff => "shutoff".to_owned(),
        ServerStatus::Error => "error".to_owned(),
        ServerStatus::Deleted => "deleted".to_owned(),
        ServerStatus::Other(name) => name.to_lowercase(),
    }
}

/// The ticket a fulfilment request key names: `ticket-{id}/host-{n}`.
pub fn ticket_of_request_key(request_key: &str) -> Option<i64> {
    let (ticket, host) = request_key.split_once('/')?;
    let ticket_id = ticket.strip_prefix("ticket-")?.parse::<i64>().ok()?;
    host.strip_prefix("host-")?.parse::<u32>().ok()?;
    Some(ticket_id)
}

fn snapshot<V: serde::Serialize>(view: &V) -> Result<Value, InventoryError> {
    serde_json::to_value(view).map_err(|error| InventoryError::Internal(error.into()))
}

async fn record(
    txn: &impl ConnectionTrait,
    object_kind: &str,
    object_id: i64,
    action: ChangeAction,
    before_opt: Option<Value>,
    after_opt: Option<Value>,
) -> Result<(), DbErr> {
    history::record(
        txn,
        &CLOUD_SYNC,
        Change {
            object_kind,
            object_id,
            action,
            before_opt,
            after_opt,
        },
        chrono::Utc::now(),
    )
    .await
}

/// Writes a platform's changes into its hosts and VMs, in one transaction. A platform
/// without clusters gets one named after it, which new hosts join.
pub async fn apply_cloud_changes(
    db: &DatabaseConnection,
    platform_id: i64,
    changes: &CloudChanges,
) -> Result<SyncSummary, InventoryError> {
    let txn = crate::db::begin(db).await?;
    let platform = cloud_platform::Entity::find_by_id(platform_id)
        .one(&txn)
        .await?
        .ok_or(InventoryError::NotFound("cloud platform"))?;
    let mut summary = SyncSummary::default();
    let clusters = cluster::Entity::find()
        .filter(cluster::Column::PlatformId.eq(platform_id))
        .order_by_asc(cluster::Column::Id)
        .all(&txn)
        .await?;
    let default_cluster_id = match clusters.first() {
        Some(first) => first.id,
        None => {
            let created = cluster::ActiveModel {
                platform_id: Set(platform_id),
                name: Set(platform.name.clone()),
                pool_id: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let after = serde_json::json!({
                "id": created.id, "platform_id": created.platform_id,
                "name": created.name, "pool_id": created.pool_id,
            });
            record(
                &txn,
                "cluster",
                created.id,
                ChangeAction::Create,
                None,
                Some(after),
            )
            .await?;
            created.id
        }
    };
    let cluster_ids: Vec<i64> = clusters
        .iter()
        .map(|found| found.id)
        .chain([default_cluster_id])
        .collect();

    let (hypervisors, servers, deleted_ids, full): (&[Hypervisor], Vec<&Server>, &[String], bool) =
        match changes {
            CloudChanges::Full(inventory) => (
                &inventory.hypervisors,
                inventory.servers.iter().collect(),
                &[],
                true,
            ),
            CloudChanges::Incremental(incremental) => (
                &incremental.hypervisors,
                incremental.changed.iter().collect(),
                &incremental.deleted_cloud_ids,
                false,
            ),
        };

    // Hosts, by hypervisor hostname.
    let mut hosts: BTreeMap<String, host::Model> = host::Entity::find()
        .filter(host::Column::ClusterId.is_in(cluster_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|found| (found.external_id.clone(), found))
        .collect();
    let mut reported = BTreeSet::new();
    for hypervisor in hypervisors {
        reported.insert(hypervisor.hostname.clone());
        let state = if hypervisor.up { "up" } else { "down" };
        let schedulable = hypervisor.up && hypervisor.enabled;
        match hosts.get(&hypervisor.hostname) {
            Some(found) => {
                let before = snapshot(&host_view(found))?;
                let mut active: host::ActiveModel = found.clone().into();
                active.vcpu_total.set_if_not_equals(hypervisor.vcpus);
                active
                    .memory_mb_total
                    .set_if_not_equals(hypervisor.memory_mb);
                active.disk_gb_total.set_if_not_equals(hypervisor.local_gb);
                active.vcpu_used.set_if_not_equals(hypervisor.vcpus_used);
                active
                    .memory_mb_used
                    .set_if_not_equals(hypervisor.memory_mb_used);
                active
                    .disk_gb_used
                    .set_if_not_equals(hypervisor.local_gb_used);
                active.state.set_if_not_equals(state.to_owned());
                active.schedulable.set_if_not_equals(schedulable);
                if !active.is_changed() {
                    continue;
                }
                let updated = active.update(&txn).await?;
                let configuration_changed = updated.vcpu_total != found.vcpu_total
                    || updated.memory_mb_total != found.memory_mb_total
                    || updated.disk_gb_total != found.disk_gb_total
                    || updated.state != found.state
                    || updated.schedulable != found.schedulable;
                if configuration_changed {
                    let after = snapshot(&host_view(&updated))?;
                    record(
                        &txn,
                        "host",
                        updated.id,
                        ChangeAction::Update,
                        Some(before),
                        Some(after),
                    )
                    .await?;
                    summary.hosts_updated += 1;
                }
                hosts.insert(updated.external_id.clone(), updated);
            }
            None => {
                let created = host::ActiveModel {
                    cluster_id: Set(default_cluster_id),
                    external_id: Set(hypervisor.hostname.clone()),
                    name: Set(hypervisor.hostname.clone()),
                    vcpu_total: Set(hypervisor.vcpus),
                    memory_mb_total: Set(hypervisor.memory_mb),
                    disk_gb_total: Set(hypervisor.local_gb),
                    vcpu_used: Set(hypervisor.vcpus_used),
                    memory_mb_used: Set(hypervisor.memory_mb_used),
                    disk_gb_used: Set(hypervisor.local_gb_used),
                    state: Set(state.to_owned()),
                    schedulable: Set(schedulable),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                let after = snapshot(&host_view(&created))?;
                record(
                    &txn,
                    "host",
                    created.id,
                    ChangeAction::Create,
                    None,
                    Some(after),
                )
                .await?;
                summary.hosts_created += 1;
                hosts.insert(created.external_id.clone(), created);
            }
        }
    }
    if full {
        for found in hosts.values() {
            if reported.contains(&found.external_id) || found.state == "missing" {
                continue;
            }
            let before = snapshot(&host_view(found))?;
            let mut active: host::ActiveModel = found.clone().into();
            active.state = Set("missing".to_owned());
            active.schedulable = Set(false);
            let updated = active.update(&txn).await?;
            let after = snapshot(&host_view(&updated))?;
            record(
                &txn,
                "host",
                updated.id,
                ChangeAction::Update,
                Some(before),
                Some(after),
            )
            .await?;
            summary.hosts_missing += 1;
        }
    }

    // VMs, by cloud id.
    let mut vms: BTreeMap<String, vm::Model> = vm::Entity::find()
        .filter(vm::Column::PlatformId.eq(platform_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|found| (found.external_id.clone(), found))
        .collect();
    let mut to_delete: Vec<String> = deleted_ids.to_vec();
    let mut seen = BTreeSet::new();
    for server in servers {
        if server.status == ServerStatus::Deleted {
            to_delete.push(server.cloud_id.clone());
            continue;
        }
        seen.insert(server.cloud_id.clone());
        let host_id = server
            .hypervisor_hostname_opt
            .as_ref()
            .and_then(|hostname| hosts.get(hostname))
            .map(|found| found.id);
        let owner_opt = match server
            .request_key_opt
            .as_deref()
            .and_then(ticket_of_request_key)
        {
            Some(ticket_id) => ticket::Entity::find_by_id(ticket_id)
                .one(&txn)
                .await?
                .map(|found| (found.tenant_id, found.business_system)),
            None => None,
        };
        let addresses = serde_json::to_string(&server.addresses)
            .map_err(|error| InventoryError::Internal(error.into()))?;
        match vms.get(&server.cloud_id) {
            Some(found) => {
                let before = snapshot(&vm_view(found))?;
                let mut active: vm::ActiveModel = found.clone().into();
                active.host_id.set_if_not_equals(host_id);
                active.name.set_if_not_equals(server.name.clone());
                active.vcpu.set_if_not_equals(server.size.vcpu);
                active
                    .memory_mb
                    .set_if_not_equals(server.size.memory_gb * 1024);
                active.disk_gb.set_if_not_equals(server.size.disk_gb);
                active.state.set_if_not_equals(vm_state(&server.status));
                active.addresses.set_if_not_equals(addresses);
                if let Some((tenant_id, business_system)) = owner_opt {
                    active.tenant_id.set_if_not_equals(Some(tenant_id));
                    active.business_system.set_if_not_equals(business_system);
                }
                if !active.is_changed() {
                    continue;
                }
                let updated = active.update(&txn).await?;
                let after = snapshot(&vm_view(&updated))?;
                record(
                    &txn,
                    "vm",
                    updated.id,
                    ChangeAction::Update,
                    Some(before),
                    Some(after),
                )
                .await?;
                summary.vms_updated += 1;
                vms.insert(updated.external_id.clone(), updated);
            }
            None => {
                let (tenant_id, business_system) = match owner_opt {
                    Some((tenant_id, business_system)) => (Some(tenant_id), business_system),
                    None => (None, String::new()),
                };
                let created = vm::ActiveModel {
                    platform_id: Set(platform_id),
                    host_id: Set(host_id),
                    external_id: Set(server.cloud_id.clone()),
                    name: Set(server.name.clone()),
                    tenant_id: Set(tenant_id),
                    business_system: Set(business_system),
                    vcpu: Set(server.size.vcpu),
                    memory_mb: Set(server.size.memory_gb * 1024),
                    disk_gb: Set(server.size.disk_gb),
                    state: Set(vm_state(&server.status)),
                    addresses: Set(addresses),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                let after = snapshot(&vm_view(&created))?;
                record(
                    &txn,
                    "vm",
                    created.id,
                    ChangeAction::Create,
                    None,
                    Some(after),
                )
                .await?;
                summary.vms_created += 1;
                vms.insert(created.external_id.clone(), created);
            }
        }
    }
    if full {
        to_delete.extend(vms.keys().filter(|id| !seen.contains(*id)).cloned());
    }
    for cloud_id in to_delete {
        let Some(found) = vms.remove(&cloud_id) else {
            continue;
        };
        let before = snapshot(&vm_view(&found))?;
        let id = found.id;
        found.delete(&txn).await?;
        record(&txn, "vm", id, ChangeAction::Delete, Some(before), None).await?;
        summary.vms_deleted += 1;
    }
    txn.commit().await?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_keys_name_their_ticket() {
        let table = [
            ("ticket-7/host-1", Some(7)),
            ("ticket-12/host-0", Some(12)),
            ("ticket-x/host-1", None),
            ("ticket-7", None),
            ("other-7/host-1", None),
            ("ticket-7/disk-1", None),
        ];
        for (key, expected) in table {
            assert_eq!(ticket_of_request_key(key), expected, "{key}");
        }
        assert_eq!(vm_state(&ServerStatus::Other("PAUSED".into())), "paused");
    }
}
