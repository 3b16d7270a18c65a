//! The poller against real agents' habits: a recording of Windows' SNMP service (NUL-ended
//! `ifDescr`, no `ifXTable`), agents that refuse columns or whole tables, and agents with v1
//! habits and no `sysUpTime`. A poll reads what the agent gives and warns of the rest; the
//! device stays up.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use yunguan::identity::Role;

use yunguan::inventory::credentials::Credentials;
use yunguan::monitoring::snmp::mux::Multiplexer;
use yunguan::monitoring::snmp::poll::{poll_device, DeviceSample, PollPlan, PollWarning};
use yunguan::monitoring::snmp::session::{Patience, Session};
use yunguan::monitoring::snmp::SnmpError;
use yunguan_actors::counters::CounterWidth;
use yunguan_simulators::snmp::agent::{
    Habits, AUTHORIZATION_ERROR, GEN_ERR, NO_ACCESS, NO_SUCH_NAME,
};
use yunguan_simulators::snmp::recording::{Recording, RecordingAgent};
use yunguan_simulators::snmp::{DeviceKind, Fleet, FleetConfig};
use yunguan_snmp::{mib, oid};

use crate::helpers::{fleet_row, spawn_app, Backend};
use crate::on_every_backend;
use crate::openapi::assert_answer_is_documented;
use crate::watch::Watch;

const WINDOWS_XP: &str = include_str!("recordings/windows-xp.snmprec");
const COMMUNITY: &str = "public";

async fn poll(recording: &str, habits: Habits) -> Result<DeviceSample, SnmpError> {
    let recording = Recording::parse(recording).expect("a recording");
    let agent = RecordingAgent::start(recording, COMMUNITY, habits)
        .await
        .expect("the recording's agent");
    let mux = Multiplexer::bind("127.0.0.1:0".parse().unwrap(), 16).unwrap();
    let mut session = Session::new(
        agent.local_addr(),
        &Credentials::v2c(COMMUNITY),
        &mux,
        Patience::new(Duration::from_secs(2), 0),
    );
    poll_device(&mut session, PollPlan::default()).await
}

fn refusing(subtree: &[u32], status: u32) -> (Vec<u8>, u32) {
    (oid::encode(subtree), status)
}

fn warning(table: &str, object: &str, reason: &str) -> PollWarning {
    PollWarning {
        table: table.to_owned(),
        object: object.to_owned(),
        reason: reason.to_owned(),
    }
}

#[tokio::test]
async fn a_windows_agent_is_read_with_clean_names_and_32_bit_counters() {
    let sample = poll(WINDOWS_XP, Habits::default()).await.expect("a poll");
    assert!(sample.warnings.is_empty(), "{:?}", sample.warnings);
    assert_eq!(sample.system.name, "CRAY");
    assert_eq!(sample.system.uptime_ticks_opt, Some(82_795));
    let names: Vec<(u32, &str)> = sample
        .interfaces
        .iter()
        .map(|i| (i.if_index, i.name.as_str()))
        .collect();
    // The agent ends every ifDescr with a NUL; no ifName, so the description names them.
    assert_eq!(
        names,
        [
            (1, "MS TCP Loopback interface"),
            (65_539, "Intel(R) PRO/Wireless 2200BG Network Connection"),
            (65_540, "Bluetooth Device (Personal Area Network)"),
        ]
    );
    let wireless = &sample.interfaces[1];
    assert_eq!(wireless.speed_bps, 54_000_000);
    assert!(wireless.admin_up && wireless.oper_up);
    assert_eq!(
        wireless.in_octets.map(|c| (c.value, c.width)),
        Some((911_220_674, CounterWidth::Bits32))
    );
    assert!(!sample.interfaces[2].oper_up, "the Bluetooth link is down");
    assert_eq!(sample.processor_loads, [0]);
    let c_drive = sample
        .storages
        .iter()
        .find(|s| s.descr.starts_with("C:\\"))
        .expect("drive C:");
    assert!(c_drive.is_disk);
    assert_eq!(c_drive.size_bytes, 1_952_447 * 16_384);
    assert!(sample.storages.iter().any(|s| s.is_memory));
}

