//! Who reads what in the CMDB (tenants their own VMs and business systems, suppliers the
//! hardware, bureau staff everything), cloud sync ingestion (a full then an incremental
//! change set), and hosts as placement candidates.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use yunguan::cloud::{
    CloudChanges, CloudInventory, Hypervisor, Server, ServerChanges, ServerStatus,
};
use yunguan::fulfilment::provider::HostSize;
use yunguan::inventory::capacity::{placement_candidates, Within};
use yunguan::inventory::sync::{apply_cloud_changes, SyncSummary};
use yunguan_actors::placement::{place, Policy, VmRequest};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::inventory_crud::switch;
use crate::on_every_backend;
use crate::tickets::{populate, submit_vm, World};

on_every_backend!(
    inventory_tenants_see_only_their_own_vms_and_no_hardware,
    inventory_cloud_sync_applies_a_full_then_an_incremental_change_set,
    inventory_placement_candidates_feed_placement,
);

/// A data center with a device and an OpenStack platform, as the bureau admin.
struct Cloud {
    admin: String,
    data_center_id: i64,
    platform_id: i64,
}

async fn cloud(app: &TestApp) -> Cloud {
    let admin = app.login("admin").await;
    let data_center = app
        .created(
            "/api/v1/data-centers",
            &admin,
            &json!({"code": "dc-1", "name": "一区"}),
        )
        .await;
    let data_center_id = data_center["id"].as_i64().unwrap();
    app.created(
        "/api/v1/devices",
        &admin,
        &switch(data_center_id, "sw-1", "c"),
    )
    .await;
    let platform = app
        .created(
            "/api/v1/cloud-platforms",
            &admin,
            &json!({"data_center_id": data_center_id, "name": "os-1", "kind": "openstack",
                "endpoint": "http://keystone:5000/v3"}),
        )
        .await;
    Cloud {
        admin,
        data_center_id,
        platform_id: platform["id"].as_i64().unwrap(),
    }
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

async fn inventory_tenants_see_only_their_own_vms_and_no_hardware(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let World { edu, health } = populate(&app).await;
    let cloud = cloud(&app).await;
    let admin = &cloud.admin;
    let vm = |name: &str, tenant_id: Option<i64>, business_system: &str| {
        json!({"platform_id": cloud.platform_id, "external_id": name, "name": name,
            "tenant_id": tenant_id, "business_system": business_system,
            "vcpu": 2, "memory_mb": 4096, "disk_gb": 50, "addresses": ["10.9.0.1"]})
    };
    let edu_vm = app
        .created("/api/v1/vms", admin, &vm("edu-web", Some(edu), "教育门户"))
        .await;
    let health_vm = app
        .created(
            "/api/v1/vms",
            admin,
            &vm("health-db", Some(health), "健康档案"),
        )
        .await;
    let unowned_vm = app
        .created("/api/v1/vms", admin, &vm("spare", None, ""))
        .await;
    let (edu_vm, health_vm, unowned_vm) = (
        edu_vm["id"].as_i64().unwrap(),
        health_vm["id"].as_i64().unwrap(),
        unowned_vm["id"].as_i64().unwrap(),
    );

    // (user, the VMs they list)
    let table = [
        ("edu-dev", vec![edu_vm]),
        ("edu-admin", vec![edu_vm]),
        ("health-dev", vec![health_vm]),
        ("manager1", vec![edu_vm, health_vm, unowned_vm]),
        ("ops1", vec![edu_vm, health_vm, unowned_vm]),
    ];
    for (username, expected) in table {
        let token = app.login(username).await;
        assert_eq!(
            ids(&app.get_ok("/api/v1/vms", &token).await),
            expected,
            "{username}"
        );
    }

    let edu_dev = app.login("edu-dev").await;
    let own = app.get_ok(&format!("/api/v1/vms/{edu_vm}"), &edu_dev).await;
    assert_eq!(own["addresses"], json!(["10.9.0.1"]));
    // Another tenant's VM, or nobody's, is absent; filtering for another tenant finds none.
    for path in [
        format!("/api/v1/vms/{health_vm}"),
        format!("/api/v1/vms/{unowned_vm}"),
    ] {
        let response = app.get(&path, Some(&edu_dev)).await;
        assert_eq!(response.status(), 404, "{path}");
    }
    assert_eq!(
        app.get_ok(&format!("/api/v1/vms?tenant_id={health}"), &edu_dev)
            .await,
        json!([])
    );

    // (user, path, status)
    let table = [
        ("edu-dev", "/api/v1/devices", 403),
        ("edu-dev", "/api/v1/data-centers", 403),
        ("edu-dev", "/api/v1/links", 403),
        ("edu-dev", "/api/v1/hosts", 403),
        ("edu-dev", "/api/v1/inventory/changes", 403),
        ("edu-admin", "/api/v1/devices", 403),
        ("supplier", "/api/v1/devices", 200),
        ("supplier", "/api/v1/data-centers", 200),
        ("supplier", "/api/v1/links", 200),
        ("supplier", "/api/v1/vms", 403),
        ("supplier", "/api/v1/cloud-platforms", 403),
        ("manager1", "/api/v1/devices", 200),
        ("manager1", "/api/v1/cloud-platforms", 200),
        ("manager1", "/api/v1/resource-pools", 200),
        ("manager1", "/api/v1/inventory/changes", 200),
    ];
    for (username, path, status) in table {
        let token = app.login(username).await;
        let response = app.get(path, Some(&token)).await;
        assert_eq!(response.status(), status, "{username} {path}");
        if status == 403 {
            let error: Value = response.json().await.unwrap();
            assert_eq!(error["code"], "forbidden");
        }
    }

    // Writes: bureau admins and operators only.
    let new_dc = json!({"code": "dc-9", "name": "九"});
    for (username, status) in [
        ("edu-admin", 403),
        ("supplier", 403),
        ("manager1", 403),
        ("ops1", 201),
    ] {
        let token = app.login(username).await;
        let response = app
            .post_json("/api/v1/data-centers", Some(&token), &new_dc)
            .await;
        assert_eq!(response.status(), status, "{username}");
    }
    let response = app
        .patch_json(
            &format!("/api/v1/vms/{edu_vm}"),
            &edu_dev,
            &json!({"business_system": "mine"}),
        )
        .await;
    assert_eq!(response.status(), 403);

    // Business systems: the tenant's own, with their VMs and ticket-made records.
    let business_systems = app.get_ok("/api/v1/business-systems", &edu_dev).await;
    assert_eq!(
        business_systems,
        json!([{"tenant_id": edu, "name": "教育门户", "vms": 1, "records": 0}])
    );
    let manager = app.login("manager1").await;
    let all = app.get_ok("/api/v1/business-systems", &manager).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let supplier = app.login("supplier").await;
    assert_eq!(
        app.get_ok("/api/v1/business-systems", &supplier).await,
        json!([])
    );
}

fn hypervisor(hostname: &str, vcpus: i64, vcpus_used: i64, memory_mb_used: i64) -> Hypervisor {
    Hypervisor {
        hostname: hostname.to_owned(),
        up: true,
        enabled: true,
        vcpus,
        vcpus_used,
        memory_mb: 65_536,
        memory_mb_used,
        local_gb: 1_000,
        local_gb_used: 100,
        running_vms: 1,
        cpu_utilization_percent_opt: None,
    }
}

fn at(second: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000 + second, 0).unwrap()
}

