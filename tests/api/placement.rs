//! Placement in fulfilment: before anything is created, a VM request is placed on hosts of
//! the compute pools open to its tenant, by the pool's policy and overcommit, as a whole; the
//! provider builds there and the inventory record says where. Each policy runs end to end
//! through tickets, on the simulated cloud and on the OpenStack simulator (which builds on
//! the hypervisor it is told, or fails); a full pool and an unsatisfiable anti-affinity fail
//! the ticket with their reason and create nothing; a dedicated pool serves its tenant only.
//!
//! The hosts are 32 vCPU, 128 GB, 2 TB; every request here is of 8 vCPU, 16 GB, 100 GB
//! (`vm_form`), so a host holds four of them.

use sea_orm::EntityTrait;
use serde_json::{json, Value};
use yunguan::cloud::openstack::REQUEST_KEY_METADATA;
use yunguan::db::entities::resource_pool;
use yunguan::inventory::capacity::{placement_candidates, Within};
use yunguan_simulators::openstack::{OpenStackSim, OpenStackSimConfig};

use crate::cloud_adapter::fulfilling_on;
use crate::fulfilment::{inventory_ids, wait_for_state, wait_for_states};
use crate::helpers::{spawn_app, spawn_app_with, Backend, Storage, TestApp};
use crate::on_every_backend;
use crate::tickets::{approve_ok, item_id, populate, submit_vm, World};

on_every_backend!(
    spread_on_the_simulated_cloud,
    spread_on_openstack,
    pack_on_the_simulated_cloud,
    pack_on_openstack,
    tenant_affinity_on_the_simulated_cloud,
    tenant_affinity_on_openstack,
    tenant_anti_affinity_on_the_simulated_cloud,
    tenant_anti_affinity_on_openstack,
    a_full_pool_is_refused_with_its_reason_and_a_retired_host_gives_its_room_back,
    a_dedicated_pool_serves_its_tenant_first_and_no_other,
    a_placed_vm_that_sync_reports_is_counted_once,
);

/// The OpenStack simulator's hypervisor names, which the hosts here take on both clouds.
const HOSTS: [&str; 3] = [
    "compute-01.cloud.local",
    "compute-02.cloud.local",
    "compute-03.cloud.local",
];

/// An application with the ticket world (`populate`), fulfilling on the simulated cloud or
/// on a running OpenStack simulator.
struct Cloud {
    app: TestApp,
    _storage: Storage,
    sim_opt: Option<OpenStackSim>,
    admin: String,
    world: World,
}

async fn simulated(backend: Backend) -> Cloud {
    let (app, storage) = spawn_app(backend).await;
    with_world(app, storage, None).await
}

async fn openstack(backend: Backend) -> Cloud {
    let sim = OpenStackSim::start(OpenStackSimConfig {
        n_hypervisors: HOSTS.len(),
        n_servers: 0,
        latency_ms: 0..=2,
        build_time_ms: 20..=40,
        resize_time_ms: 20..=40,
        ..OpenStackSimConfig::default()
    })
    .expect("the simulator starts");
    let (app, storage) = spawn_app_with(backend, fulfilling_on(&sim)).await;
    with_world(app, storage, Some(sim)).await
}

async fn with_world(app: TestApp, storage: Storage, sim_opt: Option<OpenStackSim>) -> Cloud {
    let world = populate(&app).await;
    let admin = app.login("admin").await;
    Cloud {
        app,
        _storage: storage,
        sim_opt,
        admin,
        world,
    }
}

/// A compute pool of `policy` (dedicated to `tenant_opt`), with one cluster of a platform of
/// its own holding `hosts`. Answers the pool's id.
pub(crate) async fn compute_pool(
    app: &TestApp,
    admin: &str,
    name: &str,
    policy: &str,
    tenant_opt: Option<i64>,
    hosts: &[&str],
) -> i64 {
    let id = |created: Value| created["id"].as_i64().unwrap();
    let data_center_id = id(app
        .created(
            "/api/v1/data-centers",
            admin,
            &json!({"code": format!("dc-{name}"), "name": format!("{name} 数据中心")}),
        )
        .await);
    let pool_id = id(app
        .created(
            "/api/v1/resource-pools",
            admin,
            &json!({"name": name, "kind": "compute", "data_center_id": data_center_id,
                "placement_policy": policy, "tenant_id": tenant_opt}),
        )
        .await);
    let platform_id = id(app
        .created(
            "/api/v1/cloud-platforms",
            admin,
            &json!({"data_center_id": data_center_id, "name": format!("{name}-cloud"),
                "kind": "simulated"}),
        )
        .await);
    let cluster_id = id(app
        .created(
            "/api/v1/clusters",
            admin,
            &json!({"platform_id": platform_id, "name": "az-1", "pool_id": pool_id}),
        )
        .await);
    for host in hosts {
        app.created(
            "/api/v1/hosts",
            admin,
            &json!({"cluster_id": cluster_id, "external_id": host, "vcpu_total": 32,
                "memory_mb_total": 128 * 1024, "disk_gb_total": 2000}),
        )
        .await;
    }
    pool_id
}

