//! The monitoring actors against the simulated fleet: device and data-center actors polling,
//! a trap reaching a socket at once with its alarm, an agent restart, and a panicking device
//! actor restarted without disturbing its neighbours. The plan is given directly here; the
//! tests through the inventory API are in `monitoring_api.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::Value;
use yunguan::clock::Clock;
use yunguan::hub::EventKind;
use yunguan::identity::Role;
use yunguan::inventory::credentials::Credentials;
use yunguan::monitoring::alarms::Notifier;
use yunguan::monitoring::device::{DeviceChange, DeviceSampleEvent, DeviceStateEvent};
use yunguan::monitoring::messages::DeviceConfig;
use yunguan::monitoring::topology::DeviceLink;
use yunguan::monitoring::{Monitoring, Plan, Services};
use yunguan::outbox::Nudge;
use yunguan_actors::alarm::default_rules;
use yunguan_actors::supervision::{ActorRegistry, Backoff, Supervisor};
use yunguan_simulators::snmp::{Fleet, FleetConfig};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use yunguan::db::entities::{alarm, mail_outbox};

use crate::helpers::{settings_for, spawn_app, Backend, TestApp, WsClient};
use crate::on_every_backend;
use crate::tickets::user_with_email;
use crate::watch::Watch;

on_every_backend!(
    a_trap_reaches_the_socket_at_once_and_raises_an_interface_alarm,
    a_panicking_device_actor_restarts_alone,
    a_flapping_interface_is_announced_once_then_held_back,
    devices_behind_a_failed_core_are_its_symptoms,
    telemetry_reaches_current_subscribers_and_is_never_replayed,
    an_unacknowledged_alarm_is_escalated_when_its_clock_passes_the_delay,
);

const DATA_CENTER: i64 = 1;

/// Device `i` of the fleet is device `i + 1` here; the first is the core.
async fn monitor_fleet(
    app: &TestApp,
    fleet: &Fleet,
    poll_interval: Duration,
    storage: &crate::helpers::Storage,
) -> Monitoring {
    monitor_fleet_on(app, fleet, (poll_interval, Clock::system()), storage).await
}

/// As [`monitor_fleet`], the data centers on `clock`.
async fn monitor_fleet_on(
    app: &TestApp,
    fleet: &Fleet,
    (poll_interval, clock): (Duration, Clock),
    storage: &crate::helpers::Storage,
) -> Monitoring {
    let devices = fleet
        .devices()
        .into_iter()
        .map(|device| DeviceConfig {
            id: device.idx as i64 + 1,
            data_center_id: DATA_CENTER,
            name: device.name.clone(),
            kind: device.kind.as_str().to_owned(),
            tier: if device.idx == 0 { "core" } else { "access" }.to_owned(),
            address: fleet.local_addr(),
            credentials: Credentials::v2c(&device.community),
            poll_interval,
        })
        .collect::<Vec<_>>();
    let links = (2..=devices.len() as i64)
        .map(|device_id| DeviceLink {
            link_id: device_id,
            a_device_id: 1,
            a_if_index: device_id as u32,
            b_device_id: device_id,
            b_if_index: 1,
            bandwidth_bps: 10_000_000_000,
        })
        .collect();
    let plan = Plan::grouped(vec![DATA_CENTER], devices, links, Vec::new());
    let mut settings = settings_for(storage);
    // Silent agents are declared down within a few hundred milliseconds.
    settings.monitoring.request_timeout_ms = 150;
    settings.monitoring.retries = 0;
    let supervisor = Supervisor::new(ActorRegistry::default(), Backoff::default());
    let services = Services {
        db: app.db.clone(),
        sealer: app.state.secrets.clone(),
        hub: app.state.hub.clone(),
        metrics: app.state.metrics.clone(),
        notifier: Notifier {
            mail: settings.mail.clone(),
            nudge: Nudge::default(),
        },
        clock,
    };
    let monitoring = Monitoring::start(
        &supervisor,
        services,
        &settings.monitoring,
        default_rules(),
        plan,
    )
    .await
    .unwrap();
    fleet.send_traps_to(
        monitoring
            .trap_addr_opt()
            .expect("monitoring listens for traps"),
    );
    monitoring
}

async fn wait_for_event(
    socket: &mut WsClient,
    within: Duration,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = socket
            .try_next_json(left)
            .await
            .unwrap_or_else(|| panic!("no matching event within {within:?}"));
        if wanted(&frame) {
            return frame;
        }
    }
}

