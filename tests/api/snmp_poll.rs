//! The SNMP poller against real agents: net-snmp's `snmpd` over v2c and v3 authPriv, and the
//! simulated fleet; slow agents, and traps.

use std::time::Duration;

use yunguan::inventory::credentials::Credentials;
use yunguan::monitoring::snmp::entity::Hardware;
use yunguan::monitoring::snmp::mux::Multiplexer;
use yunguan::monitoring::snmp::poll::{poll_device, PollPlan};
use yunguan::monitoring::snmp::session::{Patience, Session};
use yunguan::monitoring::snmp::traps::{Senders, TrapKind, TrapListener};
use yunguan::monitoring::snmp::vendor::Health;
use yunguan::monitoring::snmp::SnmpError;
use yunguan_actors::counters::CounterWidth;
use yunguan_simulators::snmp::{DeviceKind, Fleet, FleetConfig, Product};

use crate::snmpd::{self, Snmpd};

async fn mux() -> Multiplexer {
    Multiplexer::bind("127.0.0.1:0".parse().unwrap(), 256).unwrap()
}

#[tokio::test]
async fn polls_net_snmp_over_v2c_and_v3_auth_priv() {
    let agent = Snmpd::start().await;
    let mux = mux().await;
    for credentials in [snmpd::v2c(), snmpd::v3()] {
        let version = credentials.version();
        let mut session = Session::new(
            agent.addr,
            &credentials,
            &mux,
            Patience::new(Duration::from_secs(2), 0),
        );
        let sample = poll_device(&mut session, PollPlan::default())
            .await
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert!(
            sample.system.descr.starts_with("Linux"),
            "{version}: {:?}",
            sample.system
        );
        assert_eq!(sample.system.location, "yunguan test rack", "{version}");
        assert!(
            sample
                .system
                .uptime_ticks_opt
                .is_some_and(|ticks| ticks > 0),
            "{version}"
        );
        assert!(
            sample.system.object_id.starts_with("1.3.6.1.4.1.8072"),
            "{version}"
        );
        let lo = sample
            .interfaces
            .iter()
            .find(|i| i.name == "lo")
            .unwrap_or_else(|| panic!("{version}: no lo in {:?}", sample.interfaces));
        assert!(lo.admin_up && lo.oper_up, "{version}: {lo:?}");
        // net-snmp has ifXTable: the loopback's octets come as 64-bit counters.
        assert_eq!(
            lo.in_octets.map(|c| c.width),
            Some(CounterWidth::Bits64),
            "{version}"
        );
        assert!(!sample.storages.is_empty(), "{version}: hrStorage");
        assert!(
            sample
                .storages
                .iter()
                .any(|s| s.is_memory && s.size_bytes > 0),
            "{version}"
        );
        assert!(sample.varbinds > 50, "{version}: {}", sample.varbinds);
    }
}

#[tokio::test]
async fn a_wrong_v3_password_fails_cleanly() {
    let agent = Snmpd::start().await;
    let mux = mux().await;
    let mut session = Session::new(
        agent.addr,
        &snmpd::v3_with("not-the-passphrase"),
        &mux,
        Patience::new(Duration::from_millis(500), 0),
    );
    let error = poll_device(&mut session, PollPlan::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SnmpError::Auth(_) | SnmpError::Timeout | SnmpError::Malformed(_)
        ),
        "{error:?}"
    );
    // A wrong community gets no answer at all.
    let mut session = Session::new(
        agent.addr,
        &Credentials::v2c("guess"),
        &mux,
        Patience::new(Duration::from_millis(300), 0),
    );
    assert_eq!(
        poll_device(&mut session, PollPlan::default())
            .await
            .unwrap_err(),
        SnmpError::Timeout
    );
}