fn server(
    cloud_id: &str,
    hostname: &str,
    status: ServerStatus,
    request_key_opt: Option<String>,
) -> Server {
    Server {
        cloud_id: cloud_id.to_owned(),
        name: format!("vm-{cloud_id}"),
        status,
        size: HostSize {
            vcpu: 2,
            memory_gb: 4,
            disk_gb: 40,
        },
        hypervisor_hostname_opt: Some(hostname.to_owned()),
        addresses: vec!["192.168.0.10".to_owned()],
        request_key_opt,
        fault_opt: None,
        updated_at: at(0),
    }
}

/// A full sync of two hypervisors and three servers, one made by `ticket_id`.
fn full_sync(ticket_id: i64) -> CloudChanges {
    CloudChanges::Full(CloudInventory {
        hypervisors: vec![
            hypervisor("cmp-1", 32, 4, 8_192),
            hypervisor("cmp-2", 32, 2, 4_096),
        ],
        servers: vec![
            server(
                "s-1",
                "cmp-1",
                ServerStatus::Active,
                Some(format!("ticket-{ticket_id}/host-0")),
            ),
            server("s-2", "cmp-1", ServerStatus::Active, None),
            server("s-3", "cmp-2", ServerStatus::Building, None),
        ],
        networks: Vec::new(),
        volumes: Vec::new(),
    })
}

