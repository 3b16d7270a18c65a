//! The CMDB's objects over HTTP: create, read, update, delete with their history; SNMP
//! credentials sealed in the database and never answered; deletes refused while children
//! exist; and what the monitoring side reads and writes.

use sea_orm::EntityTrait;
use serde_json::{json, Value};
use yunguan::db::entities::device;
use yunguan::identity::Role;
use yunguan::monitoring::discovered::{upsert_interfaces, InterfaceUpsert};
use yunguan::monitoring::messages::DiscoveredInterface;
use yunguan::monitoring::plan::{data_center_ids, links_between_devices, monitored_devices};
use yunguan::monitoring::topology::DeviceLink;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_every_backend;

on_every_backend!(
    inventory_crud_round_trips_with_history,
    inventory_credentials_are_sealed_and_never_returned,
    inventory_delete_is_refused_while_children_exist_and_fields_are_validated,
    inventory_monitoring_reads_devices_and_links_and_records_discovered_interfaces,
    amounts_and_ratios_have_the_bounds_their_meaning_allows,
);

/// A data center `dc-1` with a room and a rack, as the bureau admin; returns the admin's token
/// and the ids.
pub(crate) struct Site {
    pub admin: String,
    pub data_center_id: i64,
    pub room_id: i64,
    pub rack_id: i64,
}

