//! VMs' utilization for their tenants: the platform actor polls the simulated OpenStack's
//! diagnostics, a tenant reads and hears its own VMs' figures and minutes, and nothing of
//! another tenant's, over HTTP or the WebSocket; bureau staff see every VM.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use yunguan::clock::Clock;
use yunguan::identity::Role;
use yunguan_simulators::openstack::{OpenStackSim, OpenStackSimConfig, SimUtilization};

use crate::helpers::{
    openstack_platform, settings_for, spawn_app_with, spawn_node_with_clock, Backend, WsClient,
};
use crate::on_every_backend;
use crate::openapi::assert_answer_is_documented;

on_every_backend!(a_tenant_sees_its_own_vms_utilization_and_not_another_tenants);

/// The next `vm.utilization` on `socket`, failing after `within`.
async fn next_poll(socket: &mut WsClient, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = socket
            .try_next_json(left)
            .await
            .expect("a vm.utilization in time");
        if frame["kind"] == "vm.utilization" {
            return frame;
        }
    }
}

/// The ids of the VMs a poll event names.
fn vm_ids(event: &Value) -> Vec<i64> {
    event["data"]["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|vm| vm["vm_id"].as_i64().unwrap())
        .collect()
}

fn close(actual: &Value, expected: f64, tolerance: f64, what: &str) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: no figure"));
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} is not {expected} ± {tolerance}"
    );
}

