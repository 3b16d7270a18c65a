//! The OpenAPI document as `yunguan openapi` prints it is committed at
//! `web/src/shared/api/openapi.json`, where the front end generates its API and event types
//! from it; this test keeps the two the same (`UPDATE_OPENAPI=1` rewrites the file).

use serde_json::Value;

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