/// Waits until each device has been polled successfully (at once, if it already was).
async fn wait_until_up(app: &TestApp, monitoring: &Monitoring, device_ids: &[i64]) {
    for device_id in device_ids {
        let mut watch = Watch::on(app, &[&format!("device/{device_id}")]).await;
        let view = monitoring.device_state_view(*device_id).await;
        if view.is_some_and(|view| view.status == "up") {
            continue;
        }
        watch
            .until_kind("device.sample", |sample| sample["data"]["status"] == "up")
            .await;
    }
}

async fn a_trap_reaches_the_socket_at_once_and_raises_an_interface_alarm(backend: Backend) {
    let (app, storage) = spawn_app(backend).await;
    user_with_email(&app, "noc", Role::BureauOperator, None).await;
    let edu = app.create_tenant("edu").await;
    user_with_email(&app, "tenant-dev", Role::TenantMember, Some(edu)).await;
    let token = app.login("noc").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 4,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    // Polls a minute apart, each device polled once now: within the test, only a trap can
    // tell of a change.
    let monitoring = monitor_fleet(&app, &fleet, Duration::from_secs(60), &storage).await;
    let mut socket = app.ws(&token).await;
    socket.subscribe("device/3", None).await;
    socket.subscribe("dc/1", None).await;
    for device_id in 1..=4 {
        assert!(monitoring.poll_now(device_id));
    }
    // Polls come in as samples, and the data center publishes its aggregates.
    let sample = wait_for_event(&mut socket, Duration::from_secs(5), |f| {
        f["kind"] == "device.sample"
    })
    .await;
    assert_eq!(sample["data"]["status"], "up");
    let summary = wait_for_event(&mut socket, Duration::from_secs(5), |f| {
        f["kind"] == "dc.summary" && f["data"]["devices_up"].as_u64() == Some(4)
    })
    .await;
    assert_eq!(summary["data"]["devices"], 4);
    // It names the busiest devices (every simulated agent reports its CPU), busiest first.
    let busiest_devices = summary["data"]["busiest_devices"].as_array().unwrap();
    assert_eq!(busiest_devices.len(), 4, "{summary}");
    let cpus: Vec<f64> = busiest_devices
        .iter()
        .map(|device| device["cpu_percent"].as_f64().unwrap())
        .collect();
    assert!(cpus.windows(2).all(|pair| pair[0] >= pair[1]), "{cpus:?}");
    wait_until_up(&app, &monitoring, &[1, 2, 3, 4]).await;
    // Rates need a second poll; then the busiest links are named with their ends.
    for device_id in 1..=4 {
        assert!(monitoring.poll_now(device_id));
    }
    let summary = wait_for_event(&mut socket, Duration::from_secs(5), |f| {
        f["kind"] == "dc.summary"
            && f["data"]["busiest_links"]
                .as_array()
                .is_some_and(|links| links.len() == 3)
    })
    .await;
    let busiest_link = &summary["data"]["busiest_links"][0];
    assert_eq!(busiest_link["a_device_id"], 1);
    assert_eq!(
        busiest_link["a_device_name"],
        fleet.devices()[0].name.as_str()
    );
    assert!(busiest_link["utilization_percent"].as_f64().unwrap() >= 0.0);
    // Every few seconds, the links whose utilization moved go to the data center's topic;
    // from them a subscriber knows every link's.
    let mut utilization_by_link: BTreeMap<i64, Value> = BTreeMap::new();
    while utilization_by_link.len() < 3 || utilization_by_link.values().any(Value::is_null) {
        let frame = wait_for_event(&mut socket, Duration::from_secs(15), |f| {
            f["kind"] == "link.utilization"
        })
        .await;
        assert_eq!(frame["topic"], "dc/1");
        assert_eq!(frame["data"]["data_center_id"], DATA_CENTER);
        for link in frame["data"]["links"].as_array().unwrap() {
            utilization_by_link.insert(
                link["link_id"].as_i64().unwrap(),
                link["utilization_percent"].clone(),
            );
        }
    }
    assert_eq!(
        utilization_by_link.keys().copied().collect::<Vec<_>>(),
        [2, 3, 4]
    );

    // Interface 2 of device 3 goes down; its trap changes the state, the next poll being
    // most of a minute away.
    fleet.set_link(2, 2, false).await;
    // The change goes to the device's topic and to its data center's (which the topology
    // watches), the alarm to the data center's; in no particular order between topics.
    let mut change_topics = BTreeSet::new();
    let mut raised_opt = None;
    while change_topics.len() < 2 || raised_opt.is_none() {
        let frame = wait_for_event(&mut socket, Duration::from_secs(5), |f| {
            (f["kind"] == "device.state" && f["data"]["change"] == "interface_down")
                || (f["kind"] == "alarm.raised" && f["topic"] == "dc/1")
        })
        .await;
        if frame["kind"] == "device.state" {
            assert_eq!(frame["data"]["device_id"], 3);
            assert_eq!(frame["data"]["if_index"], 2);
            change_topics.insert(frame["topic"].as_str().unwrap().to_owned());
        } else {
            raised_opt = Some(frame);
        }
    }
    assert_eq!(
        change_topics,
        BTreeSet::from(["dc/1".to_owned(), "device/3".to_owned()])
    );
    let raised = raised_opt.unwrap();
    assert_eq!(raised["data"]["rule_name"], "interface down");
    assert_eq!(raised["data"]["device_id"], 3);
    assert_eq!(raised["data"]["instance"], "2");
    assert_eq!(raised["data"]["severity"], "major");
    // A major root-cause alarm mails the bureau's operators, in the raising transaction.
    let mails = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Template.eq("alarm_raised"))
        .all(&app.db)
        .await
        .unwrap();
    let recipients: Vec<&str> = mails.iter().map(|m| m.recipient.as_str()).collect();
    assert_eq!(recipients, vec!["noc@gov.example"]);
    assert!(
        mails[0].subject.contains("interface down"),
        "{}",
        mails[0].subject
    );

    // The link comes back: the alarm clears on its own.
    fleet.set_link(2, 2, true).await;
    let cleared = wait_for_event(&mut socket, Duration::from_secs(3), |f| {
        f["kind"] == "alarm.cleared" && f["topic"] == "dc/1"
    })
    .await;
    assert_eq!(cleared["data"]["id"], raised["data"]["id"]);
    assert_eq!(cleared["data"]["clear_reason"], "condition_ended");

    // The agent restarts: a coldStart trap and the poll it asks for (new baselines), then a
    // poll whose rates, across the restart, are never negative.
    fleet.restart(2).await;
    wait_for_event(&mut socket, Duration::from_secs(5), |f| {
        f["kind"] == "device.state" && f["data"]["change"] == "restarted"
    })
    .await;
    wait_for_event(&mut socket, Duration::from_secs(5), |f| {
        f["kind"] == "device.sample"
    })
    .await;
    // A poll already in flight when the trap arrived may also end as a fresh baseline, and
    // two polls a few milliseconds apart may read an implausible rate (no rates either way),
    // so ask again, spaced out, until a sample carries rates; none may ever be negative.
    let mut rates = 0;
    let mut sample = Value::Null;
    for _ in 0..5 {
        // The agent's counters and uptime move in real time (it is a peer, not on our
        // clock): let them move between two polls.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(monitoring.poll_now(3));
        sample = wait_for_event(&mut socket, Duration::from_secs(5), |f| {
            f["kind"] == "device.sample"
        })
        .await;
        for interface in sample["data"]["interfaces"].as_array().unwrap() {
            for direction in ["in_bps", "out_bps"] {
                if let Some(rate) = interface[direction].as_f64() {
                    assert!((0.0..=10e9).contains(&rate), "{interface}");
                    rates += 1;
                }
            }
        }
        if rates > 0 {
            break;
        }
    }
    assert!(rates > 0, "rates after the restart: {sample}");
    monitoring.stop();
}

