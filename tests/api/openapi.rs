//! The OpenAPI document as `yunguan openapi` prints it is committed at
//! `web/src/shared/api/openapi.json`, where the front end generates its API and event types
//! from it; this test keeps the two the same (`UPDATE_OPENAPI=1` rewrites the file). The
//! document must also describe what the server answers: real records are compared with it.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend};
use crate::inventory_crud::{site, switch};
use crate::on_every_backend;

const COMMITTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/web/src/shared/api/openapi.json"
);

#[test]
fn the_committed_openapi_document_is_the_current_one() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_yunguan"))
        .arg("openapi")
        .output()
        .expect("running yunguan openapi");
    assert!(
        output.status.success(),
        "yunguan openapi failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).expect("the document is UTF-8");
    assert_eq!(printed, yunguan::routes::openapi_document_pretty_json());

    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    if committed == printed {
        return;
    }
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|value| value == "1") {
        std::fs::write(COMMITTED, &printed).expect("writing web/src/shared/api/openapi.json");
    } else {
        panic!(
            "the OpenAPI document changed: run `UPDATE_OPENAPI=1 cargo test --test api openapi` and then `npm --prefix web run gen:api`"
        );
    }
}

#[test]
fn every_event_kind_is_in_the_openapi_document_with_its_data_schema() {
    let document: Value =
        serde_json::from_str(&yunguan::routes::openapi_document_pretty_json()).unwrap();
    let events = document["x-yunguan-events"]
        .as_array()
        .expect("x-yunguan-events is an array");
    let kinds: Vec<&str> = events
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    let catalogue: Vec<&str> = yunguan::hub::EventKind::ALL
        .iter()
        .map(|kind| kind.name())
        .collect();
    assert_eq!(kinds, catalogue);
    for event in events {
        let reference = event["data"].as_str().unwrap();
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{reference} is not a component schema"));
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{}: {reference} does not resolve",
            event["kind"]
        );
        assert!(!event["topics"].as_array().unwrap().is_empty());
        assert!(event["description"].is_string());
    }
}

on_every_backend!(every_cmdb_answer_has_the_properties_its_documented_schema_names);