#[tokio::test]
async fn polls_the_simulated_fleet_many_at_once() {
    let fleet = Fleet::start(FleetConfig {
        n_devices: 60,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let mux = mux().await;
    let polls = fleet.devices().into_iter().map(|device| {
        let mux = mux.clone();
        let addr = fleet.local_addr();
        async move {
            let mut session = Session::new(
                addr,
                &Credentials::v2c(&device.community),
                &mux,
                Patience::new(Duration::from_secs(2), 0),
            );
            let plan = PollPlan {
                inventory: true,
                ..PollPlan::default()
            };
            (device, poll_device(&mut session, plan).await)
        }
    });
    let results = futures_util::future::join_all(polls).await;
    let mut vendors_seen = Vec::new();
    // Each device's chassis has a serial number of its own.
    let mut serials = std::collections::HashSet::new();
    for (device, sample) in results {
        let sample = sample.unwrap_or_else(|e| panic!("{}: {e}", device.name));
        assert_eq!(sample.system.name, device.name);
        assert_eq!(
            sample.interfaces.len(),
            device.n_interfaces,
            "{}",
            device.name
        );
        let expected_width = if device.kind == DeviceKind::Firewall {
            CounterWidth::Bits32
        } else {
            CounterWidth::Bits64
        };
        for interface in &sample.interfaces {
            assert_eq!(
                interface.in_octets.map(|c| c.width),
                Some(expected_width),
                "{interface:?}"
            );
            assert!(
                interface.oper_up && interface.speed_bps >= 1_000_000_000,
                "{interface:?}"
            );
        }
        assert!(sample
            .storages
            .iter()
            .any(|s| s.is_disk && s.used_bytes > 0));
        // The big vendors' gear tells CPU, memory and temperature in its own MIBs, and what it
        // is in ENTITY-MIB; the rest in HOST-RESOURCES-MIB.
        let entities = sample
            .entities_opt
            .as_deref()
            .expect("the plan asked for parts");
        let vendor_model = match device.product {
            Product::HuaweiS5735 => Some("S5735-L48T4X"),
            Product::H3cSr6608 => Some("SR6608-X"),
            Product::CiscoC9300 => Some("C9300-48T"),
            _ => None,
        };
        if let Some(model) = vendor_model {
            vendors_seen.push(device.product);
            let health = sample.health;
            assert!(sample.processor_loads.is_empty(), "{}", device.name);
            for figure in [
                health.cpu_percent_opt,
                health.memory_percent_opt,
                health.temperature_celsius_opt,
            ] {
                assert!(
                    figure.is_some_and(|value| value > 0.0 && value <= 100.0),
                    "{}: {health:?}",
                    device.name
                );
            }
            let hardware = Hardware::of(entities).expect("a chassis");
            assert_eq!(hardware.model, model);
            assert!(!hardware.firmware.is_empty(), "{hardware:?}");
            assert!(
                serials.insert(hardware.serial_number.clone()),
                "{hardware:?}"
            );
            assert!(sample.warnings.is_empty(), "{:?}", sample.warnings);
        } else {
            assert!(!sample.processor_loads.is_empty(), "{}", device.name);
            assert_eq!(sample.health, Health::default(), "{}", device.name);
            assert!(entities.is_empty(), "{}", device.name);
        }
    }
    vendors_seen.sort_by_key(|product| format!("{product:?}"));
    vendors_seen.dedup();
    assert_eq!(
        vendors_seen,
        [
            Product::CiscoC9300,
            Product::H3cSr6608,
            Product::HuaweiS5735
        ]
    );
    assert_eq!(
        mux.stats()
            .timeouts
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

#[tokio::test]
async fn a_slow_or_silent_agent_delays_no_other_device() {
    let fleet = Fleet::start(FleetConfig {
        n_devices: 20,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    fleet.set_delay(0, Duration::from_secs(3));
    fleet.set_unreachable(1, true);
    let mux = mux().await;
    let devices = fleet.devices();
    // The order in which polls end: every healthy device's before either silent one's.
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let polls = devices.iter().map(|device| {
        let mux = mux.clone();
        let addr = fleet.local_addr();
        let finished = &finished;
        async move {
            let mut session = Session::new(
                addr,
                &Credentials::v2c(&device.community),
                &mux,
                Patience::new(Duration::from_secs(1), 0),
            );
            let result = poll_device(&mut session, PollPlan::default()).await;
            let order = finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (device.idx, result, order)
        }
    });
    let results = futures_util::future::join_all(polls).await;
    let healthy = results.len() - 2;
    for (idx, result, order) in results {
        match idx {
            0 | 1 => {
                assert_eq!(result.unwrap_err(), SnmpError::Timeout, "device {idx}");
                assert!(order >= healthy, "device {idx} ended before a healthy one");
            }
            _ => {
                assert!(result.is_ok(), "device {idx}: {result:?}");
                assert!(order < healthy, "device {idx} waited for a silent one");
            }
        }
    }
}

#[tokio::test]
async fn traps_from_the_fleet_are_decoded() {
    let fleet = Fleet::start(FleetConfig {
        n_devices: 3,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let (trap_tx, mut trap_rx) = tokio::sync::mpsc::unbounded_channel();
    // The fleet's devices share its address; each signs with its own community.
    let devices: Vec<(i64, Credentials)> = (1..=3)
        .map(|idx| (idx, Credentials::v2c(&format!("sim-{idx}"))))
        .collect();
    let listener = TrapListener::bind(
        "127.0.0.1:0".parse().unwrap(),
        FleetAddress(fleet.local_addr().ip(), devices),
        move |trap| {
            let _ = trap_tx.send(trap);
        },
    )
    .await
    .unwrap();
    fleet.send_traps_to(listener.local_addr());
    fleet.set_link(2, 3, false).await;
    fleet.set_link(2, 3, true).await;
    fleet.restart(1).await;
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let trap = tokio::time::timeout(Duration::from_secs(2), trap_rx.recv())
            .await
            .expect("a trap in time")
            .unwrap();
        assert_eq!(trap.from, fleet.local_addr());
        kinds.push((trap.device_id, trap.kind));
    }
    assert_eq!(
        kinds,
        vec![
            (2, TrapKind::LinkDown { if_index: 3 }),
            (2, TrapKind::LinkUp { if_index: 3 }),
            (1, TrapKind::ColdStart),
        ]
    );
}

/// The devices at one address.
struct FleetAddress(std::net::IpAddr, Vec<(i64, Credentials)>);

impl Senders for FleetAddress {
    fn at(&self, ip: std::net::IpAddr) -> Vec<(i64, Credentials)> {
        if ip == self.0 {
            self.1.clone()
        } else {
            Vec::new()
        }
    }
}