async fn a_panicking_device_actor_restarts_alone(backend: Backend) {
    let (app, storage) = spawn_app(backend).await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 3,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let monitoring = monitor_fleet(&app, &fleet, Duration::from_millis(200), &storage).await;
    wait_until_up(&app, &monitoring, &[1, 2, 3]).await;
    let mut restarted = Watch::on(&app, &["device/2"]).await;
    let mut neighbour = Watch::on(&app, &["device/3"]).await;

    assert!(monitoring.panic_device(2));
    // The restarted actor starts knowing nothing: its first good poll finds the device
    // reachable again, which the actor that panicked had long known.
    restarted
        .until_kind("device.state", |event| {
            event["data"]["change"] == "reachable"
        })
        .await;
    assert_eq!(monitoring.device_health(2), Some((1, 1)));
    assert_eq!(monitoring.device_health(1), Some((0, 0)));
    assert_eq!(monitoring.device_health(3), Some((0, 0)));
    // Its neighbour never stopped polling.
    neighbour
        .until_kind("device.sample", |sample| sample["data"]["status"] == "up")
        .await;
    monitoring.stop();
}

async fn active_alarms(app: &TestApp) -> Vec<alarm::Model> {
    alarm::Entity::find()
        .filter(alarm::Column::State.ne("cleared"))
        .all(&app.db)
        .await
        .unwrap()
}

