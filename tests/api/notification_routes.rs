//! Notification routing with real polling: channels that carry alarms of some data centers or
//! some kinds of device hear of those alone; a channel that names none hears of all. Routes
//! naming what does not exist are refused.

use serde_json::{json, Value};
use yunguan::identity::Role;
use yunguan_simulators::snmp::{DeviceKind, Fleet, FleetConfig};

use crate::helpers::{spawn_app, Backend};
use crate::on_every_backend;
use crate::receiver::Receiver;
use crate::watch::Watch;

on_every_backend!(alarms_reach_the_channels_routed_to_their_data_center_and_device_kind);

async fn alarms_reach_the_channels_routed_to_their_data_center_and_device_kind(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 2,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    fleet.send_traps_to(
        app.state
            .monitoring
            .trap_addr_opt()
            .expect("a trap listener"),
    );
    let devices = fleet.devices();
    assert_eq!(
        (devices[0].kind, devices[1].kind),
        (DeviceKind::Router, DeviceKind::Firewall)
    );
    // The router in the east, the firewall in the west.
    let import = json!({
        "data_centers": [
            {"code": "dc-east", "name": "东区数据中心", "region": "east", "address": ""},
            {"code": "dc-west", "name": "西区数据中心", "region": "west", "address": ""},
        ],
        "devices": devices.iter().map(|d| json!({
            "data_center_code": if d.idx == 0 { "dc-east" } else { "dc-west" },
            "name": d.name,
            "kind": d.kind.as_str(),
            "tier": "core",
            "vendor": "sim",
            "model": "sim",
            "management_address": fleet.local_addr().to_string(),
            "credentials": {"version": "v2c", "community": d.community},
            "poll_interval_secs": 10,
        })).collect::<Vec<_>>(),
    });
    let response = app
        .post_json("/api/v1/inventory/import", Some(&admin), &import)
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let data_centers = app.get_ok("/api/v1/data-centers", &admin).await;
    let east = data_centers
        .as_array()
        .unwrap()
        .iter()
        .find(|dc| dc["code"] == "dc-east")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    // Routes naming what does not exist are refused, field by field.
    let response = app
        .post_json(
            "/api/v1/notification-channels",
            Some(&admin),
            &json!({"name": "错", "kind": "webhook", "url": "http://127.0.0.1:9/x", "alarms": true,
                    "data_center_ids": [999_999], "device_kinds": ["toaster"]}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    let fields: Vec<&str> = error["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["data_center_ids", "device_kinds"], "{error}");

    let receiver = Receiver::start(None, None, &[]).await;
    let mut channel_ids = Vec::new();
    for (name, path, route) in [
        (
            "东区值班",
            "/webhook/east",
            json!({"data_center_ids": [east]}),
        ),
        (
            "安全组",
            "/webhook/firewalls",
            json!({"device_kinds": ["firewall"]}),
        ),
        ("总值班", "/webhook/all", json!({})),
    ] {
        let mut body = json!({"name": name, "kind": "webhook", "url": receiver.url(path),
                              "alarms": true, "min_severity": "info"});
        body.as_object_mut()
            .unwrap()
            .extend(route.as_object().unwrap().clone());
        let channel = app
            .created("/api/v1/notification-channels", &admin, &body)
            .await;
        for field in ["data_center_ids", "device_kinds"] {
            assert_eq!(
                channel[field],
                body.get(field).cloned().unwrap_or(Value::Null)
            );
        }
        channel_ids.push(channel["id"].as_i64().unwrap());
    }

    // Both devices polled, then a link of each goes down.
    let mut overview = Watch::on(&app, &["overview"]).await;
    for device in app
        .get_ok("/api/v1/devices", &admin)
        .await
        .as_array()
        .unwrap()
    {
        let id = device["id"].as_i64().unwrap();
        let mut watch = Watch::on(&app, &[&format!("device/{id}")]).await;
        let state = app
            .get_ok(&format!("/api/v1/devices/{id}/state"), &admin)
            .await;
        if state["status"] != "up" {
            watch
                .until_kind("device.sample", |sample| sample["data"]["status"] == "up")
                .await;
        }
    }
    fleet.set_link(0, 1, false).await;
    fleet.set_link(1, 1, false).await;
    for _ in 0..2 {
        overview
            .until_kind("alarm.raised", |event| event["data"]["instance"] == "1")
            .await;
    }
    // An alarm is announced after its transaction, posts included, commits: every post of
    // both is queued by now.
    let mut queued = Vec::new();
    for id in &channel_ids {
        let deliveries = app
            .get_ok(
                &format!("/api/v1/notification-channels/{id}/deliveries"),
                &admin,
            )
            .await;
        queued.push(deliveries.as_array().unwrap().len());
    }
    assert_eq!(queued, [1, 1, 2], "east, firewalls, all");
    assert_eq!(
        told(&receiver, "/webhook/east", 1).await,
        [devices[0].name.clone()]
    );
    assert_eq!(
        told(&receiver, "/webhook/firewalls", 1).await,
        [devices[1].name.clone()]
    );
    assert_eq!(
        told(&receiver, "/webhook/all", 2).await,
        [devices[1].name.clone(), devices[0].name.clone()]
    );
}

/// The devices the first `count` alarm posts to `path` name, sorted.
async fn told(receiver: &Receiver, path: &str, count: usize) -> Vec<String> {
    let mut names: Vec<String> = receiver
        .wait_for(path, count)
        .await
        .iter()
        .map(|post| {
            post.body["data"]["device_name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    names.sort();
    names
}
