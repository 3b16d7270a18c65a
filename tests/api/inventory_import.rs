//! Bulk import of the CMDB: JSON with several kinds and CSV of one, matched by natural key
//! so that a repeat changes nothing, and all or nothing with row-numbered problems; a dry
//! run answers the same and writes nothing.

use serde_json::{json, Value};
use yunguan::identity::Role;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_every_backend;

on_every_backend!(
    inventory_json_import_is_idempotent_and_all_or_nothing,
    inventory_csv_import_reports_row_numbers_and_writes_nothing_on_error,
    inventory_dry_run_answers_as_the_import_would_and_writes_nothing,
);

fn document() -> Value {
    json!({
        "data_centers": [
            {"code": "dc-east", "name": "东区", "region": "east"},
            {"code": "dc-west", "name": "西区", "region": "west"},
        ],
        "resource_pools": [
            {"name": "compute-east", "kind": "compute", "data_center_code": "dc-east", "cpu_overcommit": 4.0},
        ],
        "machine_rooms": [{"data_center_code": "dc-east", "name": "A1", "floor": 1}],
        "racks": [{"data_center_code": "dc-east", "room": "A1", "name": "R01", "height_u": 47}],
        "devices": [
            {"data_center_code": "dc-east", "rack": "R01", "name": "core-1", "kind": "router",
             "tier": "core", "management_address": "10.1.0.1",
             "credentials": {"version": "v2c", "community": "imported-s3cret"}},
            {"data_center_code": "dc-east", "rack": "R01", "name": "host-1", "kind": "server",
             "tier": "host", "management_address": "10.1.0.2", "pool": "compute-east"},
        ],
        "cloud_platforms": [
            {"data_center_code": "dc-east", "name": "os-east", "kind": "openstack",
             "endpoint": "http://keystone:5000/v3", "credentials": {"password": "os-s3cret"}},
        ],
        "clusters": [
            {"data_center_code": "dc-east", "platform": "os-east", "name": "az1", "pool": "compute-east"},
        ],
    })
}

async fn import_json(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post_json("/api/v1/inventory/import", Some(token), body)
        .await
}

async fn count(app: &TestApp, token: &str, path: &str) -> usize {
    app.get_ok(path, token).await.as_array().unwrap().len()
}

async fn inventory_json_import_is_idempotent_and_all_or_nothing(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    app.create_user("manager", Role::BureauManager, None).await;
    let ops = app.login("ops").await;

    let response = import_json(&app, &ops, &document()).await;
    assert_eq!(response.status(), 200);
    let summary: Value = response.json().await.unwrap();
    let created = |kind: &str| summary["kinds"][kind]["created"].as_u64().unwrap();
    for (kind, n) in [
        ("data_centers", 2),
        ("resource_pools", 1),
        ("machine_rooms", 1),
        ("racks", 1),
        ("devices", 2),
        ("cloud_platforms", 1),
        ("clusters", 1),
    ] {
        assert_eq!(created(kind), n, "{kind}: {summary}");
    }
    let devices = app.get_ok("/api/v1/devices", &ops).await;
    assert_eq!(devices[0]["snmp_version"], "v2c");
    assert!(devices[0]["rack_id"].is_i64());
    assert!(devices[1]["pool_id"].is_i64());
    let platforms = app.get_ok("/api/v1/cloud-platforms", &ops).await;
    assert_eq!(platforms[0]["has_credentials"], true);
    let clusters = app.get_ok("/api/v1/clusters", &ops).await;
    assert_eq!(clusters[0]["platform_id"], platforms[0]["id"]);

    // The same import again: matched by natural key, nothing changes.
    let changes_before = count(&app, &ops, "/api/v1/inventory/changes?limit=200").await;
    let again: Value = import_json(&app, &ops, &document())
        .await
        .json()
        .await
        .unwrap();
    for (kind, counts) in again["kinds"].as_object().unwrap() {
        assert_eq!(counts["created"], 0, "{kind}");
        assert_eq!(counts["updated"], 0, "{kind}");
        assert!(counts["unchanged"].as_u64().unwrap() >= 1, "{kind}");
    }
    assert_eq!(
        count(&app, &ops, "/api/v1/inventory/changes?limit=200").await,
        changes_before
    );

    // A changed row updates; a bad row anywhere writes nothing at all.
    let mut changed = json!({"data_centers": [{"code": "dc-west", "name": "西区二期"}]});
    let summary: Value = import_json(&app, &ops, &changed)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["kinds"]["data_centers"]["updated"], 1);
    changed["data_centers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"code": "dc-north", "name": "北区"}));
    changed["devices"] = json!([
        {"data_center_code": "dc-north", "name": "ok-1", "kind": "switch", "tier": "access", "management_address": "10.2.0.1"},
        {"data_center_code": "dc-north", "name": "bad-1", "kind": "toaster", "tier": "access", "management_address": "10.2.0.2"},
        {"data_center_code": "dc-nowhere", "name": "bad-2", "kind": "switch", "tier": "access", "management_address": "10.2.0.3", "colour": "red"},
    ]);
    let response = import_json(&app, &ops, &changed).await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], "validation_failed");
    let fields: Vec<&str> = error["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["devices[2].kind", "devices[3]"], "{error}");
    assert_eq!(count(&app, &ops, "/api/v1/data-centers").await, 2);
    assert_eq!(
        app.get_ok("/api/v1/data-centers?code=dc-west", &ops).await[0]["name"],
        "西区二期"
    );
    assert_eq!(count(&app, &ops, "/api/v1/devices").await, 2);

    // Only writers import; unknown kinds are named.
    let manager = app.login("manager").await;
    assert_eq!(import_json(&app, &manager, &document()).await.status(), 403);
    let error: Value = import_json(&app, &ops, &json!({"gizmos": []}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(error["fields"][0]["field"], "gizmos");
}

async fn inventory_csv_import_reports_row_numbers_and_writes_nothing_on_error(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("admin", Role::BureauAdmin, None).await;
    let admin = app.login("admin").await;
    let response = app
        .post_text(
            "/api/v1/inventory/import?kind=data_centers",
            &admin,
            "text/csv",
            "code,name,region,address\ndc-1,\"一区, 主\",east,\"1 \"\"Data\"\" Rd\"\n",
        )
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let data_center = app.get_ok("/api/v1/data-centers", &admin).await;
    assert_eq!(data_center[0]["name"], "一区, 主");
    assert_eq!(data_center[0]["address"], "1 \"Data\" Rd");

    let devices_csv = "data_center_code,name,kind,tier,management_address,poll_interval_secs,credentials\n\
        dc-1,sw-1,switch,access,10.0.0.1,30,\"{\"\"version\"\":\"\"v2c\"\",\"\"community\"\":\"\"csv-s3cret\"\"}\"\n\
        dc-1,sw-2,switch,access,10.0.0.2:1161,,\n";
    let response = app
        .post_text(
            "/api/v1/inventory/import?kind=devices",
            &admin,
            "text/csv",
            devices_csv,
        )
        .await;
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["kinds"]["devices"]["created"], 2, "{summary}");
    let devices = app.get_ok("/api/v1/devices", &admin).await;
    assert_eq!(devices[0]["poll_interval_secs"], 30);
    assert_eq!(devices[0]["snmp_version"], "v2c");
    assert_eq!(devices[1]["snmp_version"], Value::Null);

    let bad_csv = "data_center_code,name,kind,tier,management_address,poll_interval_secs\n\
        dc-1,sw-3,switch,access,10.0.0.3,60\n\
        dc-1,sw-4,switch,access,10.0.0.4,often\n\
        dc-1,sw-5,switch,access,10.0.0.5:0,60\n";
    let response = app
        .post_text(
            "/api/v1/inventory/import?kind=devices",
            &admin,
            "text/csv",
            bad_csv,
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
    assert_eq!(
        fields,
        ["devices[2]", "devices[3].management_address"],
        "{error}"
    );
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("nothing was written"));
    assert_eq!(count(&app, &admin, "/api/v1/devices").await, 2);

    // A CSV import names its kind; an unknown one is refused.
    for (path, status) in [
        ("/api/v1/inventory/import", 400),
        ("/api/v1/inventory/import?kind=gizmos", 422),
    ] {
        let response = app.post_text(path, &admin, "text/csv", "name\nx\n").await;
        assert_eq!(response.status(), status, "{path}");
    }
}

/// The status and body of a POST.
/// The status and body of an answer, without the request's own id.
async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let mut body: Value = response.json().await.unwrap();
    if let Some(fields) = body.as_object_mut() {
        fields.remove("request_id");
    }
    (status, body)
}