pub(crate) async fn site(app: &TestApp) -> Site {
    app.create_user("admin", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    let data_center = app
        .created(
            "/api/v1/data-centers",
            &admin,
            &json!({"code": "dc-1", "name": "东区数据中心", "region": "east", "address": "1 Data Rd"}),
        )
        .await;
    let data_center_id = data_center["id"].as_i64().unwrap();
    let room = app
        .created(
            "/api/v1/machine-rooms",
            &admin,
            &json!({"data_center_id": data_center_id, "name": "A1", "floor": 2}),
        )
        .await;
    let room_id = room["id"].as_i64().unwrap();
    let rack = app
        .created(
            "/api/v1/racks",
            &admin,
            &json!({"room_id": room_id, "name": "R01"}),
        )
        .await;
    Site {
        admin,
        data_center_id,
        room_id,
        rack_id: rack["id"].as_i64().unwrap(),
    }
}

pub(crate) fn switch(data_center_id: i64, name: &str, community: &str) -> Value {
    json!({
        "data_center_id": data_center_id, "name": name, "kind": "switch", "tier": "access",
        "vendor": "Huawei", "model": "S5735", "management_address": "10.0.0.1",
        "credentials": {"version": "v2c", "community": community},
    })
}

async fn inventory_crud_round_trips_with_history(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let site = site(&app).await;
    let admin = &site.admin;
    assert_eq!(
        app.get_ok(&format!("/api/v1/racks/{}", site.rack_id), admin)
            .await["height_u"],
        42
    );

    let mut body = switch(site.data_center_id, "sw-1", "public-1");
    body["rack_id"] = json!(site.rack_id);
    let created = app.created("/api/v1/devices", admin, &body).await;
    let device_id = created["id"].as_i64().unwrap();
    assert_eq!(created["management_address"], "10.0.0.1");
    assert_eq!(created["poll_interval_secs"], 60);
    assert_eq!(created["rack_id"], site.rack_id);

    let response = app
        .patch_json(
            &format!("/api/v1/devices/{device_id}"),
            admin,
            &json!({"name": "sw-1a", "management_address": "10.0.0.1:1161", "rack_id": null}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["name"], "sw-1a");
    assert_eq!(updated["rack_id"], Value::Null);
    // Fields not sent are kept.
    assert_eq!(updated["vendor"], "Huawei");
    assert_eq!(updated["snmp_version"], "v2c");

    let listed = app
        .get_ok(
            &format!(
                "/api/v1/devices?data_center_id={}&kind=switch",
                site.data_center_id
            ),
            admin,
        )
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let none = app.get_ok("/api/v1/devices?kind=router", admin).await;
    assert_eq!(none, json!([]));
    // By a part of the name, whatever its case; LIKE's wildcards are plain characters.
    for (text, found) in [("SW-1", 1), ("w-1A", 1), ("sw%", 0), ("sw_1", 0), ("", 1)] {
        let listed = app
            .get_ok(
                &format!(
                    "/api/v1/devices?name={}",
                    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
                ),
                admin,
            )
            .await;
        assert_eq!(listed.as_array().unwrap().len(), found, "{text:?}");
    }

    let history = app
        .get_ok(
            &format!("/api/v1/inventory/changes?object_kind=device&object_id={device_id}"),
            admin,
        )
        .await;
    let history = history.as_array().unwrap();
    let actions: Vec<&str> = history
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["update", "create"]);
    assert_eq!(history[0]["actor_kind"], "user");
    assert_eq!(history[0]["actor_name"], "admin");
    assert_eq!(history[0]["before"]["name"], "sw-1");
    assert_eq!(history[0]["after"]["name"], "sw-1a");
    assert_eq!(history[1]["before"], Value::Null);

    let response = app
        .delete(&format!("/api/v1/devices/{device_id}"), admin)
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.get(&format!("/api/v1/devices/{device_id}"), Some(admin))
            .await
            .status(),
        404
    );
    let history = app
        .get_ok(
            &format!("/api/v1/inventory/changes?object_kind=device&object_id={device_id}&limit=1"),
            admin,
        )
        .await;
    assert_eq!(history[0]["action"], "delete");
    assert_eq!(history[0]["after"], Value::Null);

    // An update that changes nothing records nothing.
    let before = app
        .get_ok("/api/v1/inventory/changes?object_kind=data_center", admin)
        .await;
    let response = app
        .patch_json(
            &format!("/api/v1/data-centers/{}", site.data_center_id),
            admin,
            &json!({"region": "east"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let after = app
        .get_ok("/api/v1/inventory/changes?object_kind=data_center", admin)
        .await;
    assert_eq!(before, after);
}

async fn inventory_credentials_are_sealed_and_never_returned(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let site = site(&app).await;
    let admin = &site.admin;
    let v2c = app
        .created(
            "/api/v1/devices",
            admin,
            &switch(site.data_center_id, "sw-1", "s3cret-community"),
        )
        .await;
    let v3 = app
        .created(
            "/api/v1/devices",
            admin,
            &json!({
                "data_center_id": site.data_center_id, "name": "fw-1", "kind": "firewall",
                "tier": "core", "management_address": "10.0.0.2",
                "credentials": {"version": "v3", "username": "monitor", "auth_protocol": "sha1",
                    "auth_password": "auth-s3cret", "priv_protocol": "aes128",
                    "priv_password": "priv-s3cret"},
            }),
        )
        .await;
    assert_eq!(v2c["snmp_version"], "v2c");
    assert_eq!(v2c["snmp_username"], Value::Null);
    assert_eq!(v3["snmp_version"], "v3");
    assert_eq!(v3["snmp_username"], "monitor");

    let stored = device::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 2);
    for row in &stored {
        let sealed = row.snmp_credentials_sealed.as_deref().unwrap();
        assert!(sealed.starts_with("v1:"), "{sealed}");
        assert!(!sealed.contains("s3cret"), "{sealed}");
    }

    // Nothing a client can read carries a secret.
    for path in [
        "/api/v1/devices".to_owned(),
        format!("/api/v1/devices/{}", v2c["id"]),
        format!("/api/v1/devices/{}", v3["id"]),
        "/api/v1/inventory/changes".to_owned(),
    ] {
        let text = app.get(&path, Some(admin)).await.text().await.unwrap();
        assert!(!text.contains("s3cret"), "{path}: {text}");
        assert!(!text.contains("community\""), "{path}: {text}");
    }

    // The poller gets them opened.
    let monitored = monitored_devices(&app.db, &app.state.secrets)
        .await
        .unwrap();
    assert_eq!(monitored.len(), 2);
    assert!(monitored[0].credentials.community_is(b"s3cret-community"));
    assert_eq!(monitored[0].address.port(), 161);
    assert_eq!(monitored[1].credentials.version(), "v3");
    assert!(!format!("{monitored:?}").contains("s3cret"));

    // Removing them takes the device out of polling.
    let response = app
        .patch_json(
            &format!("/api/v1/devices/{}", v2c["id"]),
            admin,
            &json!({"credentials": null}),
        )
        .await;
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["snmp_version"], Value::Null);
    let monitored = monitored_devices(&app.db, &app.state.secrets)
        .await
        .unwrap();
    assert_eq!(monitored.len(), 1);
    assert_eq!(monitored[0].name, "fw-1");
}

async fn inventory_delete_is_refused_while_children_exist_and_fields_are_validated(
    backend: Backend,
) {
    let (app, _storage) = spawn_app(backend).await;
    let site = site(&app).await;
    let admin = &site.admin;
    let device = app
        .created(
            "/api/v1/devices",
            admin,
            &json!({"data_center_id": site.data_center_id, "rack_id": site.rack_id,
                "name": "srv-1", "kind": "server", "tier": "host", "management_address": "10.0.0.3"}),
        )
        .await;

    // (path, the kinds named in the refusal)
    let table = [
        (
            format!("/api/v1/data-centers/{}", site.data_center_id),
            "machine rooms, devices",
        ),
        (format!("/api/v1/machine-rooms/{}", site.room_id), "racks"),
        (format!("/api/v1/racks/{}", site.rack_id), "devices"),
    ];
    for (path, kinds) in &table {
        let response = app.delete(path, admin).await;
        assert_eq!(response.status(), 409, "{path}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], "has_dependents", "{path}");
        assert!(
            error["message"].as_str().unwrap().contains(kinds),
            "{path}: {error}"
        );
    }
    for path in [
        format!("/api/v1/devices/{}", device["id"]),
        format!("/api/v1/racks/{}", site.rack_id),
        format!("/api/v1/machine-rooms/{}", site.room_id),
        format!("/api/v1/data-centers/{}", site.data_center_id),
    ] {
        assert_eq!(app.delete(&path, admin).await.status(), 204, "{path}");
    }

    // Every problem is named, field by field.
    let dc = app
        .created(
            "/api/v1/data-centers",
            admin,
            &json!({"code": "dc-2", "name": "二"}),
        )
        .await;
    let table = [
        (
            json!({"data_center_id": dc["id"], "name": "x", "kind": "toaster", "tier": "edge",
                "management_address": "not-an-ip", "poll_interval_secs": 1}),
            vec!["kind", "tier", "management_address", "poll_interval_secs"],
        ),
        (
            json!({"data_center_id": 424242, "kind": "switch", "tier": "core",
                "management_address": "10.0.0.1",
                "credentials": {"version": "v3", "username": "u", "auth_protocol": "sha1",
                    "auth_password": "short", "priv_protocol": "aes128", "priv_password": "short"}}),
            vec![
                "data_center_id",
                "name",
                "credentials.auth_password",
                "credentials.priv_password",
            ],
        ),
    ];
    for (body, fields) in table {
        let response = app.post_json("/api/v1/devices", Some(admin), &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], "validation_failed");
        let named: Vec<&str> = error["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "{body}");
    }
    let response = app
        .post_json(
            "/api/v1/data-centers",
            Some(admin),
            &json!({"code": "dc-2", "name": "again"}),
        )
        .await;
    assert_eq!(response.status(), 409);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], "conflict");
    let response = app
        .post_json(
            "/api/v1/data-centers",
            Some(admin),
            &json!({"code": "dc-3", "name": "x", "colour": "red"}),
        )
        .await;
    assert_eq!(response.status(), 422);
}

