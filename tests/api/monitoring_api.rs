//! Monitoring through the API, the way an operator meets it: devices entered in the inventory
//! (by JSON import) are polled by a node that starts on that inventory; their live state,
//! topology and alarms are read, alarms acknowledged and cleared over HTTP; tenants see none
//! of it; one-minute rollups are stored and read back as a series.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use yunguan::identity::Role;
use yunguan::monitoring::rollups::{self, MetricPoint, RollupBuffer, Subject};
use yunguan_simulators::snmp::{Fleet, FleetConfig};

use crate::helpers::{
    fleet_row, settings_for, spawn_app, spawn_app_with, spawn_node, Backend, TestApp,
};
use crate::on_every_backend;
use crate::openapi::assert_answer_is_documented;
use crate::receiver::Receiver;
use crate::watch::Watch;

on_every_backend!(
    imported_devices_are_polled_and_their_alarms_handled_over_http,
    rollups_are_stored_per_device_minute_and_read_as_a_series,
    a_node_with_monitoring_off_listens_for_no_traps,
);

async fn a_node_with_monitoring_off_listens_for_no_traps(backend: Backend) {
    // Its trap port is taken: a node that still bound it would not start.
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let trap_listen = taken.local_addr().unwrap();
    let (app, _storage) = spawn_app_with(backend, |settings| {
        settings.monitoring.enabled = false;
        settings.monitoring.trap_listen = trap_listen;
    })
    .await;
    assert_eq!(app.state.monitoring.trap_addr_opt(), None);
    assert_eq!(app.get("/readyz", None).await.status().as_u16(), 200);
}