async fn synced(app: &TestApp) -> (Cloud, World, i64, String) {
    let world = populate(app).await;
    let cloud = cloud(app).await;
    let edu_dev = app.login("edu-dev").await;
    let ticket = submit_vm(app, &edu_dev, 1).await;
    let ticket_id = ticket["id"].as_i64().unwrap();
    let business_system = ticket["business_system"].as_str().unwrap().to_owned();
    let summary = apply_cloud_changes(&app.db, cloud.platform_id, &full_sync(ticket_id))
        .await
        .unwrap();
    assert_eq!(
        summary,
        SyncSummary {
            hosts_created: 2,
            vms_created: 3,
            ..SyncSummary::default()
        }
    );
    (cloud, world, ticket_id, business_system)
}

async fn inventory_cloud_sync_applies_a_full_then_an_incremental_change_set(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let (cloud, world, ticket_id, business_system) = synced(&app).await;
    let admin = &cloud.admin;

    // The platform had no cluster: one named after it now holds the hosts.
    let clusters = app
        .get_ok(
            &format!("/api/v1/clusters?platform_id={}", cloud.platform_id),
            admin,
        )
        .await;
    assert_eq!(clusters.as_array().unwrap().len(), 1);
    assert_eq!(clusters[0]["name"], "os-1");
    let hosts = app.get_ok("/api/v1/hosts", admin).await;
    assert_eq!(hosts[0]["external_id"], "cmp-1");
    assert_eq!(hosts[0]["cluster_id"], clusters[0]["id"]);
    assert_eq!(hosts[0]["vcpu_total"], 32);
    let vms = app.get_ok("/api/v1/vms", admin).await;
    assert_eq!(vms[0]["external_id"], "s-1");
    assert_eq!(vms[0]["memory_mb"], 4096);
    assert_eq!(vms[0]["host_id"], hosts[0]["id"]);
    // The ticket's VM belongs to its tenant and business system; the tenant sees it.
    assert_eq!(vms[0]["tenant_id"], world.edu);
    assert_eq!(vms[0]["business_system"], business_system.as_str());
    assert_eq!(vms[1]["tenant_id"], Value::Null);
    assert_eq!(vms[2]["state"], "building");
    let edu_dev = app.login("edu-dev").await;
    assert_eq!(
        ids(&app.get_ok("/api/v1/vms", &edu_dev).await),
        [vms[0]["id"].as_i64().unwrap()]
    );

    // The same full sync again changes nothing.
    let again = apply_cloud_changes(&app.db, cloud.platform_id, &full_sync(ticket_id))
        .await
        .unwrap();
    assert_eq!(again, SyncSummary::default());

    // Incremental: s-3 is built, s-2 deleted, a third hypervisor appears, cmp-2 is cordoned
    // and its usage moves.
    let mut cordoned = hypervisor("cmp-2", 32, 4, 4_096);
    cordoned.enabled = false;
    let incremental = CloudChanges::Incremental(ServerChanges {
        hypervisors: vec![
            hypervisor("cmp-1", 32, 4, 8_192),
            cordoned,
            hypervisor("cmp-3", 64, 0, 0),
        ],
        changed: vec![server("s-3", "cmp-2", ServerStatus::Active, None)],
        deleted_cloud_ids: vec!["s-2".to_owned(), "never-seen".to_owned()],
    });
    let summary = apply_cloud_changes(&app.db, cloud.platform_id, &incremental)
        .await
        .unwrap();
    assert_eq!(
        summary,
        SyncSummary {
            hosts_created: 1,
            hosts_updated: 1,
            vms_updated: 1,
            vms_deleted: 1,
            ..SyncSummary::default()
        }
    );
    let vms = app.get_ok("/api/v1/vms", admin).await;
    let external: Vec<&str> = vms
        .as_array()
        .unwrap()
        .iter()
        .map(|vm| vm["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(external, ["s-1", "s-3"]);
    assert_eq!(vms[1]["state"], "active");
    let cmp_2 = app.get_ok("/api/v1/hosts?schedulable=false", admin).await;
    assert_eq!(cmp_2[0]["external_id"], "cmp-2");
    assert_eq!(cmp_2[0]["vcpu_used"], 4);

    // Each change is in the history, made by cloud sync.
    let history = app
        .get_ok("/api/v1/inventory/changes?object_kind=vm", admin)
        .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "update", "create", "create", "create"]);
    assert!(history
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["actor_kind"] == "system" && c["actor_name"] == "cloud-sync"));

    // A platform with VMs is not deleted; an unknown platform is not synced.
    let response = app
        .delete(
            &format!("/api/v1/cloud-platforms/{}", cloud.platform_id),
            admin,
        )
        .await;
    assert_eq!(response.status(), 409);
    assert!(apply_cloud_changes(&app.db, 424_242, &incremental)
        .await
        .is_err());
    assert_eq!(cloud.data_center_id, hosts_data_center(&app, admin).await);
}