async fn a_tenant_sees_its_own_vms_utilization_and_not_another_tenants(backend: Backend) {
    // Utilization stands still, so that the figures can be compared with the simulator's.
    let sim = OpenStackSim::start(OpenStackSimConfig {
        latency_ms: 0..=2,
        n_servers: 6,
        utilization_tick: Duration::from_secs(3_600),
        ..OpenStackSimConfig::default()
    })
    .unwrap();
    let (app, storage) =
        spawn_app_with(backend, |settings| settings.monitoring.enabled = false).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    let edu = app.create_tenant("edu").await;
    let health = app.create_tenant("health").await;
    app.create_user("edu-dev", Role::TenantMember, Some(edu))
        .await;
    app.create_user("health-dev", Role::TenantMember, Some(health))
        .await;
    let data_center = app
        .created(
            "/api/v1/data-centers",
            &admin,
            &json!({"code": "dc-cloud", "name": "云数据中心", "region": "", "address": ""}),
        )
        .await;
    app.created(
        "/api/v1/cloud-platforms",
        &admin,
        &openstack_platform(&sim, &data_center["id"]),
    )
    .await;

    let mut settings = settings_for(&storage);
    settings.monitoring.vm_poll_secs = 60;
    let clock = Clock::manual(Utc::now());
    let node = spawn_node_with_clock(settings, clock.clone()).await;
    let admin = node.login("admin").await;
    let vms = node
        .until_get("/api/v1/vms?limit=200", &admin, |vms| {
            vms.as_array().is_some_and(|vms| vms.len() == 6)
        })
        .await;
    let vms = vms.as_array().unwrap();
    // Two VMs are the education bureau's, one the health commission's, three nobody's.
    let owned = [(0, edu), (1, edu), (2, health)];
    for (index, tenant_id) in owned {
        let path = format!("/api/v1/vms/{}", vms[index]["id"]);
        let changed = node
            .patch_json(&path, &admin, &json!({"tenant_id": tenant_id}))
            .await;
        assert_eq!(changed.status(), 200, "{path}");
    }
    let id = |index: usize| vms[index]["id"].as_i64().unwrap();
    let external = |index: usize| vms[index]["external_id"].as_str().unwrap().to_owned();
    let (edu_vms, health_vm) = ([id(0), id(1)], id(2));

    let edu_dev = node.login("edu-dev").await;
    let health_dev = node.login("health-dev").await;
    let mut edu_socket = node.ws(&edu_dev).await;
    let mut health_socket = node.ws(&health_dev).await;
    let mut bureau_socket = node.ws(&admin).await;
    // Another tenant's VMs' topic is refused, as every other tenant topic is.
    health_socket
        .send(json!({"op": "subscribe", "topic": format!("tenant/{edu}/vms")}))
        .await;
    let refused = health_socket.next_json().await;
    assert_eq!(
        (&refused["op"], &refused["code"]),
        (&json!("error"), &json!("forbidden_topic")),
        "{refused}"
    );
    edu_socket
        .subscribe(&format!("tenant/{edu}/vms"), None)
        .await;
    health_socket
        .subscribe(&format!("tenant/{health}/vms"), None)
        .await;
    bureau_socket
        .subscribe(&format!("dc/{}", data_center["id"]), None)
        .await;

    // A poll: each tenant hears its own VMs, the bureau every VM, with CPU and memory as
    // the platform reports them.
    clock.advance(chrono::Duration::seconds(60));
    let first = next_poll(&mut edu_socket, Duration::from_secs(20)).await;
    assert_eq!(vm_ids(&first), edu_vms, "{first}");
    assert_eq!(
        vm_ids(&next_poll(&mut health_socket, Duration::from_secs(20)).await),
        [health_vm]
    );
    let everything = next_poll(&mut bureau_socket, Duration::from_secs(20)).await;
    assert_eq!(vm_ids(&everything).len(), 6, "{everything}");
    let expected: SimUtilization = sim.utilization(&external(0)).expect("an active server");
    let figures = &first["data"]["vms"][0];
    assert_eq!(figures["state"], "active");
    assert_eq!(figures["tenant_id"], edu);
    close(&figures["cpu_percent"], expected.cpu_percent, 0.01, "cpu");
    close(
        &figures["memory_percent"],
        expected.memory_percent,
        0.1,
        "memory",
    );

    // A second poll, a moment later: disk and network are rates of the counters between the
    // two answers.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    clock.advance(chrono::Duration::seconds(60));
    let second = next_poll(&mut edu_socket, Duration::from_secs(20)).await;
    let figures = &second["data"]["vms"][0];
    let rate = |expected: f64| (expected, expected * 0.15);
    for (field, (value, tolerance)) in [
        (
            "disk_read_bytes_per_sec",
            rate(expected.disk_read_bytes_per_sec),
        ),
        (
            "disk_write_bytes_per_sec",
            rate(expected.disk_write_bytes_per_sec),
        ),
        (
            "network_in_bps",
            rate(expected.received_bytes_per_sec * 8.0),
        ),
        ("network_out_bps", rate(expected.sent_bytes_per_sec * 8.0)),
    ] {
        close(&figures[field], value, tolerance, field);
    }

    // Over HTTP: the latest figures and the minute the first poll finished, for the owner
    // and bureau staff; another tenant's VM is absent.
    let edu_vm = format!("/api/v1/vms/{}", edu_vms[0]);
    let latest = node
        .get_ok(&format!("{edu_vm}/utilization"), &edu_dev)
        .await;
    assert_answer_is_documented("/api/v1/vms/{id}/utilization", "get", &latest);
    assert_eq!(latest["latest"]["at_ms"], second["data"]["at_ms"]);
    let minutes = node
        .until_get(
            &format!("{edu_vm}/metrics?metric=cpu_percent"),
            &edu_dev,
            |minutes| minutes.as_array().is_some_and(|m| !m.is_empty()),
        )
        .await;
    assert_eq!(minutes.as_array().unwrap().len(), 1, "{minutes}");
    assert_answer_is_documented("/api/v1/vms/{id}/metrics", "get", &minutes[0]);
    close(
        &minutes[0]["avg"],
        expected.cpu_percent,
        0.01,
        "the minute's cpu",
    );
    let listed = |figures: &Value| -> Vec<i64> {
        figures
            .as_array()
            .unwrap()
            .iter()
            .map(|vm| vm["vm_id"].as_i64().unwrap())
            .collect()
    };
    let own = node.get_ok("/api/v1/vm-utilization", &edu_dev).await;
    assert_eq!(listed(&own), edu_vms);
    assert_answer_is_documented("/api/v1/vm-utilization", "get", &own[0]);
    let every = node.get_ok("/api/v1/vm-utilization", &admin).await;
    assert_eq!(listed(&every).len(), 6);
    let health_vm_path = format!("/api/v1/vms/{health_vm}");
    for path in [
        format!("{health_vm_path}/utilization"),
        format!("{health_vm_path}/metrics?metric=cpu_percent"),
    ] {
        let answer = node.get(&path, Some(&edu_dev)).await;
        assert_eq!(answer.status(), 404, "{path}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
    }
    let admin_view = node
        .get_ok(&format!("{health_vm_path}/utilization"), &admin)
        .await;
    assert_eq!(admin_view["latest"]["vm_id"], health_vm);
    let unknown = node
        .get(
            &format!("{edu_vm}/metrics?metric=temperature_celsius"),
            Some(&edu_dev),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    // The health commission heard only its own VM all along.
    let theirs = next_poll(&mut health_socket, Duration::from_secs(20)).await;
    assert_eq!(vm_ids(&theirs), [health_vm]);
    node.stop.stop().await;
}