async fn get_json(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let response = app.get(path, Some(token)).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn imported_devices_are_polled_and_their_alarms_handled_over_http(backend: Backend) {
    // The node that takes the import does not poll (it would follow the import): the node
    // started on the inventory afterwards does, alone.
    let (app, storage) =
        spawn_app_with(backend, |settings| settings.monitoring.enabled = false).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let edu = app.create_tenant("edu").await;
    app.create_user("edu-dev", Role::TenantMember, Some(edu))
        .await;
    app.create_user("supplier", Role::Supplier, None).await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 2,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let admin = app.login("admin").await;
    let import = json!({
        "data_centers": [{"code": "dc-east", "name": "东区数据中心", "region": "east", "address": ""}],
        "devices": fleet.devices().iter().map(|d| fleet_row(&fleet, d, "dc-east", if d.idx == 0 { "core" } else { "access" })).collect::<Vec<_>>(),
    });
    app.import(&admin, &import).await;
    // The duty group's webhook hears of every root-cause alarm.
    let receiver = Receiver::start(None, None, &[]).await;
    app.created(
        "/api/v1/notification-channels",
        &admin,
        &json!({"name": "值班", "kind": "webhook", "url": receiver.url("/webhook/duty"),
                "alarms": true, "min_severity": "info"}),
    )
    .await;

    // A node started on this inventory polls it.
    let node = spawn_node(settings_for(&storage)).await;
    fleet.send_traps_to(
        node.state
            .monitoring
            .trap_addr_opt()
            .expect("monitoring listens for traps"),
    );
    let ops = node.login("ops").await;
    let (_, devices) = get_json(&node, "/api/v1/devices", &ops).await;
    let device_ids: Vec<i64> = devices
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(device_ids.len(), 2);
    for device_id in &device_ids {
        let mut watch = Watch::on(&node, &[&format!("device/{device_id}")]).await;
        let path = format!("/api/v1/devices/{device_id}/state");
        let (status, view) = get_json(&node, &path, &ops).await;
        if status == 200 && view["status"] == "up" {
            continue;
        }
        watch
            .until_kind("device.sample", |sample| sample["data"]["status"] == "up")
            .await;
        let (status, view) = get_json(&node, &path, &ops).await;
        assert_eq!((status, &view["status"]), (200, &json!("up")), "{view}");
        assert!(!view["interfaces"].as_array().unwrap().is_empty());
        assert_answer_is_documented("/api/v1/devices/{id}/state", "get", &view);
    }
    // The poll's interfaces are written back to the inventory, by a writer behind the poll
    // that announces nothing: this one wait reads the API until they are there.
    let deadline = Instant::now() + Duration::from_secs(20);
    let interfaces_path = format!("/api/v1/interfaces?device_id={}", device_ids[1]);
    loop {
        let (_, interfaces) = get_json(&node, &interfaces_path, &ops).await;
        if !interfaces.as_array().unwrap().is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "interfaces never written: {interfaces}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, topology) = get_json(&node, "/api/v1/datacenters/1/topology", &ops).await;
    assert_eq!(status, 200, "{topology}");
    assert_eq!(topology["nodes"].as_array().unwrap().len(), 2);

    // A link goes down: an alarm, acknowledged then cleared by hand.
    let mut alarms = Watch::on(&node, &["overview"]).await;
    fleet.set_link(1, 1, false).await;
    let raised = alarms
        .until_kind("alarm.raised", |event| {
            event["data"]["rule_name"] == "interface down"
        })
        .await;
    let (_, active) = get_json(&node, "/api/v1/alarms?state=active", &ops).await;
    let alarm = active
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == raised["data"]["id"])
        .unwrap_or_else(|| panic!("the raised alarm is active: {active}"))
        .clone();
    assert_eq!(alarm["instance"], "1");
    let id = alarm["id"].as_i64().unwrap();
    let mut posted = Vec::new();
    for _ in 0..100 {
        posted = receiver.posts();
        if posted.iter().any(|p| p.body["data"]["id"] == id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let post = posted
        .iter()
        .find(|p| p.body["data"]["id"] == id)
        .unwrap_or_else(|| panic!("alarm {id} was not posted: {posted:?}"));
    assert_eq!(post.event.as_deref(), Some("alarm.raised"));
    assert_eq!(post.body["data"]["rule_name"], "interface down");
    assert!(post.body["title"]
        .as_str()
        .unwrap()
        .contains("interface down"));
    let acknowledged: Value = node
        .post_json(
            &format!("/api/v1/alarms/{id}/acknowledge"),
            Some(&ops),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(acknowledged["state"], "acknowledged");
    let again = node
        .post_json(
            &format!("/api/v1/alarms/{id}/acknowledge"),
            Some(&ops),
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 409);
    let cleared: Value = node
        .post_json(
            &format!("/api/v1/alarms/{id}/clear"),
            Some(&ops),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["state"], "cleared");
    assert_eq!(cleared["clear_reason"], "operator");
    // One alarm, in any state, for those who watch.
    let supplier = node.login("supplier").await;
    for token in [&ops, &supplier] {
        let (status, one) = get_json(&node, &format!("/api/v1/alarms/{id}"), token).await;
        assert_eq!(status, 200, "{one}");
        for field in [
            "id",
            "state",
            "clear_reason",
            "rule_name",
            "device_id",
            "instance",
        ] {
            assert_eq!(one[field], cleared[field], "{field}");
        }
    }
    let (status, missing) = get_json(&node, &format!("/api/v1/alarms/{}", id + 1000), &ops).await;
    assert_eq!((status, &missing["code"]), (404, &json!("not_found")));

    // Tenants see none of it; suppliers watch but do not handle alarms.
    let tenant = node.login("edu-dev").await;
    for path in [
        format!("/api/v1/devices/{}/state", device_ids[0]),
        "/api/v1/alarms".to_owned(),
        format!("/api/v1/alarms/{id}"),
        "/api/v1/datacenters/1/topology".to_owned(),
        "/api/v1/overview".to_owned(),
    ] {
        let (status, _) = get_json(&node, &path, &tenant).await;
        assert_eq!(status, 403, "{path}");
    }
    let acknowledge = node
        .post_json(
            &format!("/api/v1/alarms/{id}/acknowledge"),
            Some(&tenant),
            &json!({}),
        )
        .await;
    assert_eq!(acknowledge.status(), 403);
    let mut socket = node.ws(&tenant).await;
    socket
        .send(json!({"op": "subscribe", "topic": format!("device/{}", device_ids[0])}))
        .await;
    let refused = socket.next_json().await;
    assert_eq!(refused["code"], "forbidden_topic", "{refused}");
    node.stop.stop().await;
}

async fn rollups_are_stored_per_device_minute_and_read_as_a_series(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let ops = app.login("ops").await;
    let now_ms = chrono::Utc::now().timestamp_millis() as u64;
    let minute_ms = now_ms - now_ms % 60_000 - 120_000;
    let mut buffer = RollupBuffer::default();
    for (offset_ms, cpu, inbound) in [(0, 10.0, 1e6), (20_000, 30.0, 3e6), (60_000, 50.0, 5e6)] {
        buffer.add(
            Subject::Device(9),
            minute_ms + offset_ms,
            &[
                MetricPoint {
                    metric: "cpu_percent",
                    instance: 0,
                    value: cpu,
                },
                MetricPoint {
                    metric: "interface_in_bps",
                    instance: 3,
                    value: inbound,
                },
            ],
        );
    }
    let finished = buffer.take_finished(now_ms);
    assert_eq!(finished.len(), 2);
    rollups::store(&app.db, &finished).await.unwrap();
    // Stored twice (a retried batch): still one row per minute.
    rollups::store(&app.db, &finished).await.unwrap();
    let (status, series) = get_json(
        &app,
        "/api/v1/devices/9/metrics?metric=cpu_percent&from=2020-01-01T00:00:00Z",
        &ops,
    )
    .await;
    assert_eq!(status, 200, "{series}");
    let points: Vec<(f64, f64, f64, i64)> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["min"].as_f64().unwrap(),
                p["max"].as_f64().unwrap(),
                p["avg"].as_f64().unwrap(),
                p["samples"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(points, vec![(10.0, 30.0, 20.0, 2), (50.0, 50.0, 50.0, 1)]);
    let (_, interface) = get_json(
        &app,
        "/api/v1/devices/9/metrics?metric=interface_in_bps&instance=3&from=2020-01-01T00:00:00Z",
        &ops,
    )
    .await;
    assert_eq!(interface.as_array().unwrap().len(), 2);
    let (status, refused) =
        get_json(&app, "/api/v1/devices/9/metrics?metric=temperature", &ops).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], "validation_failed");
}