/// The data center of the platform the hosts came from.
async fn hosts_data_center(app: &TestApp, admin: &str) -> i64 {
    let platforms = app.get_ok("/api/v1/cloud-platforms", admin).await;
    platforms[0]["data_center_id"].as_i64().unwrap()
}

async fn inventory_placement_candidates_feed_placement(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let (cloud, world, _ticket_id, _business_system) = synced(&app).await;
    let admin = &cloud.admin;

    // Outside any pool, hosts are not scheduled onto.
    assert!(placement_candidates(&app.db, Within::Everywhere)
        .await
        .unwrap()
        .is_empty());
    let pool = app
        .created(
            "/api/v1/resource-pools",
            admin,
            &json!({"name": "compute-1", "kind": "compute", "data_center_id": cloud.data_center_id,
                "cpu_overcommit": 2.0}),
        )
        .await;
    let clusters = app.get_ok("/api/v1/clusters", admin).await;
    let response = app
        .patch_json(
            &format!("/api/v1/clusters/{}", clusters[0]["id"]),
            admin,
            &json!({"pool_id": pool["id"]}),
        )
        .await;
    assert_eq!(response.status(), 200);

    let candidates = placement_candidates(&app.db, Within::DataCenter(cloud.data_center_id))
        .await
        .unwrap();
    assert_eq!(candidates.len(), 2);
    let cmp_1 = &candidates[0];
    assert_eq!(cmp_1.pool_id, pool["id"].as_i64().unwrap());
    assert_eq!(cmp_1.data_center_id, cloud.data_center_id);
    assert_eq!(cmp_1.capacity().vcpu, 64);
    // Two VMs of 2 vCPU each, and the platform says 4 are used.
    assert_eq!(cmp_1.vcpu_allocated, 4);
    assert_eq!(cmp_1.memory_mb_allocated, 8_192);
    assert!(cmp_1.tenant_ids_present.contains(&world.edu));
    assert!(candidates[1].tenant_ids_present.is_empty());
    assert!(candidates.iter().all(|c| c.schedulable));
    assert!(
        placement_candidates(&app.db, Within::DataCenter(cloud.data_center_id + 1000))
            .await
            .unwrap()
            .is_empty()
    );

    let request = VmRequest {
        vcpu: 8,
        memory_mb: 16_384,
        disk_gb: 100,
        tenant_id: world.edu,
        data_center_opt: Some(cloud.data_center_id),
    };
    // Spread: the emptier host; anti-affinity: away from the tenant's VM; affinity: beside it.
    for (policy, host) in [
        (Policy::Spread, &candidates[1]),
        (Policy::TenantAntiAffinity, &candidates[1]),
        (Policy::TenantAffinity, &candidates[0]),
    ] {
        let placement = place(&request, &candidates, policy).unwrap();
        assert_eq!(placement.host_id, host.host_id, "{policy:?}");
        assert_eq!(placement.cluster_id, host.cluster_id);
    }
    let too_big = VmRequest {
        vcpu: 100,
        ..request
    };
    assert!(place(&too_big, &candidates, Policy::Spread).is_err());
}
