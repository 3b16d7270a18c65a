//! Vendor MIBs and the device's own inventory: Huawei, H3C and Cisco CPU, memory and
//! temperature read by `sysObjectID` from net-snmp's `snmpd` serving those tables through
//! `pass` programs (as such a vendor's agent would), and from the fleet's products over the
//! API, with ENTITY-MIB's chassis filling the CMDB's model, serial number and firmware, an
//! upgrade recorded in the device's history, and an alarm rule on temperature.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};
use yunguan::identity::Role;
use yunguan::monitoring::snmp::entity::Hardware;
use yunguan::monitoring::snmp::mux::Multiplexer;
use yunguan::monitoring::snmp::poll::{poll_device, PollPlan};
use yunguan::monitoring::snmp::session::{Patience, Session};
use yunguan::monitoring::snmp::vendor::Health;
use yunguan_simulators::snmp::{Fleet, FleetConfig, Product};

use crate::helpers::{fleet_row, spawn_app, Backend};
use crate::on_every_backend;
use crate::snmpd::{self, Snmpd};
use crate::watch::Watch;

const ENT_PHYSICAL: &str = ".1.3.6.1.2.1.47.1.1.1";
const ENT_SENSOR: &str = ".1.3.6.1.2.1.99.1.1";
const HUAWEI_STATE: &str = ".1.3.6.1.4.1.2011.5.25.31.1.1.1.1";
const H3C_STATE: &str = ".1.3.6.1.4.1.25506.2.6.1.1.1.1";
const CISCO_CPU: &str = ".1.3.6.1.4.1.9.9.109.1.1.1.1";
const CISCO_POOLS: &str = ".1.3.6.1.4.1.9.9.48.1.1.1";

/// A chassis (index 1) in `entPhysicalTable`, as [oid, [type, value]] pairs.
fn chassis(model: &str, serial: &str, software: &str) -> Vec<(String, Value)> {
    let column = |number: u32, kind: &str, value: &str| {
        (format!("{ENT_PHYSICAL}.1.{number}.1"), json!([kind, value]))
    };
    vec![
        column(2, "string", &format!("{model} chassis")),
        column(5, "integer", "3"),
        column(7, "string", "Chassis"),
        column(10, "string", software),
        column(11, "string", serial),
        column(13, "string", model),
    ]
}

/// net-snmp's agent speaking as a vendor's: its `sysObjectID`, and `tables` (each served
/// under its subtree by `pass_table.py`).
async fn vendor_snmpd(
    dir: &tempfile::TempDir,
    object_id: &str,
    subtrees: &[&str],
    objects: Vec<(String, Value)>,
) -> Snmpd {
    let table = dir
        .path()
        .join(format!("{}.json", object_id.replace('.', "_")));
    let objects: serde_json::Map<String, Value> = objects.into_iter().collect();
    std::fs::write(&table, Value::Object(objects).to_string()).unwrap();
    let program = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/snmpd-pass/pass_table.py"
    );
    let mut config = format!("sysObjectID {object_id}\n");
    for subtree in subtrees {
        config.push_str(&format!(
            "pass {subtree} /usr/bin/python3 {program} {} {subtree}\n",
            table.display()
        ));
    }
    Snmpd::start_with(&config).await
}

async fn poll_with_parts(agent: &Snmpd) -> yunguan::monitoring::snmp::poll::DeviceSample {
    let mux = Multiplexer::bind("127.0.0.1:0".parse().unwrap(), 64).unwrap();
    let mut session = Session::new(
        agent.addr,
        &snmpd::v2c(),
        &mux,
        Patience::new(Duration::from_secs(3), 1),
    );
    let plan = PollPlan {
        inventory: true,
        ..PollPlan::default()
    };
    poll_device(&mut session, plan).await.expect("a poll")
}