async fn inventory_dry_run_answers_as_the_import_would_and_writes_nothing(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let ops = app.login("ops").await;
    let dry_run = "/api/v1/inventory/import?dry_run=true";
    // What would be created, and nothing written.
    let (status, would) = answer(app.post_json(dry_run, Some(&ops), &document()).await).await;
    assert_eq!(status, 200, "{would}");
    for path in [
        "/api/v1/data-centers",
        "/api/v1/devices",
        "/api/v1/racks",
        "/api/v1/clusters",
        "/api/v1/inventory/changes",
    ] {
        assert_eq!(count(&app, &ops, path).await, 0, "{path}");
    }
    let (status, did) = answer(import_json(&app, &ops, &document()).await).await;
    assert_eq!(status, 200);
    assert_eq!(would, did, "the dry run answers what the import then does");

    // Once imported: unchanged and updated counted, nothing written.
    let changes_before = count(&app, &ops, "/api/v1/inventory/changes?limit=200").await;
    let mut changed = document();
    changed["data_centers"][1]["name"] = json!("西区二期");
    let (status, would) = answer(app.post_json(dry_run, Some(&ops), &changed).await).await;
    assert_eq!(status, 200);
    assert_eq!(would["kinds"]["data_centers"]["updated"], 1, "{would}");
    assert_eq!(would["kinds"]["data_centers"]["unchanged"], 1, "{would}");
    assert_eq!(would["kinds"]["devices"]["unchanged"], 2, "{would}");
    let west = app.get_ok("/api/v1/data-centers", &ops).await;
    assert_eq!(west[1]["name"], "西区");
    assert_eq!(
        count(&app, &ops, "/api/v1/inventory/changes?limit=200").await,
        changes_before
    );

    // The same problems as for real.
    let mut bad = document();
    bad["devices"][1]["kind"] = json!("toaster");
    let (dry_status, dry_error) = answer(app.post_json(dry_run, Some(&ops), &bad).await).await;
    let (status, error) = answer(import_json(&app, &ops, &bad).await).await;
    assert_eq!((dry_status, status), (422, 422));
    assert_eq!(dry_error, error);

    // CSV too.
    let csv = "data_center_code,name,kind,tier,management_address\n\
        dc-east,sw-9,switch,access,10.0.0.9\n";
    let (status, would) = answer(
        app.post_text(
            "/api/v1/inventory/import?kind=devices&dry_run=true",
            &ops,
            "text/csv",
            csv,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(would["kinds"]["devices"]["created"], 1, "{would}");
    assert_eq!(count(&app, &ops, "/api/v1/devices").await, 2);
}
