//! LLDP topology discovery against the fleet, on both backends: what the devices' LLDP hears
//! becomes proposals (a link the inventory lacks, a link whose cable LLDP hears going
//! elsewhere); an operator accepts them into the CMDB (and the topology) or dismisses them;
//! a data center that accepts proposals as they are made gets a recabled link by itself.
//! Suppliers read proposals but decide nothing.

use std::time::Duration;

use serde_json::{json, Value};
use yunguan::identity::Role;
use yunguan_simulators::snmp::{Fleet, FleetConfig, FleetDevice};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_every_backend;
use crate::openapi::assert_answer_is_documented;
use crate::watch::Watch;

on_every_backend!(lldp_neighbours_become_link_proposals_that_operators_decide);

/// A proposal's ends as `device:interface` names, sorted.
fn ends(proposal: &Value) -> Vec<String> {
    let end = |side: &str| {
        format!(
            "{}:{}",
            proposal[side]["device_name"].as_str().unwrap(),
            proposal[side]["interface_name"].as_str().unwrap()
        )
    };
    let mut ends = vec![end("a"), end("b")];
    ends.sort();
    ends
}

fn port(device: &FleetDevice, if_index: u32) -> String {
    format!(
        "{}:{}",
        device.name,
        device.interfaces[if_index as usize - 1].1
    )
}