#[tokio::test]
async fn huawei_h3c_and_cisco_figures_are_read_from_net_snmp_by_sys_object_id() {
    let dir = tempfile::tempdir().unwrap();

    // Huawei: a chassis without figures and a main board.
    let mut objects = chassis("S5735-L48T4X", "2102351931P0SNMPD", "V200R021C00SPC100");
    for (entity, cpu, memory, temperature) in [(1, 0, 0, 36), (16_842_752, 37, 52, 44)] {
        for (column, value) in [(5, cpu), (7, memory), (11, temperature)] {
            objects.push((
                format!("{HUAWEI_STATE}.{column}.{entity}"),
                json!(["integer", value.to_string()]),
            ));
        }
    }
    let huawei = vendor_snmpd(
        &dir,
        ".1.3.6.1.4.1.2011.2.23.633",
        &[HUAWEI_STATE, ENT_PHYSICAL],
        objects,
    )
    .await;

    // H3C: 65535 where a part has no figure, two boards.
    let mut objects = chassis("SR6608-X", "210235A1UWHSNMPD", "7.1.064, Release 7736P08");
    for (entity, cpu, memory, temperature) in
        [(1, 65_535, 65_535, 41), (2, 21, 63, 47), (3, 9, 58, 45)]
    {
        for (column, value) in [(6, cpu), (8, memory), (12, temperature)] {
            objects.push((
                format!("{H3C_STATE}.{column}.{entity}"),
                json!(["integer", value.to_string()]),
            ));
        }
    }
    let h3c = vendor_snmpd(
        &dir,
        ".1.3.6.1.4.1.25506.1.1142",
        &[H3C_STATE, ENT_PHYSICAL],
        objects,
    )
    .await;

    // Cisco: a CPU, two memory pools (400 MB of 1.6 GB used: 25%), an inlet sensor at
    // 39.5 °C (precision 1).
    let mut objects = chassis("C9300-48T", "FOC2418L0SNMPD", "17.06.05");
    objects.extend([
        (format!("{CISCO_CPU}.7.1"), json!(["gauge", "17"])),
        (format!("{CISCO_POOLS}.2.1"), json!(["string", "Processor"])),
        (format!("{CISCO_POOLS}.5.1"), json!(["gauge", "300000000"])),
        (format!("{CISCO_POOLS}.6.1"), json!(["gauge", "900000000"])),
        (format!("{CISCO_POOLS}.2.2"), json!(["string", "I/O"])),
        (format!("{CISCO_POOLS}.5.2"), json!(["gauge", "100000000"])),
        (format!("{CISCO_POOLS}.6.2"), json!(["gauge", "300000000"])),
        (format!("{ENT_SENSOR}.1.1.1020"), json!(["integer", "8"])),
        (format!("{ENT_SENSOR}.1.2.1020"), json!(["integer", "9"])),
        (format!("{ENT_SENSOR}.1.3.1020"), json!(["integer", "1"])),
        (format!("{ENT_SENSOR}.1.4.1020"), json!(["integer", "395"])),
        (format!("{ENT_SENSOR}.1.5.1020"), json!(["integer", "1"])),
    ]);
    let cisco = vendor_snmpd(
        &dir,
        ".1.3.6.1.4.1.9.1.2494",
        &[CISCO_CPU, CISCO_POOLS, ENT_SENSOR, ENT_PHYSICAL],
        objects,
    )
    .await;

    for (agent, health, model, serial) in [
        (
            &huawei,
            Health {
                cpu_percent_opt: Some(37.0),
                memory_percent_opt: Some(52.0),
                temperature_celsius_opt: Some(44.0),
            },
            "S5735-L48T4X",
            "2102351931P0SNMPD",
        ),
        (
            &h3c,
            Health {
                cpu_percent_opt: Some(21.0),
                memory_percent_opt: Some(63.0),
                temperature_celsius_opt: Some(47.0),
            },
            "SR6608-X",
            "210235A1UWHSNMPD",
        ),
        (
            &cisco,
            Health {
                cpu_percent_opt: Some(17.0),
                memory_percent_opt: Some(25.0),
                temperature_celsius_opt: Some(39.5),
            },
            "C9300-48T",
            "FOC2418L0SNMPD",
        ),
    ] {
        let sample = poll_with_parts(agent).await;
        assert_eq!(sample.health, health, "{model}");
        let parts = sample.entities_opt.as_deref().unwrap();
        let hardware = Hardware::of(parts).expect("a chassis");
        assert_eq!(
            (hardware.model.as_str(), hardware.serial_number.as_str()),
            (model, serial)
        );
        assert!(sample.warnings.is_empty(), "{model}: {:?}", sample.warnings);
    }

    // net-snmp as itself (enterprise 8072) is no vendor of these, and has no ENTITY-MIB.
    let plain = Snmpd::start().await;
    let sample = poll_with_parts(&plain).await;
    assert_eq!(sample.health, Health::default());
    assert_eq!(sample.entities_opt, Some(Vec::new()));
}

on_every_backend!(
    the_fleet_s_vendor_gear_fills_its_figures_and_the_cmdb_and_an_upgrade_is_recorded
);