async fn inventory_monitoring_reads_devices_and_links_and_records_discovered_interfaces(
    backend: Backend,
) {
    let (app, _storage) = spawn_app(backend).await;
    let site = site(&app).await;
    let admin = &site.admin;
    let core = app
        .created(
            "/api/v1/devices",
            admin,
            &json!({"data_center_id": site.data_center_id, "name": "core-1", "kind": "router",
                "tier": "core", "management_address": "10.0.1.1:1161",
                "credentials": {"version": "v2c", "community": "c1"}, "poll_interval_secs": 30}),
        )
        .await;
    let access = app
        .created(
            "/api/v1/devices",
            admin,
            &switch(site.data_center_id, "acc-1", "c2"),
        )
        .await;
    let core_id = core["id"].as_i64().unwrap();
    let access_id = access["id"].as_i64().unwrap();

    let interface = |if_index: u32, name: &str, description: &str| DiscoveredInterface {
        if_index,
        name: name.to_owned(),
        speed_bps: 1_000_000_000,
        description: description.to_owned(),
    };
    let discovered = vec![
        interface(1, "GE0/0/1", "uplink"),
        interface(2, "GE0/0/2", ""),
    ];
    let outcome = upsert_interfaces(&app.db, core_id, &discovered)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        InterfaceUpsert {
            created: 2,
            updated: 0
        }
    );
    let changes_before = app
        .get_ok("/api/v1/inventory/changes?object_kind=interface", admin)
        .await;
    assert_eq!(changes_before.as_array().unwrap().len(), 2);
    assert_eq!(changes_before[0]["actor_kind"], "system");
    assert_eq!(changes_before[0]["actor_name"], "snmp-poller");
    // The same poll again changes nothing and records nothing.
    let outcome = upsert_interfaces(&app.db, core_id, &discovered)
        .await
        .unwrap();
    assert_eq!(outcome, InterfaceUpsert::default());
    let mut faster = discovered.clone();
    faster[1].speed_bps = 10_000_000_000;
    let outcome = upsert_interfaces(&app.db, core_id, &faster).await.unwrap();
    assert_eq!(
        outcome,
        InterfaceUpsert {
            created: 0,
            updated: 1
        }
    );
    let changes_after = app
        .get_ok("/api/v1/inventory/changes?object_kind=interface", admin)
        .await;
    assert_eq!(changes_after.as_array().unwrap().len(), 3);
    assert_eq!(changes_after[0]["after"]["speed_bps"], 10_000_000_000_i64);

    let interfaces = app
        .get_ok(&format!("/api/v1/interfaces?device_id={core_id}"), admin)
        .await;
    let core_port = interfaces[0]["id"].as_i64().unwrap();
    let access_port = app
        .created(
            "/api/v1/interfaces",
            admin,
            &json!({"device_id": access_id, "if_index": 49, "name": "XGE0/0/1", "speed_bps": 10_000_000_000_i64}),
        )
        .await;
    let link = app
        .created(
            "/api/v1/links",
            admin,
            &json!({"a_interface_id": core_port, "b_interface_id": access_port["id"], "name": "core-1 to acc-1"}),
        )
        .await;
    // The slower end's speed, when not given.
    assert_eq!(link["bandwidth_bps"], 1_000_000_000);
    assert_eq!(
        links_between_devices(&app.db).await.unwrap(),
        vec![DeviceLink {
            link_id: link["id"].as_i64().unwrap(),
            a_device_id: core_id,
            a_if_index: 1,
            b_device_id: access_id,
            b_if_index: 49,
            bandwidth_bps: 1_000_000_000,
        }]
    );
    // A linked device or interface is not deleted.
    for path in [
        format!("/api/v1/devices/{core_id}"),
        format!("/api/v1/interfaces/{core_port}"),
    ] {
        assert_eq!(app.delete(&path, admin).await.status(), 409, "{path}");
    }

    assert_eq!(
        data_center_ids(&app.db).await.unwrap(),
        vec![site.data_center_id]
    );
    let monitored = monitored_devices(&app.db, &app.state.secrets)
        .await
        .unwrap();
    let core_monitored = monitored.iter().find(|d| d.id == core_id).unwrap();
    assert_eq!(core_monitored.address.to_string(), "10.0.1.1:1161");
    assert_eq!(core_monitored.poll_interval.as_secs(), 30);
    assert_eq!(core_monitored.tier, "core");
    assert_eq!(core_monitored.kind, "router");
}