async fn lldp_neighbours_become_link_proposals_that_operators_decide(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    app.create_user("vendor", Role::Supplier, None).await;
    let ops = app.login("ops").await;
    let supplier = app.login("vendor").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 12,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let devices = fleet.devices();
    let (router, sw5, sw6, sw7, cisco) = (
        &devices[0],
        &devices[5],
        &devices[6],
        &devices[7],
        &devices[11],
    );
    // The cabling LLDP hears: the router's ports 1 and 2 to two switches' uplinks (25),
    // the first switch's second uplink (26) to the Cisco's; the third switch runs LLDP and
    // hears nobody yet.
    fleet.set_neighbors(&[
        (0, vec![(1, 5, 25), (2, 6, 25)]),
        (5, vec![(25, 0, 1), (26, 11, 25)]),
        (6, vec![(25, 0, 2)]),
        (7, vec![]),
        (11, vec![(25, 5, 26)]),
    ]);

    // The inventory, before monitoring: the devices, the ports that matter, and two links
    // typed by hand: router 2 to the second switch (right), router 1 to the second switch's
    // port 26 (wrong: LLDP hears the first switch there).
    let dc = app
        .created(
            "/api/v1/data-centers",
            &ops,
            &json!({"code": "dc-lldp", "name": "东区数据中心"}),
        )
        .await;
    let dc_id = dc["id"].as_i64().unwrap();
    let mut device_ids = Vec::new();
    for device in [router, sw5, sw6, sw7, cisco] {
        let created = app
            .created(
                "/api/v1/devices",
                &ops,
                &json!({"data_center_id": dc_id, "name": device.name, "kind": device.kind.as_str(),
                        "tier": "core", "management_address": fleet.local_addr().to_string()}),
            )
            .await;
        device_ids.push(created["id"].as_i64().unwrap());
    }
    let mut interface = std::collections::HashMap::new();
    for (device_pos, device) in [router, sw5, sw6, sw7, cisco].into_iter().enumerate() {
        for (if_index, name, speed_bps) in &device.interfaces {
            let created = app
                .created(
                    "/api/v1/interfaces",
                    &ops,
                    &json!({"device_id": device_ids[device_pos], "if_index": if_index,
                            "name": name, "speed_bps": speed_bps}),
                )
                .await;
            interface.insert((device.idx, *if_index), created["id"].as_i64().unwrap());
        }
    }
    let link = |a: (usize, u32), b: (usize, u32)| json!({"a_interface_id": interface[&a], "b_interface_id": interface[&b]});
    app.created("/api/v1/links", &ops, &link((0, 2), (6, 25)))
        .await;
    let wrong = app
        .created("/api/v1/links", &ops, &link((0, 1), (6, 26)))
        .await;

    // Monitoring starts with the credentials; the first polls read LLDP. The data center's
    // topic hears of each proposal made.
    let mut dc_topic = Watch::on(&app, &[&format!("dc/{dc_id}")]).await;
    for (device_pos, device) in [router, sw5, sw6, sw7, cisco].into_iter().enumerate() {
        let response = app
            .patch_json(
                &format!("/api/v1/devices/{}", device_ids[device_pos]),
                &ops,
                &json!({"credentials": {"version": "v2c", "community": device.community},
                        "poll_interval_secs": 10}),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let path = format!("/api/v1/link-proposals?data_center_id={dc_id}");
    let proposals = app
        .until_get(&path, &supplier, |list| {
            list.as_array().is_some_and(|list| list.len() == 3)
        })
        .await;
    assert_answer_is_documented("/api/v1/link-proposals", "get", &proposals[0]);
    let mut proposed = 0;
    while proposed < 3 {
        let changed = dc_topic
            .until_kind("link_proposals.changed", |_| true)
            .await;
        assert_eq!(changed["data"]["data_center_id"], dc_id, "{changed}");
        proposed += changed["data"]["proposed"].as_u64().unwrap();
    }
    let find = |kind: &str, wanted: Vec<String>| {
        let mut wanted = wanted;
        wanted.sort();
        proposals
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == kind && ends(p) == wanted)
            .unwrap_or_else(|| panic!("no {kind} proposal {wanted:?} in {proposals}"))
            .clone()
    };
    let router_to_sw5 = find("new", vec![port(router, 1), port(sw5, 25)]);
    let sw5_to_cisco = find("new", vec![port(sw5, 26), port(cisco, 25)]);
    let missing = find("missing", vec![port(router, 1), port(sw6, 26)]);
    assert_eq!(missing["link_id"], wrong["id"]);
    assert!(proposals
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["state"] == "open"));

    // Suppliers read, operators decide.
    let accept = |id: &Value| format!("/api/v1/link-proposals/{id}/accept");
    let response = app
        .post_json(&accept(&router_to_sw5["id"]), Some(&supplier), &json!({}))
        .await;
    assert_eq!(response.status(), 403);
    let accepted = app
        .post_json(&accept(&router_to_sw5["id"]), Some(&ops), &json!({}))
        .await;
    assert_eq!(accepted.status(), 200);
    let accepted: Value = accepted.json().await.unwrap();
    assert_answer_is_documented("/api/v1/link-proposals/{id}/accept", "post", &accepted);
    assert_eq!(accepted["state"], "accepted");
    let link_id = accepted["link_id"].as_i64().unwrap();
    let written = app.get_ok(&format!("/api/v1/links/{link_id}"), &ops).await;
    assert_eq!(
        (
            written["a_interface_id"].clone(),
            written["b_interface_id"].clone()
        ),
        (
            router_to_sw5["a"]["interface_id"].clone(),
            router_to_sw5["b"]["interface_id"].clone()
        )
    );
    let response = app
        .post_json(&accept(&router_to_sw5["id"]), Some(&ops), &json!({}))
        .await;
    assert_eq!(response.status(), 409, "decided once");
    // The missing link goes from the CMDB.
    let response = app
        .post_json(&accept(&missing["id"]), Some(&ops), &json!({}))
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .get(&format!("/api/v1/links/{}", wrong["id"]), Some(&ops))
        .await;
    assert_eq!(response.status(), 404);
    // The topology follows: the accepted link is there, the missing one gone.
    let topology_links = |app: &TestApp| {
        let app = app.state.monitoring.clone();
        async move {
            app.topology(dc_id)
                .await
                .map(|view| view.links.len())
                .unwrap_or_default()
        }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while topology_links(&app).await != 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the topology never followed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Dismissed: not proposed again.
    let dismissed = app
        .post_json(
            &format!("/api/v1/link-proposals/{}/dismiss", sw5_to_cisco["id"]),
            Some(&ops),
            &json!({}),
        )
        .await;
    assert_eq!(dismissed.status(), 200);
    dc_topic
        .until_kind("link_proposals.changed", |changed| {
            changed["data"]["decided_id"] == sw5_to_cisco["id"]
        })
        .await;
    let open = app.get_ok(&path, &ops).await;
    assert_eq!(open, json!([]));
    let response = app.get(&format!("{path}&state=cabled"), Some(&ops)).await;
    assert_eq!(response.status(), 422);

    // Auto-accept: the second switch's port 26 is cabled to the third switch; LLDP hears it
    // at their next polls, and the link is written by discovery itself.
    let response = app
        .patch_json(
            &format!("/api/v1/data-centers/{dc_id}"),
            &ops,
            &json!({"lldp_auto_accept": true}),
        )
        .await;
    assert_eq!(response.status(), 200);
    fleet.set_neighbors(&[(6, vec![(25, 0, 2), (26, 7, 25)]), (7, vec![(25, 6, 26)])]);
    assert!(app.state.monitoring.poll_now(device_ids[2]));
    let accepted = app
        .until_get(&format!("{path}&state=accepted"), &ops, |list| {
            list.as_array().is_some_and(|list| list.len() == 3)
        })
        .await;
    let auto = accepted
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            ends(p) == {
                let mut wanted = vec![port(sw6, 26), port(sw7, 25)];
                wanted.sort();
                wanted
            }
        })
        .expect("the recabled link, accepted");
    assert_eq!(auto["decided_by"], Value::Null);
    let history = app
        .get_ok(
            &format!(
                "/api/v1/inventory/changes?object_kind=link&object_id={}",
                auto["link_id"]
            ),
            &ops,
        )
        .await;
    assert_eq!(history[0]["actor_name"], "lldp-discovery", "{history}");
}
