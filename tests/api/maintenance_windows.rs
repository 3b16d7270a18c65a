//! Maintenance windows through the API: a device silenced for planned work has its alarms
//! recorded as suppressed and told to nobody; when the window ends with the alarm still
//! active, it is told; after the window, alarms are told at once again. Windows are checked
//! field by field, audited, and closed to tenants.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Value};
use yunguan::identity::Role;
use yunguan_simulators::snmp::{Fleet, FleetConfig};

use crate::helpers::{fleet_row, spawn_app, Backend, TestApp};
use crate::on_every_backend;
use crate::openapi::assert_answer_is_documented;
use crate::receiver::{Post, Receiver};
use crate::watch::Watch;

on_every_backend!(a_window_suppresses_alarms_until_it_ends_and_then_not);

fn rfc3339(offset: chrono::Duration) -> String {
    (Utc::now() + offset).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The posts about alarm `id` so far, waiting up to `wait` for the first.
async fn posts_about(receiver: &Receiver, id: i64, wait: Duration) -> Vec<Post> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let found: Vec<Post> = receiver
            .posts()
            .into_iter()
            .filter(|post| post.body["data"]["id"] == id)
            .collect();
        if !found.is_empty() || tokio::time::Instant::now() >= deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn refused(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app
        .post_json("/api/v1/maintenance-windows", Some(token), &body)
        .await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], "validation_failed", "{error}");
    error["fields"].clone()
}

async fn a_window_suppresses_alarms_until_it_ends_and_then_not(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    app.create_user("supplier", Role::Supplier, None).await;
    let edu = app.create_tenant("edu").await;
    app.create_user("edu-dev", Role::TenantMember, Some(edu))
        .await;
    let admin = app.login("admin").await;
    let ops = app.login("ops").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 1,
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
    let router = fleet.devices().remove(0);
    let import = json!({
        "data_centers": [{"code": "dc-east", "name": "东区数据中心", "region": "east", "address": ""}],
        "devices": [fleet_row(&fleet, &router, "dc-east", "core")],
    });
    app.import(&admin, &import).await;
    let receiver = Receiver::start(None, None, &[]).await;
    app.created(
        "/api/v1/notification-channels",
        &admin,
        &json!({"name": "值班", "kind": "webhook", "url": receiver.url("/webhook/duty"),
                "alarms": true, "min_severity": "info"}),
    )
    .await;
    let devices = app.get_ok("/api/v1/devices", &ops).await;
    let device_id = devices[0]["id"].as_i64().unwrap();
    let mut device = Watch::on(&app, &[&format!("device/{device_id}")]).await;
    device
        .until_kind("device.sample", |sample| sample["data"]["status"] == "up")
        .await;

    // Windows are checked field by field, and the thing silenced must exist.
    let fields = refused(
        &app,
        &ops,
        json!({"name": "升级", "reason": " ", "scope_kind": "device", "scope_id": 999_999,
               "starts_at": rfc3339(chrono::Duration::hours(1)), "ends_at": rfc3339(chrono::Duration::zero())}),
    )
    .await;
    let named: Vec<&str> = fields
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["reason", "ends_at", "scope_id"], "{fields}");
    let fields = refused(
        &app,
        &ops,
        json!({"name": "每日备份", "reason": "backup", "scope_kind": "rack", "scope_id": device_id,
               "starts_at": rfc3339(chrono::Duration::zero()), "ends_at": rfc3339(chrono::Duration::hours(25)),
               "recurrence": "daily"}),
    )
    .await;
    assert_eq!(fields[0]["field"], "scope_kind", "{fields}");
    assert_eq!(fields[1]["field"], "ends_at", "{fields}");
    let tenant = app.login("edu-dev").await;
    let supplier = app.login("supplier").await;
    for token in [&tenant, &supplier] {
        let response = app
            .post_json("/api/v1/maintenance-windows", Some(token), &json!({}))
            .await;
        assert_eq!(response.status(), 403);
    }
    assert_eq!(
        app.get("/api/v1/maintenance-windows", Some(&tenant))
            .await
            .status(),
        403
    );

    // A window over the router for planned work, in force now.
    let window = app
        .created(
            "/api/v1/maintenance-windows",
            &ops,
            &json!({"name": "核心路由器割接", "reason": "CHG-2026-118: line card swap",
                    "scope_kind": "device", "scope_id": device_id,
                    "starts_at": rfc3339(-chrono::Duration::minutes(1)),
                    "ends_at": rfc3339(chrono::Duration::hours(2))}),
        )
        .await;
    let window_id = window["id"].as_i64().unwrap();
    assert!(window["active_until"].is_string(), "{window}");
    assert_eq!(window["recurrence"], "none");
    let listed = app.get_ok("/api/v1/maintenance-windows", &supplier).await;
    assert_answer_is_documented("/api/v1/maintenance-windows", "get", &listed[0]);
    assert_eq!(listed[0]["id"], window_id);

    // A link goes down during the work: recorded, suppressed, told to nobody.
    let mut alarms = Watch::on(&app, &["overview"]).await;
    fleet.set_link(0, 1, false).await;
    let raised = alarms
        .until_kind("alarm.raised", |event| event["data"]["instance"] == "1")
        .await;
    assert_eq!(
        raised["data"]["suppressed_by_window_id"], window_id,
        "{raised}"
    );
    assert!(raised["data"]["suppressed_until"].is_string(), "{raised}");
    let alarm_id = raised["data"]["id"].as_i64().unwrap();
    let told = posts_about(&receiver, alarm_id, Duration::from_secs(2)).await;
    assert!(told.is_empty(), "told during the window: {told:?}");

    // The work ends early, the link still down: the alarm is told once the window ends.
    let changed: Value = app
        .patch_json(
            &format!("/api/v1/maintenance-windows/{window_id}"),
            &ops,
            &json!({"ends_at": rfc3339(chrono::Duration::zero())}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed["active_until"], Value::Null, "{changed}");
    let released = alarms
        .until_kind("alarm.updated", |event| {
            event["data"]["id"] == alarm_id && event["data"]["suppressed_until"].is_null()
        })
        .await;
    assert_eq!(released["data"]["suppressed_by_window_id"], window_id);
    let told = posts_about(&receiver, alarm_id, Duration::from_secs(10)).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].event.as_deref(), Some("alarm.raised"));

    // After the window, an alarm is told at once.
    fleet.set_link(0, 2, false).await;
    let raised = alarms
        .until_kind("alarm.raised", |event| event["data"]["instance"] == "2")
        .await;
    assert_eq!(raised["data"]["suppressed_by_window_id"], Value::Null);
    let second_id = raised["data"]["id"].as_i64().unwrap();
    let told = posts_about(&receiver, second_id, Duration::from_secs(10)).await;
    assert_eq!(told.len(), 1, "{told:?}");

    // Every change is audited; a deleted window is gone.
    let deleted = app
        .delete(&format!("/api/v1/maintenance-windows/{window_id}"), &ops)
        .await;
    assert_eq!(deleted.status(), 204);
    let again = app
        .delete(&format!("/api/v1/maintenance-windows/{window_id}"), &ops)
        .await;
    assert_eq!(again.status(), 404);
    let audit = app
        .get_ok("/api/v1/audit?object_type=maintenance_window", &admin)
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
            "maintenance_window.deleted",
            "maintenance_window.changed",
            "maintenance_window.created"
        ]
    );
}
