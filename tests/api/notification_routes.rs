//! Notification routing with real polling: channels and people's mail that take alarms of some
//! data centers or some kinds of device hear of those alone; a route that names none hears of
//! all, and a person who chose nothing is mailed as their role is. Routes naming what does
//! not exist are refused; a person's route is chosen by them or a bureau admin only.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use yunguan::db::entities::{audit_record, mail_outbox};
use yunguan::identity::Role;
use yunguan_simulators::snmp::{DeviceKind, Fleet, FleetConfig};

use crate::helpers::{fleet_row, spawn_app, Backend, TestApp};
use crate::on_every_backend;
use crate::openapi::assert_answer_is_documented;
use crate::receiver::Receiver;
use crate::tickets::user_with_email;
use crate::watch::Watch;

on_every_backend!(
    alarms_reach_the_channels_and_people_routed_to_their_data_center_and_device_kind,
    a_person_s_alarm_mail_is_chosen_by_them_or_a_bureau_admin,
);

async fn alarms_reach_the_channels_and_people_routed_to_their_data_center_and_device_kind(
    backend: Backend,
) {
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
        "devices": devices.iter().map(|d| fleet_row(&fleet, d, if d.idx == 0 { "dc-east" } else { "dc-west" }, "core")).collect::<Vec<_>>(),
    });
    app.import(&admin, &import).await;
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

    // People of the bureau and the alarms mailed to them.
    let edu = app.create_tenant("edu").await;
    user_with_email(&app, "tenant-dev", Role::TenantMember, Some(edu)).await;
    user_with_email(&app, "noc", Role::BureauOperator, None).await;
    user_with_email(&app, "boss", Role::BureauAdmin, None).await;
    let noc_east = user_with_email(&app, "noc-east", Role::BureauOperator, None).await;
    let lead = user_with_email(&app, "lead", Role::BureauManager, None).await;
    let quiet = user_with_email(&app, "quiet", Role::BureauOperator, None).await;
    let own = app.login("noc-east").await;
    choose(
        &app,
        &own,
        noc_east,
        json!({"raised_min_severity": "major", "escalations": false,
                                         "data_center_ids": [east]}),
    )
    .await;
    choose(
        &app,
        &admin,
        lead,
        json!({"raised_min_severity": "minor", "escalations": true,
                                       "device_kinds": ["firewall"]}),
    )
    .await;
    choose(&app, &admin, quiet, json!({"escalations": false})).await;

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
    let mails = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Template.eq("alarm_raised"))
        .all(&app.db)
        .await
        .unwrap();
    let mailed_of = |device: &str| -> Vec<&str> {
        let mut people: Vec<&str> = mails
            .iter()
            .filter(|mail| mail.body.contains(device))
            .map(|mail| mail.recipient.trim_end_matches("@gov.example"))
            .collect();
        people.sort();
        people
    };
    assert_eq!(mails.len(), 6, "{mails:?}");
    assert_eq!(mailed_of(&devices[0].name), ["boss", "noc", "noc-east"]);
    assert_eq!(mailed_of(&devices[1].name), ["boss", "lead", "noc"]);
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

/// Chooses `user_id`'s alarm mail as `token`; answers the route.
async fn choose(app: &TestApp, token: &str, user_id: i64, route: Value) -> Value {
    let response = app
        .put_json(
            &format!("/api/v1/alarm-mail-routes/{user_id}"),
            token,
            &route,
        )
        .await;
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["chosen"], true);
    answer
}

