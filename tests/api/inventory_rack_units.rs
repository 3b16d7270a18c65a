//! Where devices sit in their racks: `rack_unit` and `height_u` on create, update, import
//! (JSON and CSV) and in the history; a device needs a rack for a place, fits in it, and
//! never overlaps another (whose name the problem gives); a rack is not shortened under its
//! devices.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::inventory_crud::{site, switch};
use crate::on_every_backend;

on_every_backend!(devices_take_rack_units_without_overlapping);

/// The answer's status and, for a refusal, its fields and messages.
async fn refused(response: reqwest::Response) -> (u16, Vec<(String, String)>) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    let fields = body["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|field| {
                    (
                        field["field"].as_str().unwrap().to_owned(),
                        field["message"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if status == 422 {
        assert_eq!(body["code"], "validation_failed", "{body}");
    }
    (status, fields)
}

fn placed(data_center_id: i64, rack_id_opt: Option<i64>, name: &str, place: Value) -> Value {
    let mut body = switch(data_center_id, name, "public");
    body["rack_id"] = json!(rack_id_opt);
    for (key, value) in place.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

async fn devices_take_rack_units_without_overlapping(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let site = site(&app).await;
    let admin = &site.admin;
    let (data_center_id, rack_id) = (site.data_center_id, Some(site.rack_id));

    let lower = app
        .created(
            "/api/v1/devices",
            admin,
            &placed(
                data_center_id,
                rack_id,
                "sw-1",
                json!({"rack_unit": 1, "height_u": 2}),
            ),
        )
        .await;
    assert_eq!(
        (lower["rack_unit"].clone(), lower["height_u"].clone()),
        (json!(1), json!(2))
    );
    let upper = app
        .created(
            "/api/v1/devices",
            admin,
            &placed(data_center_id, rack_id, "sw-2", json!({"rack_unit": 3})),
        )
        .await;
    assert_eq!(upper["height_u"], 1, "one unit by default");
    let unplaced = app
        .created(
            "/api/v1/devices",
            admin,
            &placed(data_center_id, None, "sw-3", json!({})),
        )
        .await;
    assert_eq!(
        (unplaced["rack_unit"].clone(), unplaced["height_u"].clone()),
        (Value::Null, json!(1))
    );

    // Each refusal names its field.
    let table = [
        (json!({"rack_unit": 2}), rack_id, "rack_unit", "sw-1"),
        (
            json!({"rack_unit": 2, "height_u": 4}),
            rack_id,
            "rack_unit",
            "sw-1",
        ),
        (json!({"rack_unit": 1}), None, "rack_unit", "rack_id"),
        (
            json!({"rack_unit": 42, "height_u": 2}),
            rack_id,
            "rack_unit",
            "42U",
        ),
        (json!({"rack_unit": 0}), rack_id, "rack_unit", "at least 1"),
        (
            json!({"rack_unit": 10, "height_u": 21}),
            rack_id,
            "height_u",
            "20",
        ),
        (
            json!({"rack_unit": 10, "height_u": 0}),
            rack_id,
            "height_u",
            "20",
        ),
    ];
    for (place, rack_id_opt, field, mentioned) in table {
        let body = placed(data_center_id, rack_id_opt, "sw-9", place.clone());
        let (status, fields) =
            refused(app.post_json("/api/v1/devices", Some(admin), &body).await).await;
        assert_eq!(status, 422, "{place}");
        assert_eq!(fields.len(), 1, "{place}: {fields:?}");
        assert_eq!(fields[0].0, field, "{place}");
        assert!(fields[0].1.contains(mentioned), "{place}: {fields:?}");
    }

    // Updates are checked the same way; a device never overlaps itself.
    let lower_path = format!("/api/v1/devices/{}", lower["id"]);
    let (status, fields) = refused(
        app.patch_json(&lower_path, admin, &json!({"height_u": 3}))
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(fields[0].1.contains("sw-2"), "{fields:?}");
    let moved = app
        .patch_json(&lower_path, admin, &json!({"rack_unit": 40, "height_u": 3}))
        .await;
    assert_eq!(moved.status(), 200);
    let renamed: Value = app
        .patch_json(&lower_path, admin, &json!({"name": "sw-1a"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (renamed["rack_unit"].clone(), renamed["height_u"].clone()),
        (json!(40), json!(3))
    );
    // Out of the rack only with its place.
    let (status, fields) = refused(
        app.patch_json(&lower_path, admin, &json!({"rack_id": null}))
            .await,
    )
    .await;
    assert_eq!((status, fields[0].0.as_str()), (422, "rack_unit"));

    // The rack is not shortened under a device.
    let rack_path = format!("/api/v1/racks/{}", site.rack_id);
    let (status, fields) = refused(
        app.patch_json(&rack_path, admin, &json!({"height_u": 41}))
            .await,
    )
    .await;
    assert_eq!((status, fields[0].0.as_str()), (422, "height_u"));
    assert!(fields[0].1.contains("sw-1a"), "{fields:?}");
    assert_eq!(
        app.patch_json(&rack_path, admin, &json!({"height_u": 44}))
            .await
            .status(),
        200
    );

    // The history has the places before and after.
    let history = app
        .get_ok(
            &format!(
                "/api/v1/inventory/changes?object_kind=device&object_id={}",
                lower["id"]
            ),
            admin,
        )
        .await;
    let moved_change = &history[1];
    assert_eq!(moved_change["before"]["rack_unit"], 1);
    assert_eq!(moved_change["after"]["rack_unit"], 40);
    assert_eq!(moved_change["after"]["height_u"], 3);

    imports_carry_rack_units(&app, admin).await;
}

/// JSON and CSV imports place devices by rack name, and are refused row by row.
async fn imports_carry_rack_units(app: &TestApp, admin: &str) {
    let document = json!({"devices": [
        {"data_center_code": "dc-1", "rack": "R01", "name": "srv-1", "kind": "server",
         "tier": "host", "management_address": "10.0.1.1", "rack_unit": 10, "height_u": 2},
    ]});
    let response = app
        .post_json("/api/v1/inventory/import", Some(admin), &document)
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let csv = "data_center_code,rack,name,kind,tier,management_address,rack_unit,height_u\n\
        dc-1,R01,srv-2,server,host,10.0.1.2,12,2\n\
        dc-1,R01,srv-3,server,host,10.0.1.3,14,\n";
    let response = app
        .post_text(
            "/api/v1/inventory/import?kind=devices",
            admin,
            "text/csv",
            csv,
        )
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let devices = app.get_ok("/api/v1/devices?kind=server", admin).await;
    let places: Vec<(&str, i64, i64)> = devices
        .as_array()
        .unwrap()
        .iter()
        .map(|device| {
            (
                device["name"].as_str().unwrap(),
                device["rack_unit"].as_i64().unwrap(),
                device["height_u"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [("srv-1", 10, 2), ("srv-2", 12, 2), ("srv-3", 14, 1)]
    );

    // A row overlapping an earlier row of the same import is refused, and nothing written.
    let csv = "data_center_code,rack,name,kind,tier,management_address,rack_unit,height_u\n\
        dc-1,R01,srv-4,server,host,10.0.1.4,20,2\n\
        dc-1,R01,srv-5,server,host,10.0.1.5,21,1\n";
    let (status, fields) = refused(
        app.post_text(
            "/api/v1/inventory/import?kind=devices",
            admin,
            "text/csv",
            csv,
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "devices[2].rack_unit");
    assert!(fields[0].1.contains("srv-4"), "{fields:?}");
    assert_eq!(
        app.get_ok("/api/v1/devices?kind=server", admin)
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );
}