#[tokio::test]
async fn refused_columns_and_tables_leave_what_was_read_and_a_warning() {
    let habits = Habits {
        refused: vec![
            refusing(mib::HR_STORAGE_TABLE, NO_ACCESS),
            refusing(&mib::column(mib::IF_ENTRY, mib::IF_OUT_OCTETS), GEN_ERR),
            refusing(
                &mib::column(mib::IF_ENTRY, mib::IF_OPER_STATUS),
                AUTHORIZATION_ERROR,
            ),
        ],
        ..Habits::default()
    };
    let sample = poll(WINDOWS_XP, habits)
        .await
        .expect("a poll, not a failure");
    assert_eq!(sample.interfaces.len(), 3, "the rest of ifTable is read");
    assert!(sample.interfaces.iter().all(|i| i.out_octets.is_none()));
    assert!(sample.interfaces.iter().all(|i| i.in_octets.is_some()));
    assert_eq!(
        sample.processor_loads,
        [0],
        "hrProcessorTable is not refused"
    );
    assert!(sample.storages.is_empty());
    let mut warnings = sample.warnings.clone();
    warnings.sort_by(|a, b| (&a.table, &a.object).cmp(&(&b.table, &b.object)));
    assert_eq!(
        warnings,
        [
            warning("host_resources", "hrStorageAllocationUnits", "no_access"),
            warning("host_resources", "hrStorageDescr", "no_access"),
            warning("host_resources", "hrStorageSize", "no_access"),
            warning("host_resources", "hrStorageType", "no_access"),
            warning("host_resources", "hrStorageUsed", "no_access"),
            warning("interfaces", "ifOperStatus", "authorization_error"),
            warning("interfaces", "ifOutOctets", "gen_err"),
        ]
    );
    assert!(sample.lacks("ifOperStatus"));
}

#[tokio::test]
async fn an_agent_with_v1_habits_and_no_uptime_is_read_without_them() {
    let without_uptime: String = WINDOWS_XP
        .lines()
        .filter(|line| !line.starts_with("1.3.6.1.2.1.1.3.0|"))
        .map(|line| format!("{line}\n"))
        .collect();
    let habits = Habits {
        v1_errors: true,
        ..Habits::default()
    };
    let sample = poll(&without_uptime, habits).await.expect("a poll");
    assert_eq!(sample.system.uptime_ticks_opt, None);
    assert_eq!(sample.system.name, "CRAY", "the rest of the system group");
    assert_eq!(
        sample.warnings,
        [warning("system", "sysUpTime", "no_such_name")]
    );
    assert_eq!(sample.interfaces.len(), 3);
}

#[tokio::test]
async fn only_an_empty_system_group_or_silence_fails_a_poll() {
    let no_system: String = WINDOWS_XP
        .lines()
        .filter(|line| !line.starts_with("1.3.6.1.2.1.1."))
        .map(|line| format!("{line}\n"))
        .collect();
    for v1_errors in [false, true] {
        let habits = Habits {
            v1_errors,
            ..Habits::default()
        };
        let failure = poll(&no_system, habits).await.expect_err("no system group");
        assert_eq!(failure, SnmpError::NoSystemGroup, "v1 errors: {v1_errors}");
    }
    let refused_system = Habits {
        refused: vec![refusing(&[1, 3, 6, 1, 2, 1, 1], NO_SUCH_NAME)],
        ..Habits::default()
    };
    let failure = poll(WINDOWS_XP, refused_system).await.expect_err("refused");
    assert_eq!(failure, SnmpError::NoSystemGroup);
    // A community the agent does not know is silence.
    let recording = Recording::parse(WINDOWS_XP).unwrap();
    let agent = RecordingAgent::start(recording, COMMUNITY, Habits::default())
        .await
        .unwrap();
    let mux = Multiplexer::bind("127.0.0.1:0".parse().unwrap(), 16).unwrap();
    let mut session = Session::new(
        agent.local_addr(),
        &Credentials::v2c("private"),
        &mux,
        Patience::new(Duration::from_millis(200), 0),
    );
    assert_eq!(
        poll_device(&mut session, PollPlan::default()).await,
        Err(SnmpError::Timeout)
    );
}

on_every_backend!(an_agent_with_habits_is_monitored_up_with_warnings_over_the_api);

