//! Monitoring follows the inventory while it runs: data centers, devices and links entered,
//! changed and deleted over the API reach the actors at once, without a restart and without
//! disturbing the devices nothing changed for; so do alarm rules. On several nodes, a write on one reaches the
//! monitoring of the others (through Redis).

use serde_json::{json, Value};
use yunguan::identity::Role;
use yunguan_simulators::snmp::{Fleet, FleetConfig, FleetDevice};

use crate::helpers::{settings_for, spawn_app, spawn_node, Backend, Storage, TestApp};
use crate::on_every_backend;
use crate::watch::Watch;

on_every_backend!(
    devices_links_and_data_centers_are_followed_while_running,
    alarm_rules_changed_while_running_take_effect,
);

/// A fleet device as the API creates it, in data center `data_center_id`.
fn device_fields(fleet: &Fleet, device: &FleetDevice, data_center_id: i64, tier: &str) -> Value {
    json!({
        "data_center_id": data_center_id,
        "name": device.name,
        "kind": device.kind.as_str(),
        "tier": tier,
        "vendor": "sim",
        "model": "sim",
        "management_address": fleet.local_addr().to_string(),
        "credentials": {"version": "v2c", "community": device.community},
        "poll_interval_secs": 10,
    })
}

/// Waits until the node's monitoring has polled the device and found it up.
async fn until_up(app: &TestApp, device_id: i64) {
    let mut watch = Watch::on(app, &[&format!("device/{device_id}")]).await;
    let monitoring = &app.state.monitoring;
    if let Some(view) = monitoring.device_state_view(device_id).await {
        if view.status == "up" {
            return;
        }
    }
    watch
        .until_kind("device.sample", |sample| sample["data"]["status"] == "up")
        .await;
}

/// Waits, at each `dc.summary` of the data center, until `done` holds.
async fn until_summary_shows(app: &TestApp, data_center_id: i64, done: impl Fn(&TestApp) -> bool) {
    let mut watch = Watch::on(app, &[&format!("dc/{data_center_id}")]).await;
    while !done(app) {
        watch.until_kind("dc.summary", |_| true).await;
    }
}

async fn link_count(app: &TestApp, data_center_id: i64) -> usize {
    app.state
        .monitoring
        .topology(data_center_id)
        .await
        .map_or(0, |topology| topology.links.len())
}

/// The interfaces a poll wrote back to the CMDB for the device, by ifIndex. That writer
/// announces nothing, so this reads the API until they are there.
async fn interface_ids(app: &TestApp, token: &str, device_id: i64) -> Vec<(i64, i64)> {
    let path = format!("/api/v1/interfaces?device_id={device_id}");
    let deadline = tokio::time::Instant::now() + crate::watch::PATIENCE;
    loop {
        let interfaces = app.get_ok(&path, token).await;
        let found: Vec<(i64, i64)> = interfaces
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["if_index"].as_i64().unwrap(), i["id"].as_i64().unwrap()))
            .collect();
        if !found.is_empty() {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "device {device_id}'s interfaces were never written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn interface_id(interfaces: &[(i64, i64)], if_index: i64) -> i64 {
    interfaces
        .iter()
        .find(|(index, _)| *index == if_index)
        .map(|(_, id)| *id)
        .unwrap_or_else(|| panic!("no ifIndex {if_index} in {interfaces:?}"))
}

