//! The demo's network: a fleet of simulated SNMP devices (in-process, on a local UDP port),
//! entered in the inventory across three data centers with their interfaces, their places
//! in the racks of two machine rooms per data center ([`racks`](super::racks)), and the links
//! of a small data-center network (servers to access switches, switches and firewalls to
//! routers), the cabling LLDP hears (the links, and two differences from them), a few faults
//! present from the start, and a chaos task that keeps taking links down and bringing them
//! back, so that a first run shows alarms raised and cleared live (left out with
//! `--no-chaos`, for tests that take links down themselves).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use rand::Rng;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;
use yunguan_simulators::monbench::inventory::{self as fleet_inventory, InventoryArgs};
use yunguan_simulators::snmp::agent::NO_ACCESS;
use yunguan_simulators::snmp::{Cable, DeviceKind, Fleet, FleetConfig, FleetDevice, Habits};
use yunguan_snmp::mib::HR_STORAGE_TABLE;
use yunguan_snmp::oid;

use super::racks;
use crate::db::entities::{device, interface, link};
use crate::inventory::crud::{self, Writer};
use crate::inventory::devices::{LinkFields, Links};
use crate::inventory::history::ChangeActor;
use crate::inventory::import;
use crate::monitoring::discovered::upsert_interfaces;
use crate::monitoring::messages::DiscoveredInterface;
use crate::secrets::Sealer;

/// How many devices the demo simulates, and across how many data centers.
pub const DEVICES: usize = 300;
pub const DATA_CENTERS: usize = 3;
/// The shortest poll interval the inventory allows.
const POLL_INTERVAL_SECS: u32 = 10;

/// Starts the fleet on a free local port.
pub async fn start_fleet() -> anyhow::Result<Arc<Fleet>> {
    let fleet = Fleet::start(FleetConfig {
        bind: "127.0.0.1:0".parse()?,
        n_devices: DEVICES,
        community_prefix: "demo-".to_owned(),
        seed: 2026,
        n_workers: 1,
    })
    .await
    .context("starting the simulated SNMP fleet")?;
    Ok(Arc::new(fleet))
}

/// Enters the fleet in the inventory (again at every start: its port changes), with its
/// interfaces, machine rooms and racks; the links when there are none yet, and the devices'
/// places in the racks when no device has one yet (so that places changed by hand stay).
pub async fn seed_inventory(
    db: &DatabaseConnection,
    sealer: &Sealer,
    fleet: &Fleet,
) -> anyhow::Result<()> {
    let actor = ChangeActor::System { component: "demo" };
    let writer = Writer {
        sealer,
        actor: &actor,
        now: Utc::now(),
    };
    let mut document = fleet_inventory::document(&InventoryArgs {
        fleet: fleet.local_addr(),
        devices: DEVICES,
        community_prefix: "demo-".to_owned(),
        data_centers: DATA_CENTERS,
        poll_interval_secs: POLL_INTERVAL_SECS,
        offset: 0,
        count: None,
    });
    let rack_plan = racks::plan(&demo_devices(&document));
    if let (Value::Object(kinds), Value::Object(rooms_and_racks)) =
        (&mut document, rack_plan.rooms_and_racks())
    {
        kinds.extend(rooms_and_racks);
    }
    import_document(db, document, &writer, "importing the demo network").await?;
    let placed = device::Entity::find()
        .filter(device::Column::RackUnit.is_not_null())
        .count(db)
        .await?;
    if placed == 0 {
        import_document(
            db,
            rack_plan.device_places(),
            &writer,
            "placing the demo devices in their racks",
        )
        .await?;
    }

    let ids: BTreeMap<String, (i64, i64)> = device::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.name, (found.id, found.data_center_id)))
        .collect();
    let fleet_devices = fleet.devices();
    for fleet_device in &fleet_devices {
        let Some((device_id, _)) = ids.get(&fleet_device.name) else {
            continue;
        };
        let interfaces: Vec<DiscoveredInterface> = fleet_device
            .interfaces
            .iter()
            .map(|(if_index, name, speed_bps)| DiscoveredInterface {
                if_index: *if_index,
                name: name.clone(),
                speed_bps: *speed_bps,
                description: String::new(),
            })
            .collect();
        upsert_interfaces(db, *device_id, &interfaces).await?;
    }
    if link::Entity::find().count(db).await? == 0 {
        link_network(db, &writer, &fleet_devices, &ids).await?;
    }
    Ok(())
}