async fn amounts_and_ratios_have_the_bounds_their_meaning_allows(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let site = site(&app).await;
    let admin = &site.admin;
    let id = |value: Value| value["id"].as_i64().unwrap();
    // An overcommit of 1e300 would make every capacity infinite.
    for ratio in [json!(1e300), json!(0), json!(-1.5)] {
        let response = app
            .post_json(
                "/api/v1/resource-pools",
                Some(admin),
                &json!({"name": "p", "kind": "compute", "data_center_id": site.data_center_id,
                    "cpu_overcommit": ratio}),
            )
            .await;
        assert_eq!(response.status(), 422, "{ratio}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["fields"][0]["field"], "cpu_overcommit");
    }
    let pool_id = id(app
        .created(
            "/api/v1/resource-pools",
            admin,
            &json!({"name": "compute-1", "kind": "compute", "data_center_id": site.data_center_id,
                "cpu_overcommit": 4.0}),
        )
        .await);
    let platform_id = id(app
        .created(
            "/api/v1/cloud-platforms",
            admin,
            &json!({"data_center_id": site.data_center_id, "name": "os-1", "kind": "openstack",
                "endpoint": "http://keystone:5000/v3"}),
        )
        .await);
    let cluster_id = id(app
        .created(
            "/api/v1/clusters",
            admin,
            &json!({"platform_id": platform_id, "name": "az-1", "pool_id": pool_id}),
        )
        .await);
    // Two hosts at i64::MAX would wrap the wall's sums around; no host has 2^63 vCPUs.
    for (field, value) in [
        ("vcpu_total", i64::MAX),
        ("memory_mb_total", 1_i64 << 40),
        ("disk_gb_used", -1),
    ] {
        let mut host = json!({"cluster_id": cluster_id, "external_id": "cmp-x"});
        host[field] = json!(value);
        let response = app.post_json("/api/v1/hosts", Some(admin), &host).await;
        assert_eq!(response.status(), 422, "{field} = {value}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["fields"][0]["field"], field);
    }
    let host = app
        .created(
            "/api/v1/hosts",
            admin,
            &json!({"cluster_id": cluster_id, "external_id": "cmp-1", "vcpu_total": 100_000,
                "memory_mb_total": 64 * 1024 * 1024, "disk_gb_total": 100_000_000}),
        )
        .await;
    assert_eq!(host["vcpu_total"], 100_000);
}