async fn devices_links_and_data_centers_are_followed_while_running(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 3,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    fleet.send_traps_to(app.state.monitoring.trap_addr_opt().unwrap());
    let devices = fleet.devices();

    // A data center and a device entered while the node runs: the write is announced, and
    // the device is polled.
    let mut inventory = Watch::on(&app, &["inventory"]).await;
    let data_center = app
        .created(
            "/api/v1/data-centers",
            &admin,
            &json!({"code": "dc-live", "name": "实时数据中心", "region": "east", "address": ""}),
        )
        .await;
    let dc_id = data_center["id"].as_i64().unwrap();
    let announced = inventory
        .until_kind("inventory.changed", |event| {
            event["data"]["object_kinds"] == json!(["data_center"])
        })
        .await;
    assert_eq!(
        (
            &announced["data"]["object_id"],
            &announced["data"]["action"]
        ),
        (&json!(dc_id), &json!("create"))
    );
    let core = app
        .created(
            "/api/v1/devices",
            &admin,
            &device_fields(&fleet, &devices[0], dc_id, "core"),
        )
        .await;
    let core_id = core["id"].as_i64().unwrap();
    until_up(&app, core_id).await;
    assert!(app.state.monitoring.data_center_summary(dc_id).is_some());

    // Two more in one import: both polled, and the first device's actor went on undisturbed.
    let rows = [1, 2].map(|idx| {
        let mut fields = device_fields(&fleet, &devices[idx], dc_id, "access");
        fields["data_center_code"] = json!("dc-live");
        fields.as_object_mut().unwrap().remove("data_center_id");
        fields
    });
    let import = json!({ "devices": rows });
    let response = app
        .post_json("/api/v1/inventory/import", Some(&admin), &import)
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let listed = app
        .get_ok(&format!("/api/v1/devices?data_center_id={dc_id}"), &admin)
        .await;
    let id_of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|device| device["name"] == name)
            .and_then(|device| device["id"].as_i64())
            .unwrap_or_else(|| panic!("{name} in {listed}"))
    };
    let (access_1, access_2) = (id_of(&devices[1].name), id_of(&devices[2].name));
    until_up(&app, access_1).await;
    until_up(&app, access_2).await;
    assert_eq!(app.state.monitoring.device_health(core_id), Some((0, 0)));

    // A link entered between the core and the first access switch: it is in the topology,
    // and an interface going down at its end is told as the link's state.
    let core_interfaces = interface_ids(&app, &admin, core_id).await;
    let access_interfaces = interface_ids(&app, &admin, access_1).await;
    let link = app
        .created(
            "/api/v1/links",
            &admin,
            &json!({
                "name": "core-access-1",
                "a_interface_id": interface_id(&core_interfaces, 2),
                "b_interface_id": interface_id(&access_interfaces, 1),
                "bandwidth_bps": 10_000_000_000_i64,
            }),
        )
        .await;
    let link_id = link["id"].as_i64().unwrap();
    let mut data_center_events = Watch::on(&app, &[&format!("dc/{dc_id}")]).await;
    while link_count(&app, dc_id).await == 0 {
        data_center_events.until_kind("dc.summary", |_| true).await;
    }
    fleet.set_link(1, 1, false).await;
    data_center_events
        .until_kind("link.state", |event| {
            event["data"]["link_id"] == link_id && event["data"]["up"] == false
        })
        .await;
    fleet.set_link(1, 1, true).await;

    // A device changed: asked with a community its agent refuses, it is unreachable at once
    // (not at its next turn), and raises its alarm.
    let mut access_events = Watch::on(&app, &[&format!("device/{access_2}")]).await;
    let response = app
        .patch_json(
            &format!("/api/v1/devices/{access_2}"),
            &admin,
            &json!({"credentials": {"version": "v2c", "community": "not-the-community"}}),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    access_events
        .until_kind("device.state", |event| {
            event["data"]["change"] == "unreachable"
        })
        .await;
    let raised = data_center_events
        .until_kind("alarm.raised", |event| {
            event["data"]["device_id"] == access_2
                && event["data"]["rule_name"] == "device unreachable"
        })
        .await;

    // Deleted (with the interfaces its polls recorded): its alarm is cleared saying why, and
    // it is no longer monitored.
    for (_, interface_id) in interface_ids(&app, &admin, access_2).await {
        let response = app
            .delete(&format!("/api/v1/interfaces/{interface_id}"), &admin)
            .await;
        assert_eq!(response.status(), 204);
    }
    let response = app
        .delete(&format!("/api/v1/devices/{access_2}"), &admin)
        .await;
    assert_eq!(response.status(), 204, "{}", response.text().await.unwrap());
    let cleared = data_center_events
        .until_kind("alarm.cleared", |event| {
            event["data"]["id"] == raised["data"]["id"]
        })
        .await;
    assert_eq!(cleared["data"]["clear_reason"], "device_removed");
    assert!(app
        .state
        .monitoring
        .device_state_view(access_2)
        .await
        .is_none());
    let state = app
        .get(&format!("/api/v1/devices/{access_2}/state"), Some(&admin))
        .await;
    assert_eq!(state.status(), 404);
    until_summary_shows(&app, dc_id, |app| {
        app.state
            .monitoring
            .data_center_summary(dc_id)
            .is_some_and(|summary| summary.devices == 2 && summary.alarms["critical"] == 0)
    })
    .await;

    // The link deleted: gone from the topology.
    let response = app
        .delete(&format!("/api/v1/links/{link_id}"), &admin)
        .await;
    assert_eq!(response.status(), 204);
    while link_count(&app, dc_id).await != 0 {
        data_center_events.until_kind("dc.summary", |_| true).await;
    }

    // A data center deleted: no longer monitored, and gone from the overview.
    let empty = app
        .created(
            "/api/v1/data-centers",
            &admin,
            &json!({"code": "dc-empty", "name": "空数据中心", "region": "west", "address": ""}),
        )
        .await;
    let empty_id = empty["id"].as_i64().unwrap();
    until_summary_shows(&app, empty_id, |app| {
        app.state.monitoring.data_center_summary(empty_id).is_some()
    })
    .await;
    let mut overview = Watch::on(&app, &["overview"]).await;
    let response = app
        .delete(&format!("/api/v1/data-centers/{empty_id}"), &admin)
        .await;
    assert_eq!(response.status(), 204);
    overview
        .until_kind("overview.summary", |event| {
            let listed = event["data"]["data_centers"].as_array().unwrap();
            !listed.iter().any(|dc| dc["data_center_id"] == empty_id)
                && listed.iter().any(|dc| dc["data_center_id"] == dc_id)
        })
        .await;
    assert!(app.state.monitoring.data_center_summary(empty_id).is_none());
    assert_eq!(app.state.monitoring.device_health(core_id), Some((0, 0)));
}

