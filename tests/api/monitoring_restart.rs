//! Alarms outlive a restart: a node started on the same storage takes back the open alarms,
//! acknowledged ones stay acknowledged (and cannot be acknowledged twice), the first polls
//! confirm them without raising them again, and they clear on the same record.

use serde_json::{json, Value};
use yunguan::db::entities::alarm;
use yunguan::identity::Role;
use yunguan_simulators::snmp::{Fleet, FleetConfig};

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{fleet_row, settings_for, spawn_app, spawn_node, Backend, TestApp};
use crate::on_every_backend;
use crate::watch::Watch;

on_every_backend!(acknowledged_alarms_stay_acknowledged_across_a_restart);

/// Waits until the node has polled the device and found it up.
async fn until_up(app: &TestApp, device_id: i64) {
    let mut watch = Watch::on(app, &[&format!("device/{device_id}")]).await;
    if let Some(view) = app.state.monitoring.device_state_view(device_id).await {
        if view.status == "up" {
            return;
        }
    }
    watch
        .until_kind("device.sample", |sample| sample["data"]["status"] == "up")
        .await;
}

async fn acknowledge(app: &TestApp, token: &str, alarm_id: i64) -> (u16, Value) {
    let response = app
        .post_json(
            &format!("/api/v1/alarms/{alarm_id}/acknowledge"),
            Some(token),
            &json!({}),
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn acknowledged_alarms_stay_acknowledged_across_a_restart(backend: Backend) {
    let (first, storage) = spawn_app(backend).await;
    first.create_user("ops", Role::BureauOperator, None).await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 2,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    fleet.send_traps_to(first.state.monitoring.trap_addr_opt().unwrap());
    let ops = first.login("ops").await;
    let import = json!({
        "data_centers": [{"code": "dc-east", "name": "东区数据中心", "region": "east", "address": ""}],
        "devices": fleet.devices().iter().map(|d| fleet_row(&fleet, d, "dc-east", if d.idx == 0 { "core" } else { "access" })).collect::<Vec<_>>(),
    });
    first.import(&ops, &import).await;
    let devices = first.get_ok("/api/v1/devices", &ops).await;
    let device_id = devices[1]["id"].as_i64().unwrap();
    until_up(&first, device_id).await;

    // Two interfaces go down: one alarm is acknowledged, the other is not.
    let mut alarms = Watch::on(&first, &["overview"]).await;
    let mut raised = Vec::new();
    for (if_index, instance) in [(1, "1"), (2, "2")] {
        fleet.set_link(1, if_index, false).await;
        let event = alarms
            .until_kind("alarm.raised", |event| {
                event["data"]["instance"] == instance
            })
            .await;
        raised.push(event["data"]["id"].as_i64().unwrap());
    }
    let (status, acknowledged) = acknowledge(&first, &ops, raised[0]).await;
    assert_eq!(
        (status, &acknowledged["state"]),
        (200, &json!("acknowledged"))
    );
    first.stop.stop().await;

    // A node started on the same storage has them as they were.
    let second = spawn_node(settings_for(&storage)).await;
    fleet.send_traps_to(second.state.monitoring.trap_addr_opt().unwrap());
    let ops = second.login("ops").await;
    let mut alarms = Watch::on(&second, &["overview"]).await;
    for (alarm_id, state) in [(raised[0], "acknowledged"), (raised[1], "raised")] {
        let row = second
            .get_ok(&format!("/api/v1/alarms/{alarm_id}"), &ops)
            .await;
        assert_eq!(row["state"], state, "{row}");
    }
    let (status, refused) = acknowledge(&second, &ops, raised[0]).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("already acknowledged"),
        "{refused}"
    );
    // The first poll finds both interfaces still down: nothing is raised again.
    let mut device_events = Watch::on(&second, &[&format!("device/{device_id}")]).await;
    assert!(second.state.monitoring.poll_now(device_id));
    device_events
        .until_kind("device.sample", |sample| sample["data"]["status"] == "up")
        .await;
    let open = alarm::Entity::find()
        .filter(alarm::Column::DeviceId.eq(device_id))
        .filter(alarm::Column::State.ne("cleared"))
        .count(&second.db)
        .await
        .unwrap();
    assert_eq!(open, 2);

    // The second can still be acknowledged, and both clear on their own records.
    let (status, _) = acknowledge(&second, &ops, raised[1]).await;
    assert_eq!(status, 200);
    for (if_index, alarm_id) in [(1, raised[0]), (2, raised[1])] {
        fleet.set_link(1, if_index, true).await;
        let cleared = alarms
            .until_kind("alarm.cleared", |event| event["data"]["id"] == alarm_id)
            .await;
        assert_eq!(cleared["data"]["clear_reason"], "condition_ended");
    }
    let raised_again = alarm::Entity::find()
        .filter(alarm::Column::DeviceId.eq(device_id))
        .count(&second.db)
        .await
        .unwrap();
    assert_eq!(raised_again, 2, "no alarm was raised twice");
}