async fn the_fleet_s_vendor_gear_fills_its_figures_and_the_cmdb_and_an_upgrade_is_recorded(
    backend: Backend,
) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let ops = app.login("ops").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 12,
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
    // The H3C router, a Huawei switch and the Cisco switch.
    let picked: Vec<_> = fleet
        .devices()
        .into_iter()
        .filter(|device| [0, 5, 11].contains(&device.idx))
        .collect();
    let products: Vec<Product> = picked.iter().map(|device| device.product).collect();
    assert_eq!(
        products,
        [
            Product::H3cSr6608,
            Product::HuaweiS5735,
            Product::CiscoC9300
        ]
    );
    let import = json!({
        "data_centers": [{"code": "dc-1", "name": "政务云数据中心", "region": "east", "address": ""}],
        "devices": picked.iter().map(|d| {
            let mut row = fleet_row(&fleet, d, "dc-1", "core");
            // What the device says it is replaces what was typed.
            row["vendor"] = json!("unknown");
            row["model"] = json!("typed by hand");
            row
        }).collect::<Vec<_>>(),
    });
    app.import(&ops, &import).await;
    let devices = app.get_ok("/api/v1/devices", &ops).await;
    let id_of = |name: &str| {
        devices
            .as_array()
            .unwrap()
            .iter()
            .find(|device| device["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };

    // Figures from the vendors' MIBs; the parts from ENTITY-MIB; the CMDB as the chassis says.
    for (device, model) in picked.iter().zip(["SR6608-X", "S5735-L48T4X", "C9300-48T"]) {
        let id = id_of(&device.name);
        let state = app
            .until_get(&format!("/api/v1/devices/{id}/state"), &ops, |state| {
                state["status"] == "up"
            })
            .await;
        for figure in ["cpu_percent", "memory_percent", "temperature_celsius"] {
            let value = state[figure].as_f64().unwrap_or(-1.0);
            assert!(
                value > 0.0 && value <= 100.0,
                "{figure} of {model}: {state}"
            );
        }
        let classes: BTreeSet<&str> = state["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|part| part["class"].as_str().unwrap())
            .collect();
        assert!(
            classes.contains("chassis") && classes.contains("power_supply"),
            "{classes:?}"
        );
        let record = app
            .until_get(&format!("/api/v1/devices/{id}"), &ops, |record| {
                record["model"] == model
            })
            .await;
        assert!(
            !record["serial_number"].as_str().unwrap().is_empty(),
            "{record}"
        );
        assert!(!record["firmware"].as_str().unwrap().is_empty(), "{record}");
    }

    // The Huawei switch is upgraded (and reboots): the CMDB follows, and its history says
    // the poller did it, with the firmware before and after.
    let huawei = id_of(&picked[1].name);
    fleet.upgrade_firmware(picked[1].idx).await;
    app.until_get(&format!("/api/v1/devices/{huawei}"), &ops, |record| {
        record["firmware"] == "V200R022C00SPC500"
    })
    .await;
    let history = app
        .get_ok(
            &format!("/api/v1/inventory/changes?object_kind=device&object_id={huawei}"),
            &ops,
        )
        .await;
    let upgrade = &history[0];
    assert_eq!(upgrade["actor_kind"], "system", "{upgrade}");
    assert_eq!(upgrade["actor_name"], "snmp-poller", "{upgrade}");
    assert_eq!(upgrade["before"]["firmware"], "V200R021C00SPC100");
    assert_eq!(upgrade["after"]["firmware"], "V200R022C00SPC500");
    // The first poll's record came before it: from what was typed by hand to the chassis.
    let first = history
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["before"]["model"] == "typed by hand")
        .expect("the first record of the chassis");
    assert_eq!(first["after"]["model"], "S5735-L48T4X");

    // A rule on temperature: every device is warmer than 30 °C.
    let mut alarms = Watch::on(&app, &["overview"]).await;
    let rule = app
        .created(
            "/api/v1/alarm-rules",
            &ops,
            &json!({"name": "设备温度过高", "metric": "temperature_celsius", "comparison": "above",
                    "threshold": 30.0, "severity": "major", "scope_kind": "all"}),
        )
        .await;
    let mut hot = BTreeSet::new();
    while hot.len() < picked.len() {
        for device in &picked {
            app.state.monitoring.poll_now(id_of(&device.name));
        }
        let raised = alarms
            .until_kind("alarm.raised", |event| {
                event["data"]["rule_id"] == rule["id"]
            })
            .await;
        hot.insert(raised["data"]["device_id"].as_i64().unwrap());
    }
}