impl Cloud {
    async fn pool(&self, policy: &str) -> i64 {
        compute_pool(&self.app, &self.admin, "shared", policy, None, &HOSTS).await
    }

    async fn set_policy(&self, pool_id: i64, policy: &str) {
        let response = self
            .app
            .patch_json(
                &format!("/api/v1/resource-pools/{pool_id}"),
                &self.admin,
                &json!({"placement_policy": policy}),
            )
            .await;
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    }

    /// Submits and approves a request for `count` VMs as `requester`; answers the ticket
    /// once fulfilled or failed.
    async fn request(&self, requester: &str, count: i64) -> (String, Value) {
        let token = self.app.login(requester).await;
        let id = submit_vm(&self.app, &token, count).await["id"]
            .as_i64()
            .unwrap();
        self.approve(requester, id).await;
        let ended = wait_for_states(&self.app, &token, id, &["fulfilled", "failed"]).await;
        (token, ended)
    }

    /// Approves the ticket: its tenant's admin, then the bureau's operators if it asks.
    async fn approve(&self, requester: &str, id: i64) {
        let tenant = requester.trim_end_matches("-dev");
        let tenant_admin = self.app.login(&format!("{tenant}-admin")).await;
        let after = approve_ok(&self.app, &tenant_admin, id).await;
        if after["state"] == "approving" {
            approve_ok(&self.app, &self.app.login("ops1").await, id).await;
        }
    }

    /// Requests `count` VMs as `requester`: the hosts they were placed on, in order, as the
    /// inventory records say, and (on OpenStack) as the cloud says they run.
    async fn placed(&self, requester: &str, count: i64) -> Vec<String> {
        let (token, fulfilled) = self.request(requester, count).await;
        assert_eq!(fulfilled["state"], "fulfilled", "{fulfilled}");
        let record_ids = inventory_ids(&fulfilled);
        let records = self
            .app
            .get_ok("/api/v1/inventory?kind=cloud_host", &token)
            .await;
        let mut made: Vec<&Value> = records
            .as_array()
            .unwrap()
            .iter()
            .filter(|record| record_ids.contains(&record["id"].as_i64().unwrap()))
            .collect();
        made.sort_by_key(|record| record["name"].as_str().unwrap().to_owned());
        assert_eq!(made.len(), count as usize, "{records}");
        let hosts: Vec<String> = made
            .iter()
            .map(|record| {
                let placement = &record["attributes"]["placement"];
                assert!(placement["host_id"].is_i64(), "{record}");
                placement["host"].as_str().unwrap().to_owned()
            })
            .collect();
        if let Some(sim) = &self.sim_opt {
            let ticket_id = fulfilled["id"].as_i64().unwrap();
            let mut running: Vec<(String, String)> = sim
                .servers()
                .into_iter()
                .filter_map(|server| {
                    let key = server.metadata.get(REQUEST_KEY_METADATA)?.clone();
                    key.starts_with(&format!("ticket-{ticket_id}/"))
                        .then(|| (key, server.hypervisor_hostname_opt.unwrap_or_default()))
                })
                .collect();
            running.sort();
            let on: Vec<String> = running.into_iter().map(|(_, host)| host).collect();
            assert_eq!(on, hosts, "the cloud runs them where they were placed");
        }
        hosts
    }

    /// Requests `count` VMs as `requester`, which must fail: its reason.
    async fn refused(&self, requester: &str, count: i64) -> String {
        let servers_before = self.sim_opt.as_ref().map(|sim| sim.servers().len());
        let held_before = self.held(requester).await;
        let (_token, failed) = self.request(requester, count).await;
        assert_eq!(failed["state"], "failed", "{failed}");
        assert_eq!(
            self.sim_opt.as_ref().map(|sim| sim.servers().len()),
            servers_before,
            "nothing was created"
        );
        assert_eq!(
            self.held(requester).await,
            held_before,
            "its quota is given back"
        );
        failed["reason"].as_str().unwrap().to_owned()
    }