/// A firewall (no `ifXTable`: its interfaces are named by `ifDescr`) whose agent ends
/// `ifDescr` with a NUL, answers like a v1 agent without `sysUpTime`, and refuses its
/// `hrStorageTable`: up, with warnings, rates and clean names in the inventory (PostgreSQL
/// refuses a NUL in text), and no reachability alarm.
async fn an_agent_with_habits_is_monitored_up_with_warnings_over_the_api(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("ops", Role::BureauOperator, None).await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 2,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let firewall = fleet.devices().remove(1);
    assert_eq!(firewall.kind, DeviceKind::Firewall);
    fleet.set_habits(
        firewall.idx,
        Habits {
            refused: vec![refusing(mib::HR_STORAGE_TABLE, NO_ACCESS)],
            v1_errors: true,
            nul_terminated_descr: true,
            without_uptime: true,
        },
    );
    let ops = app.login("ops").await;
    let import = json!({
        "data_centers": [{"code": "dc-east", "name": "东区数据中心", "region": "east", "address": ""}],
        "devices": [fleet_row(&fleet, &firewall, "dc-east", "aggregation")],
    });
    let admin = {
        app.create_user("admin", Role::BureauAdmin, None).await;
        app.login("admin").await
    };
    app.import(&admin, &import).await;
    let devices: Value = app
        .get("/api/v1/devices", Some(&ops))
        .await
        .json()
        .await
        .unwrap();
    let device_id = devices[0]["id"].as_i64().unwrap();

    // Two polls: the second one rates the counters, by the poller's clock alone.
    let mut watch = Watch::on(&app, &[&format!("device/{device_id}")]).await;
    watch
        .until_kind("device.sample", |sample| {
            sample["data"]["interfaces"]
                .as_array()
                .is_some_and(|interfaces| interfaces.iter().any(|i| i["in_bps"].is_number()))
        })
        .await;
    let path = format!("/api/v1/devices/{device_id}/state");
    let view: Value = app.get(&path, Some(&ops)).await.json().await.unwrap();
    assert_eq!(view["status"], "up", "{view}");
    assert_eq!(view["uptime_ticks"], Value::Null);
    assert!(
        view["cpu_percent"].is_number(),
        "hrProcessorLoad is read: {view}"
    );
    assert_eq!(
        view["memory_percent"],
        Value::Null,
        "hrStorageTable is refused"
    );
    let warnings: Vec<(String, String)> = view["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let field = |name: &str| w[name].as_str().unwrap().to_owned();
            (field("object"), field("reason"))
        })
        .collect();
    assert!(
        warnings.contains(&("sysUpTime".into(), "no_such_name".into())),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&("hrStorageType".into(), "no_access".into())),
        "{warnings:?}"
    );
    assert_answer_is_documented("/api/v1/devices/{id}/state", "get", &view);

    // The interfaces learnt from the poll reach the inventory without the NUL.
    let interfaces_path = format!("/api/v1/interfaces?device_id={device_id}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let interfaces = loop {
        let interfaces: Value = app
            .get(&interfaces_path, Some(&ops))
            .await
            .json()
            .await
            .unwrap();
        if interfaces.as_array().is_some_and(|found| !found.is_empty()) {
            break interfaces;
        }
        assert!(Instant::now() < deadline, "interfaces never written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Named by ifDescr, "{port}, {the device's description}", as the agent wrote it less the NUL.
    let mut names: Vec<&str> = interfaces
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    names.sort();
    let mut ports: Vec<&str> = firewall.interfaces.iter().map(|i| i.1.as_str()).collect();
    ports.sort();
    assert_eq!(names.len(), ports.len(), "{names:?}");
    for (name, port) in names.iter().zip(&ports) {
        assert!(name.starts_with(&format!("{port}, ")), "{name:?}");
        assert!(
            !name.contains('\0') && !name.contains('\u{FFFD}'),
            "{name:?}"
        );
        assert!(!name.ends_with(' '), "{name:?}");
    }
    let alarms: Value = app
        .get("/api/v1/alarms", Some(&ops))
        .await
        .json()
        .await
        .unwrap();
    let reachability = alarms
        .as_array()
        .unwrap()
        .iter()
        .filter(|alarm| alarm["device_id"] == device_id && alarm["instance"].is_null())
        .count();
    assert_eq!(reachability, 0, "{alarms}");
}