async fn a_person_s_alarm_mail_is_chosen_by_them_or_a_bureau_admin(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let admin_id = app.create_user("admin", Role::BureauAdmin, None).await;
    let noc_id = user_with_email(&app, "noc", Role::BureauOperator, None).await;
    let manager_id = user_with_email(&app, "manager", Role::BureauManager, None).await;
    let edu = app.create_tenant("edu").await;
    let tenant_admin_id = user_with_email(&app, "edu-admin", Role::TenantAdmin, Some(edu)).await;
    let admin = app.login("admin").await;
    let noc = app.login("noc").await;
    let tenant_admin = app.login("edu-admin").await;

    // A bureau admin reads everyone of the bureau, each with their role's default.
    let routes = app.get_ok("/api/v1/alarm-mail-routes", &admin).await;
    assert_answer_is_documented("/api/v1/alarm-mail-routes", "get", &routes[0]);
    let summary: Vec<(i64, Value, Value, bool)> = routes
        .as_array()
        .unwrap()
        .iter()
        .map(|route| {
            (
                route["user_id"].as_i64().unwrap(),
                route["raised_min_severity"].clone(),
                route["escalations"].clone(),
                route["chosen"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (admin_id, json!("major"), json!(true), false),
            (noc_id, json!("major"), json!(false), false),
            (manager_id, Value::Null, json!(true), false),
        ]
    );
    assert_eq!(routes[0]["email"], Value::Null, "admin has no address");
    // The others read their own only; tenants none.
    let own = app.get_ok("/api/v1/alarm-mail-routes", &noc).await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["user_id"], noc_id);
    let response = app
        .get("/api/v1/alarm-mail-routes", Some(&tenant_admin))
        .await;
    assert_eq!(response.status(), 403);

    // An operator chooses their own, not another's.
    let chosen = choose(
        &app,
        &noc,
        noc_id,
        json!({"raised_min_severity": "critical",
                                                   "escalations": true,
                                                   "device_kinds": ["router", "switch"]}),
    )
    .await;
    assert_answer_is_documented("/api/v1/alarm-mail-routes/{user_id}", "put", &chosen);
    assert_eq!(chosen["raised_min_severity"], "critical");
    assert_eq!(chosen["device_kinds"], json!(["router", "switch"]));
    assert_eq!(chosen["data_center_ids"], Value::Null);
    let response = app
        .put_json(
            &format!("/api/v1/alarm-mail-routes/{manager_id}"),
            &noc,
            &json!({"escalations": false}),
        )
        .await;
    assert_eq!(response.status(), 403);
    // Nobody outside the bureau has a route, nor does an unknown id.
    for user_id in [tenant_admin_id, 999_999] {
        let response = app
            .put_json(
                &format!("/api/v1/alarm-mail-routes/{user_id}"),
                &admin,
                &json!({"escalations": false}),
            )
            .await;
        assert_eq!(response.status(), 404, "user {user_id}");
    }
    // Unknown places and severities are refused.
    let response = app
        .put_json(
            &format!("/api/v1/alarm-mail-routes/{noc_id}"),
            &admin,
            &json!({"escalations": true, "data_center_ids": [999_999], "device_kinds": []}),
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
    let response = app
        .put_json(
            &format!("/api/v1/alarm-mail-routes/{noc_id}"),
            &admin,
            &json!({"raised_min_severity": "dire", "escalations": true}),
        )
        .await;
    assert_eq!(response.status(), 422);

    // Reset: the role's default again, answered.
    let response = app
        .delete(&format!("/api/v1/alarm-mail-routes/{noc_id}"), &admin)
        .await;
    assert_eq!(response.status(), 200);
    let reset: Value = response.json().await.unwrap();
    assert_eq!(
        (
            &reset["chosen"],
            &reset["raised_min_severity"],
            &reset["escalations"]
        ),
        (&json!(false), &json!("major"), &json!(false))
    );
    let actions: Vec<String> = audit_record::Entity::find()
        .filter(audit_record::Column::ObjectType.eq("alarm_mail_route"))
        .order_by_asc(audit_record::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|record| format!("{} {}", record.action, record.object_id))
        .collect();
    assert_eq!(
        actions,
        [
            format!("alarm_mail_route.choose {noc_id}"),
            format!("alarm_mail_route.reset {noc_id}"),
        ]
    );
}