    /// What the requester's tenant holds of its quota.
    async fn held(&self, requester: &str) -> Value {
        let token = self.app.login(requester).await;
        let me = self.app.get_ok("/api/v1/auth/me", &token).await;
        let tenant_id = me["tenant_id"].as_i64().unwrap();
        self.app
            .get_ok(&format!("/api/v1/tenants/{tenant_id}/quota"), &token)
            .await["held"]
            .clone()
    }
}

fn on(hosts: &[usize]) -> Vec<String> {
    hosts.iter().map(|&index| HOSTS[index].to_owned()).collect()
}

/// Spread: each VM on the host least loaded after it, ties to the lowest id.
async fn spread(cloud: Cloud) {
    cloud.pool("spread").await;
    assert_eq!(cloud.placed("edu-dev", 3).await, on(&[0, 1, 2]));
    assert_eq!(cloud.placed("health-dev", 2).await, on(&[0, 1]));
}

/// Pack: each VM on the host most loaded after it that still fits.
async fn pack(cloud: Cloud) {
    cloud.pool("pack").await;
    assert_eq!(cloud.placed("edu-dev", 3).await, on(&[0, 0, 0]));
    assert_eq!(cloud.placed("health-dev", 2).await, on(&[0, 1]));
}

/// Tenant affinity: the hosts already running the tenant's VMs first, where spread (the
/// least loaded) and pack (the most loaded, ties to the lowest id) would choose others.
async fn tenant_affinity(cloud: Cloud) {
    let pool_id = cloud.pool("spread").await;
    assert_eq!(cloud.placed("edu-dev", 1).await, on(&[0]));
    assert_eq!(cloud.placed("health-dev", 1).await, on(&[1]));
    cloud.set_policy(pool_id, "tenant_affinity").await;
    assert_eq!(cloud.placed("health-dev", 2).await, on(&[1, 1]));
    assert_eq!(cloud.placed("edu-dev", 1).await, on(&[0]));
}

/// Tenant anti-affinity: never two of a tenant's VMs on one host; with every host running
/// one of them, the request fails and says so.
async fn tenant_anti_affinity(cloud: Cloud) {
    cloud.pool("tenant_anti_affinity").await;
    assert_eq!(cloud.placed("edu-dev", 3).await, on(&[0, 1, 2]));
    assert_eq!(cloud.placed("health-dev", 1).await, on(&[0]));
    let reason = cloud.refused("edu-dev", 1).await;
    assert_eq!(
        reason,
        "no room for 1 VM(s) of 8 vCPU, 16 GB memory, 100 GB disk: pool shared \
         (tenant_anti_affinity): VM 1 of 1: each of the 3 host(s) with room already runs one \
         of the tenant's VMs"
    );
}

async fn spread_on_the_simulated_cloud(backend: Backend) {
    spread(simulated(backend).await).await
}

async fn spread_on_openstack(backend: Backend) {
    spread(openstack(backend).await).await
}

async fn pack_on_the_simulated_cloud(backend: Backend) {
    pack(simulated(backend).await).await
}

async fn pack_on_openstack(backend: Backend) {
    pack(openstack(backend).await).await
}

async fn tenant_affinity_on_the_simulated_cloud(backend: Backend) {
    tenant_affinity(simulated(backend).await).await
}

async fn tenant_affinity_on_openstack(backend: Backend) {
    tenant_affinity(openstack(backend).await).await
}

async fn tenant_anti_affinity_on_the_simulated_cloud(backend: Backend) {
    tenant_anti_affinity(simulated(backend).await).await
}

async fn tenant_anti_affinity_on_openstack(backend: Backend) {
    tenant_anti_affinity(openstack(backend).await).await
}

