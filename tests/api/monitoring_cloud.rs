//! A cloud platform in the inventory is synced by its platform actor: hypervisors and VMs
//! land in the CMDB and `dc/{id}` hears of each sync; a platform whose Keystone is down fails
//! alone and recovers by itself.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use yunguan::clock::Clock;
use yunguan::identity::Role;
use yunguan::monitoring::platform::PlatformSummary;
use yunguan_simulators::openstack::{OpenStackSim, OpenStackSimConfig};

use crate::helpers::{
    openstack_platform, settings_for, spawn_app_with, spawn_node_with_clock, Backend, TestApp,
    WsClient,
};
use crate::on_every_backend;
use crate::watch::Watch;

on_every_backend!(a_platform_is_synced_into_the_inventory_and_recovers_from_keystone_failing);

async fn next_kind(socket: &mut WsClient, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = socket
            .try_next_json(left)
            .await
            .unwrap_or_else(|| panic!("no {kind} in time"));
        if frame["kind"] == kind {
            return frame;
        }
    }
}

async fn listed(app: &TestApp, path: &str, token: &str) -> usize {
    let body: Value = app.get(path, Some(token)).await.json().await.unwrap();
    body.as_array().map_or(0, Vec::len)
}

async fn a_platform_is_synced_into_the_inventory_and_recovers_from_keystone_failing(
    backend: Backend,
) {
    let sim = OpenStackSim::start(OpenStackSimConfig {
        latency_ms: 0..=5,
        ..OpenStackSimConfig::default()
    })
    .unwrap();
    // The node that takes the writes does not monitor (it would follow them and sync too).
    let (app, storage) =
        spawn_app_with(backend, |settings| settings.monitoring.enabled = false).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    let data_center: Value = app
        .post_json(
            "/api/v1/data-centers",
            Some(&admin),
            &json!({"code": "dc-cloud", "name": "云数据中心", "region": "", "address": ""}),
        )
        .await
        .json()
        .await
        .unwrap();
    let data_center_id = data_center["id"].as_i64().unwrap();
    let created = app
        .post_json(
            "/api/v1/cloud-platforms",
            Some(&admin),
            &openstack_platform(&sim, &json!(data_center_id)),
        )
        .await;
    assert_eq!(created.status(), 201);
    let platform: Value = created.json().await.unwrap();
    let platform_id = platform["id"].as_i64().unwrap();
    // Keystone is down when the node starts: the first sync fails, and says so once. The
    // node runs on a manual clock, so the retry waits until the test moves it.
    sim.set_keystone_available(false);
    let clock = Clock::manual(Utc::now());
    let node = spawn_node_with_clock(settings_for(&storage), clock.clone()).await;
    let token = node.login("admin").await;
    let mut socket = node.ws(&token).await;
    socket
        .subscribe(&format!("dc/{data_center_id}"), None)
        .await;
    let mut failures = Watch::on(&node, &[&format!("dc/{data_center_id}")]).await;
    let failed =
        |summary: Option<&PlatformSummary>| summary.is_some_and(|s| s.last_error.is_some());
    if !failed(node.state.monitoring.platform_summary(platform_id).as_ref()) {
        failures.until_kind("platform.sync_failed", |_| true).await;
    }
    let summary = node.state.monitoring.platform_summary(platform_id).unwrap();
    assert!(failed(Some(&summary)), "{summary:?}");
    assert_eq!(summary.syncs, 0);
    sim.set_keystone_available(true);
    // The retry, five seconds on, syncs everything: hypervisors become hosts, servers VMs.
    clock.advance(chrono::Duration::seconds(5));
    let synced = next_kind(&mut socket, "platform.synced").await;
    assert_eq!(synced["data"]["hosts_created"], 4, "{synced}");
    assert_eq!(synced["data"]["vms_created"], 20, "{synced}");
    assert_eq!(listed(&node, "/api/v1/hosts", &token).await, 4);
    assert_eq!(listed(&node, "/api/v1/vms?limit=200", &token).await, 20);
    let summary = node.state.monitoring.platform_summary(platform_id).unwrap();
    assert_eq!((summary.syncs, summary.last_error), (1, None));
    node.stop.stop().await;
}