/// Two nodes on PostgreSQL and Redis: a device entered through one is polled by the other at
/// once (its write is announced to every node).
#[actix_web::test]
async fn a_device_entered_on_one_node_is_followed_by_another() {
    let Some(backend) = Backend::postgres_redis() else {
        return;
    };
    let storage = Storage::new(&backend).await;
    let writer = spawn_node(settings_for(&storage)).await;
    let watcher = spawn_node(settings_for(&storage)).await;
    writer.create_user("admin", Role::BureauAdmin, None).await;
    let admin = writer.login("admin").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 1,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let data_center = writer
        .created(
            "/api/v1/data-centers",
            &admin,
            &json!({"code": "dc-far", "name": "远端数据中心", "region": "north", "address": ""}),
        )
        .await;
    let dc_id = data_center["id"].as_i64().unwrap();
    let device = writer
        .created(
            "/api/v1/devices",
            &admin,
            &device_fields(&fleet, &fleet.devices()[0], dc_id, "core"),
        )
        .await;
    until_up(&watcher, device["id"].as_i64().unwrap()).await;
}

/// An alarm rule changed over the API is judged by at once: disabling it clears its alarm,
/// a new severity applies to the next raise, a new rule raises at the next poll and its
/// deletion clears that alarm; every change is audited.
async fn alarm_rules_changed_while_running_take_effect(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    app.create_user("supplier", Role::Supplier, None).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let ops = app.login("ops").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 1,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    fleet.send_traps_to(app.state.monitoring.trap_addr_opt().unwrap());
    let data_center = app
        .created(
            "/api/v1/data-centers",
            &ops,
            &json!({"code": "dc-rules", "name": "规则数据中心", "region": "east", "address": ""}),
        )
        .await;
    let dc_id = data_center["id"].as_i64().unwrap();
    let device = app
        .created(
            "/api/v1/devices",
            &ops,
            &device_fields(&fleet, &fleet.devices()[0], dc_id, "core"),
        )
        .await;
    let device_id = device["id"].as_i64().unwrap();
    until_up(&app, device_id).await;
    let mut alarms = Watch::on(&app, &[&format!("dc/{dc_id}")]).await;

    // "interface down" (rule 2) raises; disabled, its alarm clears.
    fleet.set_link(0, 1, false).await;
    let raised = alarms
        .until_kind("alarm.raised", |event| event["data"]["rule_id"] == 2)
        .await;
    assert_eq!(raised["data"]["severity"], "major");
    let disabled = app
        .patch_json("/api/v1/alarm-rules/2", &ops, &json!({"enabled": false}))
        .await;
    assert_eq!(disabled.status(), 200);
    let cleared = alarms
        .until_kind("alarm.cleared", |event| {
            event["data"]["id"] == raised["data"]["id"]
        })
        .await;
    assert_eq!(cleared["data"]["clear_reason"], "rule_changed");

    // Enabled again as critical: the next interface down is raised critical.
    let changed = app
        .patch_json(
            "/api/v1/alarm-rules/2",
            &ops,
            &json!({"enabled": true, "severity": "critical"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    fleet.set_link(0, 2, false).await;
    let critical = alarms
        .until_kind("alarm.raised", |event| {
            event["data"]["rule_id"] == 2 && event["data"]["instance"] == "2"
        })
        .await;
    assert_eq!(critical["data"]["severity"], "critical");

    // A rule of the device's own: raised at the next poll, cleared when deleted.
    let created = app
        .created(
            "/api/v1/alarm-rules",
            &ops,
            &json!({"name": "核心设备有负载", "metric": "cpu_percent", "comparison": "above",
                    "threshold": 0.0, "severity": "info",
                    "scope_kind": "device", "scope_value": device_id.to_string()}),
        )
        .await;
    let rule_id = created["id"].as_i64().unwrap();
    assert!(rule_id > 5, "{created}");
    let busy = loop {
        assert!(app.state.monitoring.poll_now(device_id));
        let event = alarms
            .until_kind("alarm.raised", |event| {
                event["data"]["rule_id"] == rule_id || event["kind"] == "dc.summary"
            })
            .await;
        if event["kind"] == "alarm.raised" {
            break event;
        }
    };
    assert_eq!(busy["data"]["rule_name"], "核心设备有负载");
    let response = app
        .delete(&format!("/api/v1/alarm-rules/{rule_id}"), &ops)
        .await;
    assert_eq!(response.status(), 204);
    let removed = alarms
        .until_kind("alarm.cleared", |event| {
            event["data"]["id"] == busy["data"]["id"]
        })
        .await;
    assert_eq!(removed["data"]["clear_reason"], "rule_removed");

    // Refused: fields the engine could not read, and writers other than operators.
    let refused = app
        .post_json(
            "/api/v1/alarm-rules",
            Some(&ops),
            &json!({"name": "x", "metric": "temperature", "comparison": "above",
                    "threshold": 1.0, "severity": "major"}),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "metric", "{body}");
    let supplier = app.login("supplier").await;
    let forbidden = app
        .patch_json(
            "/api/v1/alarm-rules/2",
            &supplier,
            &json!({"threshold": 1.0}),
        )
        .await;
    assert_eq!(forbidden.status(), 403);
    let rules = app.get_ok("/api/v1/alarm-rules", &supplier).await;
    assert!(rules
        .as_array()
        .unwrap()
        .iter()
        .all(|rule| rule["id"] != rule_id));

    let audit = app
        .get_ok(
            "/api/v1/audit?object_type=alarm_rule",
            &app.login("admin").await,
        )
        .await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "alarm_rule.deleted",
            "alarm_rule.created",
            "alarm_rule.changed",
            "alarm_rule.changed"
        ]
    );
}