async fn a_full_pool_is_refused_with_its_reason_and_a_retired_host_gives_its_room_back(
    backend: Backend,
) {
    let cloud = openstack(backend).await;
    compute_pool(
        &cloud.app,
        &cloud.admin,
        "shared",
        "pack",
        None,
        &HOSTS[..1],
    )
    .await;
    assert_eq!(cloud.placed("edu-dev", 3).await, on(&[0, 0, 0]));
    // Two more do not fit, though one would: the request is placed as a whole.
    let reason = cloud.refused("health-dev", 2).await;
    assert_eq!(
        reason,
        "no room for 2 VM(s) of 8 vCPU, 16 GB memory, 100 GB disk: pool shared (pack): VM 2 \
         of 2 does not fit: vCPU (asked 8, at most 0 free on a host)"
    );
    // The failed request held nothing: one still fits.
    assert_eq!(cloud.placed("health-dev", 1).await, on(&[0]));
    assert!(cloud
        .refused("health-dev", 1)
        .await
        .contains("VM 1 of 1 does not fit"));

    // A retired host gives its room back.
    let dev = cloud.app.login("edu-dev").await;
    let records = cloud
        .app
        .get_ok("/api/v1/inventory?kind=cloud_host", &dev)
        .await;
    let host_id = records[0]["id"].as_i64().unwrap();
    let item = item_id(&cloud.app, &dev, "vm.decommission").await;
    let retire = cloud
        .app
        .created(
            "/api/v1/tickets",
            &dev,
            &json!({"item_id": item, "title": "retire", "form": {"business_system": "学籍管理系统",
                "host_id": host_id, "reason": "系统下线"}}),
        )
        .await;
    let retire_id = retire["id"].as_i64().unwrap();
    cloud.approve("edu-dev", retire_id).await;
    wait_for_state(&cloud.app, &dev, retire_id, "fulfilled").await;
    assert_eq!(cloud.placed("health-dev", 1).await, on(&[0]));
}

async fn a_dedicated_pool_serves_its_tenant_first_and_no_other(backend: Backend) {
    let cloud = simulated(backend).await;
    compute_pool(
        &cloud.app,
        &cloud.admin,
        "shared",
        "spread",
        None,
        &["shared-01"],
    )
    .await;
    compute_pool(
        &cloud.app,
        &cloud.admin,
        "health-only",
        "spread",
        Some(cloud.world.health),
        &["health-01"],
    )
    .await;
    // The dedicated pool first, though the shared one has room.
    assert_eq!(
        cloud.placed("health-dev", 2).await,
        ["health-01", "health-01"]
    );
    // Another tenant never gets it, even with the shared pool full.
    assert_eq!(cloud.placed("edu-dev", 4).await, ["shared-01"; 4]);
    let reason = cloud.refused("edu-dev", 1).await;
    assert_eq!(
        reason,
        "no room for 1 VM(s) of 8 vCPU, 16 GB memory, 100 GB disk: pool shared (spread): VM 1 \
         of 1 does not fit: vCPU (asked 8, at most 0 free on a host)"
    );
    // With both full, the reason names both, its own first.
    assert_eq!(
        cloud.placed("health-dev", 2).await,
        ["health-01", "health-01"]
    );
    let reason = cloud.refused("health-dev", 1).await;
    assert!(
        reason.contains("pool health-only (spread): VM 1 of 1 does not fit")
            && reason.contains("pool shared (spread): VM 1 of 1 does not fit"),
        "{reason}"
    );
}

async fn a_placed_vm_that_sync_reports_is_counted_once(backend: Backend) {
    let cloud = simulated(backend).await;
    let pool_id = compute_pool(&cloud.app, &cloud.admin, "shared", "pack", None, &["hv-01"]).await;
    let allocated = || async {
        let pool = resource_pool::Entity::find_by_id(pool_id)
            .one(&cloud.app.db)
            .await
            .unwrap()
            .unwrap();
        let hosts = placement_candidates(&cloud.app.db, Within::Pools(&[pool]))
            .await
            .unwrap();
        (hosts[0].vcpu_allocated, hosts[0].tenant_ids_present.len())
    };
    assert_eq!(allocated().await, (0, 0));
    assert_eq!(cloud.placed("edu-dev", 2).await, ["hv-01", "hv-01"]);
    assert_eq!(allocated().await, (16, 1), "placed, not yet synced");

    // Sync reports one of them on the host, and a VM of another tenant made elsewhere.
    let dev = cloud.app.login("edu-dev").await;
    let records = cloud
        .app
        .get_ok("/api/v1/inventory?kind=cloud_host", &dev)
        .await;
    let cloud_id = records[0]["attributes"]["cloud_id"].as_str().unwrap();
    let host_id = records[0]["attributes"]["placement"]["host_id"]
        .as_i64()
        .unwrap();
    let platform_id = cloud
        .app
        .get_ok("/api/v1/cloud-platforms", &cloud.admin)
        .await[0]["id"]
        .as_i64()
        .unwrap();
    for (external_id, tenant_id) in [(cloud_id, cloud.world.edu), ("other-1", cloud.world.health)] {
        cloud
            .app
            .created(
                "/api/v1/vms",
                &cloud.admin,
                &json!({"platform_id": platform_id, "host_id": host_id, "external_id": external_id,
                    "name": external_id, "tenant_id": tenant_id, "vcpu": 8, "memory_mb": 16384,
                    "disk_gb": 100}),
            )
            .await;
    }
    assert_eq!(allocated().await, (24, 2), "the synced one counts once");
}