async fn a_flapping_interface_is_announced_once_then_held_back(backend: Backend) {
    let (app, storage) = spawn_app(backend).await;
    app.create_user("noc", Role::BureauOperator, None).await;
    let token = app.login("noc").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 3,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let monitoring = monitor_fleet(&app, &fleet, Duration::from_secs(2), &storage).await;
    wait_until_up(&app, &monitoring, &[1, 2, 3]).await;
    let mut socket = app.ws(&token).await;
    socket.subscribe("dc/1", None).await;
    // Ten transitions at once: more than the five a window allows.
    for _ in 0..5 {
        fleet.set_link(1, 4, false).await;
        fleet.set_link(1, 4, true).await;
    }
    fleet.set_link(1, 4, false).await;
    let mut raised = 0;
    let mut cleared = 0;
    while let Some(frame) = socket.try_next_json(Duration::from_millis(700)).await {
        match frame["kind"].as_str() {
            Some("alarm.raised") => raised += 1,
            Some("alarm.cleared") => cleared += 1,
            _ => {}
        }
    }
    assert!(
        raised <= 3 && cleared <= 3,
        "raised {raised}, cleared {cleared}"
    );
    assert!(raised >= 1);
    let flapping: Vec<_> = alarm::Entity::find()
        .filter(alarm::Column::DeviceId.eq(2))
        .filter(alarm::Column::Flapping.eq(true))
        .all(&app.db)
        .await
        .unwrap();
    assert!(!flapping.is_empty(), "the alarm is marked flapping");
    monitoring.stop();
}

async fn devices_behind_a_failed_core_are_its_symptoms(backend: Backend) {
    let (app, storage) = spawn_app(backend).await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 3,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let monitoring = monitor_fleet(&app, &fleet, Duration::from_millis(200), &storage).await;
    wait_until_up(&app, &monitoring, &[1, 2, 3]).await;
    // The core (device 1) and device 2 behind it go silent; device 3 stays up.
    let mut alarms = Watch::on(&app, &["dc/1"]).await;
    fleet.set_unreachable(0, true);
    fleet.set_unreachable(1, true);
    // The latest word on each device's "device unreachable" alarm, by device.
    let mut unreachable: BTreeMap<i64, Value> = BTreeMap::new();
    while unreachable
        .get(&2)
        .is_none_or(|behind| behind["caused_by_device_id"] != 1)
        || !unreachable.contains_key(&1)
    {
        let event = alarms
            .until("the symptom alarm", |event| {
                matches!(
                    event["kind"].as_str(),
                    Some("alarm.raised" | "alarm.updated")
                ) && event["data"]["rule_name"] == "device unreachable"
            })
            .await;
        let data = event["data"].clone();
        unreachable.insert(data["device_id"].as_i64().unwrap(), data);
    }
    assert_eq!(
        unreachable[&1]["caused_by_device_id"],
        Value::Null,
        "the core is the root cause"
    );
    assert!(!unreachable.contains_key(&3), "{unreachable:?}");
    // Everything comes back: both alarms clear.
    fleet.set_unreachable(0, false);
    fleet.set_unreachable(1, false);
    let mut open: BTreeSet<i64> = unreachable
        .values()
        .map(|alarm| alarm["id"].as_i64().unwrap())
        .collect();
    while !open.is_empty() {
        let cleared = alarms
            .until_kind("alarm.cleared", |event| {
                event["data"]["rule_name"] == "device unreachable"
            })
            .await;
        open.remove(&cleared["data"]["id"].as_i64().unwrap());
    }
    assert!(active_alarms(&app)
        .await
        .iter()
        .all(|alarm| alarm.rule_name != "device unreachable"));
    monitoring.stop();
}