async fn import_document(
    db: &DatabaseConnection,
    document: Value,
    writer: &Writer<'_>,
    what: &str,
) -> anyhow::Result<()> {
    let rows = import::rows_of_json(document).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    import::import(db, rows, writer, import::ImportMode::Write)
        .await
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    Ok(())
}

/// The devices of a fleet inventory document, for the rack plan.
fn demo_devices(document: &Value) -> Vec<racks::DemoDevice> {
    let text = |row: &Value, field: &str| row[field].as_str().unwrap_or_default().to_owned();
    document["devices"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| racks::DemoDevice {
                    data_center_code: text(row, "data_center_code"),
                    name: text(row, "name"),
                    kind: text(row, "kind"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The demo's shared compute pool.
const DEMO_POOL: &str = "政务云计算资源池";

/// Enters a simulated OpenStack in the first data center, so that its platform actor syncs
/// hypervisors and VMs into the inventory, with its cluster in a shared compute pool.
pub async fn register_openstack(
    db: &DatabaseConnection,
    sealer: &Sealer,
    auth_url: &str,
    credentials: &yunguan_simulators::openstack::SimCredentials,
) -> anyhow::Result<()> {
    let actor = ChangeActor::System { component: "demo" };
    let writer = Writer {
        sealer,
        actor: &actor,
        now: Utc::now(),
    };
    let data_center_code = fleet_inventory::data_center_code(0);
    // Its hypervisors join the one cluster, in a shared compute pool, so that VM requests
    // are placed on them.
    let document = serde_json::json!({
        "resource_pools": [{
            "name": DEMO_POOL,
            "kind": "compute",
            "data_center_code": data_center_code,
            "cpu_overcommit": 4.0,
            "placement_policy": "spread",
        }],
        "cloud_platforms": [{
            "data_center_code": data_center_code,
            "name": "openstack-sim",
            "kind": "openstack",
            "endpoint": auth_url,
            "credentials": {
                "username": credentials.username,
                "password": credentials.password,
                "project": credentials.project,
                "domain": credentials.project_domain,
            },
            "sync_interval_secs": 30,
        }],
        "clusters": [{
            "data_center_code": data_center_code,
            "platform": "openstack-sim",
            "name": "region-one",
            "pool": DEMO_POOL,
        }],
    });
    import_document(db, document, &writer, "registering the simulated openstack").await
}

/// Wires each data center: servers and storage to access-switch ports, switch uplinks and
/// firewalls and load balancers to router ports, while ports last.
async fn link_network(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    fleet_devices: &[FleetDevice],
    ids: &BTreeMap<String, (i64, i64)>,
) -> anyhow::Result<()> {
    let interface_id = |device_id: i64, if_index: u32| async move {
        interface::Entity::find()
            .filter(interface::Column::DeviceId.eq(device_id))
            .filter(interface::Column::IfIndex.eq(if_index as i32))
            .one(db)
            .await
            .map(|found| found.map(|i| i.id))
    };
    let mut by_data_center: BTreeMap<i64, Vec<(&FleetDevice, i64)>> = BTreeMap::new();
    for fleet_device in fleet_devices {
        if let Some((device_id, data_center_id)) = ids.get(&fleet_device.name) {
            by_data_center
                .entry(*data_center_id)
                .or_default()
                .push((fleet_device, *device_id));
        }
    }
    for devices in by_data_center.values() {
        let of_kind = |kinds: &[DeviceKind]| -> Vec<(&FleetDevice, i64)> {
            devices
                .iter()
                .filter(|(d, _)| kinds.contains(&d.kind))
                .copied()
                .collect()
        };
        // Free ports: routers' all, switches' access ports (their uplinks are 25 and 26).
        let mut router_ports: Vec<(i64, u32)> = Vec::new();
        for (router, router_id) in of_kind(&[DeviceKind::Router]) {
            for port in 1..=router.n_interfaces as u32 {
                router_ports.push((router_id, port));
            }
        }
        let mut switch_ports: Vec<(i64, u32)> = Vec::new();
        let switches = of_kind(&[DeviceKind::Switch]);
        for port in 1..=24 {
            for (_, switch_id) in &switches {
                switch_ports.push((*switch_id, port));
            }
        }
        let mut router_ports = router_ports.into_iter();
        let mut switch_ports = switch_ports.into_iter();
        let mut pairs: Vec<((i64, u32), (i64, u32))> = Vec::new();
        for (_, switch_id) in &switches {
            if let Some(router_port) = router_ports.next() {
                pairs.push((router_port, (*switch_id, 25)));
            }
        }
        for (_, device_id) in of_kind(&[DeviceKind::Firewall, DeviceKind::LoadBalancer]) {
            if let Some(router_port) = router_ports.next() {
                pairs.push((router_port, (device_id, 1)));
            }
        }
        for (_, device_id) in of_kind(&[DeviceKind::Server, DeviceKind::StorageArray]) {
            if let Some(switch_port) = switch_ports.next() {
                pairs.push((switch_port, (device_id, 1)));
            }
        }
        for ((a_device, a_port), (b_device, b_port)) in pairs {
            let (Some(a), Some(b)) = (
                interface_id(a_device, a_port).await?,
                interface_id(b_device, b_port).await?,
            ) else {
                continue;
            };
            crud::create::<Links>(
                db,
                LinkFields {
                    a_interface_id: Some(a),
                    b_interface_id: Some(b),
                    bandwidth_bps: None,
                    name: None,
                },
                writer,
            )
            .await
            .map_err(|e| anyhow::anyhow!("linking the demo network: {e}"))?;
        }
    }
    Ok(())
}

/// The cabling LLDP hears: the inventory's links between devices that run LLDP (network
/// gear; servers and storage do not), and two differences from the inventory so that a first
/// run shows proposals: the first two switches' second uplinks (26) are cabled to each other,
/// which the inventory lacks, and the router port the inventory links to the first firewall
/// is cabled to the first load balancer's second port instead.
pub async fn cable(db: &DatabaseConnection, fleet: &Fleet) -> anyhow::Result<()> {
    let devices = fleet.devices();
    let idx_of: BTreeMap<&str, usize> = devices
        .iter()
        .map(|device| (device.name.as_str(), device.idx))
        .collect();
    let names: BTreeMap<i64, String> = device::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.name))
        .collect();
    // Interface id to (fleet index, ifIndex).
    let ends: BTreeMap<i64, (usize, u32)> = interface::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|found| {
            let idx = *idx_of.get(names.get(&found.device_id)?.as_str())?;
            Some((found.id, (idx, u32::try_from(found.if_index).ok()?)))
        })
        .collect();
    let speaks_lldp = |idx: usize| {
        !matches!(
            devices[idx].kind,
            DeviceKind::Server | DeviceKind::StorageArray
        )
    };
    let mut cables: BTreeMap<(usize, u32), (usize, u32)> = BTreeMap::new();
    for found in link::Entity::find().all(db).await? {
        if let (Some(a), Some(b)) = (
            ends.get(&found.a_interface_id),
            ends.get(&found.b_interface_id),
        ) {
            cables.insert(*a, *b);
            cables.insert(*b, *a);
        }
    }
    let nth = |kind: DeviceKind, n: usize| devices.iter().filter(|d| d.kind == kind).nth(n);
    if let (Some(one), Some(other)) = (nth(DeviceKind::Switch, 0), nth(DeviceKind::Switch, 1)) {
        cables.insert((one.idx, 26), (other.idx, 26));
        cables.insert((other.idx, 26), (one.idx, 26));
    }
    if let (Some(firewall), Some(balancer)) = (
        nth(DeviceKind::Firewall, 0),
        nth(DeviceKind::LoadBalancer, 0),
    ) {
        if let Some(router_port) = cables.remove(&(firewall.idx, 1)) {
            cables.remove(&router_port);
            cables.insert(router_port, (balancer.idx, 2));
            cables.insert((balancer.idx, 2), router_port);
        }
    }
    let mut heard: BTreeMap<usize, Vec<Cable>> = devices
        .iter()
        .filter(|device| speaks_lldp(device.idx))
        .map(|device| (device.idx, Vec::new()))
        .collect();
    for ((idx, port), (other, other_port)) in cables {
        if speaks_lldp(idx) && speaks_lldp(other) {
            heard
                .entry(idx)
                .or_default()
                .push((port, other, other_port));
        }
    }
    fleet.set_neighbors(&heard.into_iter().collect::<Vec<_>>());
    Ok(())
}

/// Faults present from the start: the first switch silent, the first firewall's uplink down.
pub async fn break_from_the_start(fleet: &Fleet) {
    let devices = fleet.devices();
    if let Some(switch) = devices.iter().find(|d| d.kind == DeviceKind::Switch) {
        fleet.set_unreachable(switch.idx, true);
    }
    if let Some(firewall) = devices.iter().find(|d| d.kind == DeviceKind::Firewall) {
        fleet.set_link(firewall.idx, 1, false).await;
    }
}

/// Real agents' habits, on a few devices, so that a first run shows how yunguan reads them:
/// the first server ends `ifDescr` with a NUL as Windows agents do, the second switch refuses
/// its `hrStorageTable` (`noAccess`), and the first load balancer answers like an old v1 agent
/// without `sysUpTime`. All three stay up, the two that lose something with a warning.
pub fn give_habits(fleet: &Fleet) {
    let devices = fleet.devices();
    let nth = |kind: DeviceKind, n: usize| devices.iter().filter(|d| d.kind == kind).nth(n);
    if let Some(server) = nth(DeviceKind::Server, 0) {
        let habits = Habits {
            nul_terminated_descr: true,
            ..Habits::default()
        };
        fleet.set_habits(server.idx, habits);
    }
    if let Some(switch) = nth(DeviceKind::Switch, 1) {
        let habits = Habits {
            refused: vec![(oid::encode(HR_STORAGE_TABLE), NO_ACCESS)],
            ..Habits::default()
        };
        fleet.set_habits(switch.idx, habits);
    }
    if let Some(load_balancer) = nth(DeviceKind::LoadBalancer, 0) {
        let habits = Habits {
            v1_errors: true,
            without_uptime: true,
            ..Habits::default()
        };
        fleet.set_habits(load_balancer.idx, habits);
    }
}

/// Chaos: one link down somewhere every `every`, back up after a while.
pub fn stir(fleet: Arc<Fleet>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let devices = fleet.devices();
        let mut down: Vec<(usize, u32)> = Vec::new();
        loop {
            tokio::time::sleep(every).await;
            let (idx, port) = {
                let mut rng = rand::thread_rng();
                let device = &devices[rng.gen_range(0..devices.len())];
                (device.idx, rng.gen_range(1..=device.n_interfaces as u32))
            };
            fleet.set_link(idx, port, false).await;
            down.push((idx, port));
            if down.len() > 2 {
                let (idx, port) = down.remove(0);
                fleet.set_link(idx, port, true).await;
            }
        }
    })
}