/// The properties of the schema `path`'s `method` answers with 200 or 201 (an array's items
/// for a list), with `$ref`s followed; and which of them are required.
fn documented_answer_properties(
    document: &Value,
    path: &str,
    method: &str,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let responses = &document["paths"][path][method]["responses"];
    let answer = if responses["200"].is_object() {
        &responses["200"]
    } else {
        &responses["201"]
    };
    let mut schema = &answer["content"]["application/json"]["schema"];
    if schema["type"] == "array" {
        schema = &schema["items"];
    }
    while let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{method} {path}: {reference} is not a component schema"));
        schema = &document["components"]["schemas"][name];
    }
    let properties = schema["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} documents no object: {schema}"))
        .keys()
        .cloned()
        .collect();
    let required = schema["required"]
        .as_array()
        .map(|names| {
            names
                .iter()
                .map(|name| name.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (properties, required)
}

/// Asserts that `answer` (an object) has no property its documented schema lacks, and every
/// property the schema requires. Two types that share a schema name fail here: the document
/// keeps one of them, and the other's answers do not fit it.
pub(crate) fn assert_answer_is_documented(path: &str, method: &str, answer: &Value) {
    let document: Value =
        serde_json::from_str(&yunguan::routes::openapi_document_pretty_json()).unwrap();
    let (properties, required) = documented_answer_properties(&document, path, method);
    let answered: BTreeSet<String> = answer
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} answered {answer}"))
        .keys()
        .cloned()
        .collect();
    let undocumented: Vec<&String> = answered.difference(&properties).collect();
    let missing: Vec<&String> = required.difference(&answered).collect();
    assert!(
        undocumented.is_empty() && missing.is_empty(),
        "{method} {path}: answered but not documented {undocumented:?}, documented as required but not answered {missing:?}"
    );
}

/// One record of every CMDB kind, then its get, its list and its create answer compared
/// with the document.
async fn every_cmdb_answer_has_the_properties_its_documented_schema_names(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    let site = site(&app).await;
    let admin = &site.admin;
    let mut created: Vec<(&str, Value)> = vec![];
    let mut create = |collection: &'static str, answer: Value| {
        created.push((collection, answer.clone()));
        answer["id"].as_i64().unwrap()
    };
    let data_center = app
        .get_ok(
            &format!("/api/v1/data-centers/{}", site.data_center_id),
            admin,
        )
        .await;
    create("data-centers", data_center);
    let room = app
        .get_ok(&format!("/api/v1/machine-rooms/{}", site.room_id), admin)
        .await;
    create("machine-rooms", room);
    let rack = app
        .get_ok(&format!("/api/v1/racks/{}", site.rack_id), admin)
        .await;
    create("racks", rack);
    let mut interface_ids = vec![];
    for name in ["sw-1", "sw-2"] {
        let device = app
            .created(
                "/api/v1/devices",
                admin,
                &switch(site.data_center_id, name, "public"),
            )
            .await;
        let device_id = create("devices", device);
        let interface = app
            .created(
                "/api/v1/interfaces",
                admin,
                &json!({"device_id": device_id, "if_index": 1, "name": "ge-0/0/1", "speed_bps": 1_000_000_000_i64}),
            )
            .await;
        interface_ids.push(create("interfaces", interface));
    }
    let link = app
        .created(
            "/api/v1/links",
            admin,
            &json!({"a_interface_id": interface_ids[0], "b_interface_id": interface_ids[1]}),
        )
        .await;
    create("links", link);
    let pool = app
        .created(
            "/api/v1/resource-pools",
            admin,
            &json!({"name": "compute-1", "kind": "compute", "data_center_id": site.data_center_id}),
        )
        .await;
    let pool_id = create("resource-pools", pool);
    let platform = app
        .created(
            "/api/v1/cloud-platforms",
            admin,
            &json!({"data_center_id": site.data_center_id, "name": "os-1", "kind": "openstack",
                "endpoint": "http://keystone:5000/v3"}),
        )
        .await;
    let platform_id = create("cloud-platforms", platform);
    let cluster = app
        .created(
            "/api/v1/clusters",
            admin,
            &json!({"platform_id": platform_id, "name": "az-1", "pool_id": pool_id}),
        )
        .await;
    let cluster_id = create("clusters", cluster);
    let host = app
        .created(
            "/api/v1/hosts",
            admin,
            &json!({"cluster_id": cluster_id, "external_id": "cmp-1", "vcpu_total": 64,
                "memory_mb_total": 262_144, "disk_gb_total": 4000}),
        )
        .await;
    let host_id = create("hosts", host);
    let vm = app
        .created(
            "/api/v1/vms",
            admin,
            &json!({"platform_id": platform_id, "host_id": host_id, "external_id": "vm-1",
                "name": "web-1", "vcpu": 2, "memory_mb": 4096, "disk_gb": 40}),
        )
        .await;
    create("vms", vm);

    let kinds: BTreeSet<&str> = created.iter().map(|(collection, _)| *collection).collect();
    assert_eq!(kinds.len(), 11, "every CMDB kind: {kinds:?}");
    for (collection, answer) in &created {
        let collection_path = format!("/api/v1/{collection}");
        let item_path = format!("/api/v1/{collection}/{{id}}");
        assert_answer_is_documented(&collection_path, "post", answer);
        let got = app
            .get_ok(&format!("{collection_path}/{}", answer["id"]), admin)
            .await;
        assert_answer_is_documented(&item_path, "get", &got);
        let listed = app.get_ok(&collection_path, admin).await;
        for item in listed.as_array().unwrap() {
            assert_answer_is_documented(&collection_path, "get", item);
        }
    }
}