async fn telemetry_reaches_current_subscribers_and_is_never_replayed(backend: Backend) {
    let (app, _storage) = spawn_app(backend).await;
    app.create_user("noc", Role::BureauOperator, None).await;
    let token = app.login("noc").await;
    let topic = yunguan::hub::Topic::Device(77);
    // Samples numbered by their `at_ms`.
    let sample = |n: u64| DeviceSampleEvent {
        device_id: 77,
        at_ms: n,
        status: "up".to_owned(),
        cpu_percent: None,
        memory_percent: None,
        temperature_celsius: None,
        interfaces: Vec::new(),
        warnings: Vec::new(),
    };
    // Nobody watches yet: the sample goes nowhere and leaves nothing behind.
    app.state
        .hub
        .publish_telemetry(&topic, EventKind::DeviceSample, &sample(0))
        .await
        .unwrap();
    let mut socket = app.ws(&token).await;
    let subscribed = socket.subscribe("device/77", None).await;
    // Before any numbered event of the topic: a sample carries the number the subscriber was
    // told (with Redis, the topic's number there), never less, or a client would drop it.
    app.state
        .hub
        .publish_telemetry(&topic, EventKind::DeviceSample, &sample(100))
        .await
        .unwrap();
    let first = wait_for_event(&mut socket, Duration::from_secs(2), |f| {
        f["kind"] == "device.sample"
    })
    .await;
    assert_eq!(first["seq"], subscribed["seq"], "{first}");
    let state_seq = app
        .state
        .hub
        .publish(
            &topic,
            EventKind::DeviceState,
            &DeviceStateEvent {
                device_id: 77,
                change: DeviceChange::Unreachable,
                if_index: None,
                at_ms: 1,
            },
        )
        .await
        .unwrap();
    let state = wait_for_event(&mut socket, Duration::from_secs(2), |f| {
        f["kind"] == "device.state"
    })
    .await;
    assert_eq!(state["seq"], state_seq);
    for n in 1..=3 {
        app.state
            .hub
            .publish_telemetry(&topic, EventKind::DeviceSample, &sample(n))
            .await
            .unwrap();
        let sample = wait_for_event(&mut socket, Duration::from_secs(2), |f| {
            f["kind"] == "device.sample"
        })
        .await;
        assert_eq!(sample["data"]["at_ms"], n);
        assert_eq!(
            sample["seq"], state_seq,
            "telemetry carries the latest number"
        );
    }
    // A client resuming from before the state change gets the event, and no samples.
    let mut resumed = app.ws(&token).await;
    resumed.subscribe("device/77", Some(state_seq - 1)).await;
    let replayed = resumed.next_json().await;
    assert_eq!(replayed["kind"], "device.state");
    resumed.expect_silence(Duration::from_millis(300)).await;
}

async fn an_unacknowledged_alarm_is_escalated_when_its_clock_passes_the_delay(backend: Backend) {
    let (app, storage) = spawn_app(backend).await;
    app.create_user("noc", Role::BureauOperator, None).await;
    let token = app.login("noc").await;
    let fleet = Fleet::start(FleetConfig {
        n_devices: 2,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let clock = Clock::manual(Utc::now());
    let monitoring = monitor_fleet_on(
        &app,
        &fleet,
        (Duration::from_millis(200), clock.clone()),
        &storage,
    )
    .await;
    // Monitoring runs on the manual clock: nothing polls until asked, or until the clock
    // moves.
    for device_id in [1, 2] {
        assert!(monitoring.poll_now(device_id));
    }
    wait_until_up(&app, &monitoring, &[1, 2]).await;
    let mut socket = app.ws(&token).await;
    socket.subscribe("device/2", None).await;
    fleet.set_unreachable(1, true);
    // Two failed polls in a row make a device unreachable: the second is asked for while
    // the first is out, and follows it at once.
    assert!(monitoring.poll_now(2));
    assert!(monitoring.poll_now(2));
    let raised = wait_for_event(&mut socket, Duration::from_secs(10), |frame| {
        frame["kind"] == "alarm.raised"
    })
    .await;
    assert_eq!(raised["data"]["rule_name"], "device unreachable");
    // Dated by the clock, which stood still since the start.
    let raised_at: chrono::DateTime<Utc> = raised["data"]["raised_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(raised_at.timestamp_millis(), clock.now().timestamp_millis());
    // Nobody acknowledges it; the data center's clock passes the 15 minutes (the default
    // `escalate_after_mins`) and its next escalation check.
    clock.advance(chrono::Duration::minutes(16));
    let escalated = wait_for_event(&mut socket, Duration::from_secs(10), |frame| {
        frame["kind"] == "alarm.escalated"
    })
    .await;
    assert_eq!(escalated["data"]["id"], raised["data"]["id"]);
    // Recorded on the alarm by the data center's clock, so that a restart does not page the
    // managers again.
    let escalated_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(escalated["data"]["escalated_at"].clone()).unwrap();
    assert_eq!(
        escalated_at.timestamp_millis(),
        clock.now().timestamp_millis()
    );
    monitoring.stop();
}
