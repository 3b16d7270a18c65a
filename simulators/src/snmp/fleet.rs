//! The agent fleet: thousands of simulated devices answering SNMPv2c on one UDP port, each
//! selected by its community string (as snmpsim does), with faults injected from outside: a
//! link down or up (with its trap), an unreachable or slow agent, an agent restart (with a
//! coldStart trap), the habits of real agents ([`Habits`]).
//!
//! Requests are decoded with `snmp2`'s `Pdu`; answers and traps are written with
//! `yunguan_snmp::ber`. Malformed packets, other versions and unknown communities are dropped
//! unanswered and counted, as a real agent does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use yunguan_snmp::ber::{self, Header, PduType, Value, Writer};
use yunguan_snmp::snmp2::{Pdu, Version};
use yunguan_snmp::{mib, oid};

use super::agent::{self, Habits, MibView};
use super::device::SimDevice;
use super::lldp::LldpRows;
use super::profile::{Cell, DeviceKind, Product, Profiles};

/// The most varbinds one answer carries; GETBULK answers are cut to it (RFC 3416 lets an
/// agent return fewer repetitions than asked).
const MAX_VARBINDS_PER_ANSWER: usize = 1_200;

/// Devices to simulate.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Where to listen; port 0 picks a free one.
    pub bind: SocketAddr,
    pub n_devices: usize,
    /// Device `i` answers to the community `{community_prefix}{i}`.
    pub community_prefix: String,
    pub seed: u64,
    /// Tasks answering requests on the shared socket.
    pub n_workers: usize,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            n_devices: 100,
            community_prefix: "sim-".to_owned(),
            seed: 1,
            n_workers: 1,
        }
    }
}

/// A device of the fleet, as a poller configures it.
#[derive(Debug, Clone)]
pub struct FleetDevice {
    pub idx: usize,
    pub community: String,
    pub name: String,
    pub kind: DeviceKind,
    pub product: Product,
    pub n_interfaces: usize,
    /// (ifIndex, ifName, speed in bit/s) of each interface.
    pub interfaces: Vec<(u32, String, u64)>,
}

/// A cable LLDP hears from one end: (local `ifIndex`, the device at the other end, its
/// `ifIndex`).
pub type Cable = (u32, usize, u32);

/// Counters of what the fleet has done.
#[derive(Debug, Default)]
pub struct FleetStats {
    pub requests: AtomicU64,
    pub varbinds: AtomicU64,
    pub dropped: AtomicU64,
    pub traps: AtomicU64,
}

struct Shared {
    socket: UdpSocket,
    devices: Vec<SimDevice>,
    by_community: HashMap<Vec<u8>, usize>,
    trap_sinks: Mutex<Vec<SocketAddr>>,
    trap_request_id: AtomicI32,
    stats: FleetStats,
}

/// A running fleet; dropping it stops the agents.
pub struct Fleet {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for worker in &self.workers {
            worker.abort();
        }
    }
}

/// The name of device `idx` (`switch-00012`), as the fleet reports it in `sysName`.
pub fn device_name(kind: DeviceKind, idx: usize) -> String {
    format!("{}-{idx:05}", kind.as_str().replace('_', "-"))
}

/// The mix of kinds: mostly access switches and servers, as in a data center.
pub fn kind_of(idx: usize) -> DeviceKind {
    match idx % 20 {
        0 => DeviceKind::Router,
        1 | 2 => DeviceKind::Firewall,
        3 => DeviceKind::LoadBalancer,
        4 => DeviceKind::StorageArray,
        5..=11 => DeviceKind::Switch,
        _ => DeviceKind::Server,
    }
}

/// The cabling of a fleet of `n_devices` as a data center would have it, for LLDP: in each
/// block of twenty devices (the mix of [`kind_of`]), the router's ports 1 to 7 to the seven
/// switches' first uplinks (25), its port 8 to the first firewall's port 1. Network gear
/// runs LLDP (and is named with its cables, or none); servers and storage do not.
pub fn standard_cabling(n_devices: usize) -> Vec<(usize, Vec<Cable>)> {
    let mut heard: std::collections::BTreeMap<usize, Vec<Cable>> = (0..n_devices)
        .filter(|idx| !matches!(kind_of(*idx), DeviceKind::Server | DeviceKind::StorageArray))
        .map(|idx| (idx, Vec::new()))
        .collect();
    let mut cable = |one: (usize, u32), other: (usize, u32)| {
        for ((idx, port), (to, to_port)) in [(one, other), (other, one)] {
            if let Some(cables) = heard.get_mut(&idx) {
                if to < n_devices {
                    cables.push((port, to, to_port));
                }
            }
        }
    };
    for router in (0..n_devices).step_by(20) {
        for (port, switch) in (1..=7).zip(router + 5..=router + 11) {
            cable((router, port), (switch, 25));
        }
        cable((router, 8), (router + 1, 1));
    }
    heard.into_iter().collect()
}

/// How many cables [`standard_cabling`] lays for `n_devices`.
pub fn standard_cable_count(n_devices: usize) -> usize {
    standard_cabling(n_devices)
        .iter()
        .map(|(_, cables)| cables.len())
        .sum::<usize>()
        / 2
}

/// The product of device `idx`: of its kind; one switch in seven is a Cisco.
pub fn product_of(idx: usize) -> Product {
    match kind_of(idx) {
        DeviceKind::Switch if idx % 20 == 11 => Product::CiscoC9300,
        DeviceKind::Switch => Product::HuaweiS5735,
        DeviceKind::Router => Product::H3cSr6608,
        DeviceKind::Firewall => Product::HillstoneSg6000,
        DeviceKind::LoadBalancer => Product::F5BigIp,
        DeviceKind::Server => Product::KylinServer,
        DeviceKind::StorageArray => Product::OceanStorDorado,
    }
}

impl Fleet {
    pub async fn start(config: FleetConfig) -> std::io::Result<Fleet> {
        let socket = UdpSocket::bind(config.bind).await?;
        let profiles = Profiles::all();
        let devices: Vec<SimDevice> = (0..config.n_devices)
            .map(|idx| {
                let kind = kind_of(idx);
                SimDevice::new(
                    format!("{}{idx}", config.community_prefix),
                    device_name(kind, idx),
                    profiles.of(product_of(idx)),
                    config.seed.wrapping_mul(1_000_003).wrapping_add(idx as u64),
                )
            })
            .collect();
        let by_community = devices
            .iter()
            .enumerate()
            .map(|(idx, device)| (device.community.clone(), idx))
            .collect();
        let shared = Arc::new(Shared {
            socket,
            devices,
            by_community,
            trap_sinks: Mutex::new(Vec::new()),
            trap_request_id: AtomicI32::new(1),
            stats: FleetStats::default(),
        });
        let workers = (0..config.n_workers.max(1))
            .map(|_| tokio::spawn(serve(shared.clone())))
            .collect();
        Ok(Fleet { shared, workers })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.shared
            .socket
            .local_addr()
            .expect("a bound socket has an address")
    }

    pub fn devices(&self) -> Vec<FleetDevice> {
        self.shared
            .devices
            .iter()
            .enumerate()
            .map(|(idx, device)| FleetDevice {
                idx,
                community: String::from_utf8_lossy(&device.community).into_owned(),
                name: device.name.clone(),
                kind: device.profile.kind,
                product: device.profile.product,
                n_interfaces: device.profile.interfaces.len(),
                interfaces: device
                    .profile
                    .interfaces
                    .iter()
                    .enumerate()
                    .map(|(idx, spec)| (idx as u32 + 1, spec.name.clone(), spec.speed_bps))
                    .collect(),
            })
            .collect()
    }

    pub fn stats(&self) -> &FleetStats {
        &self.shared.stats
    }

    /// Where traps go.
    pub fn send_traps_to(&self, sink: SocketAddr) {
        self.shared.trap_sinks.lock().push(sink);
    }

    /// Takes interface `if_index` (1-based) of a device down, or brings it up, and sends the
    /// linkDown or linkUp trap.
    pub async fn set_link(&self, device_idx: usize, if_index: u32, up: bool) {
        let Some(device) = self.shared.devices.get(device_idx) else {
            return;
        };
        let port = if_index as usize - 1;
        let now = Instant::now();
        {
            let mut state = device.state.lock();
            let Some(down_since) = state.down_since.get(port).copied() else {
                return;
            };
            match (down_since, up) {
                (None, false) => state.down_since[port] = Some(now),
                (Some(since), true) => {
                    state.down_since[port] = None;
                    state.down_total[port] += now.saturating_duration_since(since);
                }
                _ => return,
            }
        }
        let trap = if up { mib::LINK_UP } else { mib::LINK_DOWN };
        let status = if up {
            mib::IF_STATUS_UP
        } else {
            mib::IF_STATUS_DOWN
        };
        let if_index_oid = oid::child(&oid::encode(&mib::column(mib::IF_ENTRY, 1)), if_index);
        let admin_oid = oid::child(
            &oid::encode(&mib::column(mib::IF_ENTRY, mib::IF_ADMIN_STATUS)),
            if_index,
        );
        let oper_oid = oid::child(
            &oid::encode(&mib::column(mib::IF_ENTRY, mib::IF_OPER_STATUS)),
            if_index,
        );
        let extra = [
            (if_index_oid.as_slice(), Value::Integer(i64::from(if_index))),
            (admin_oid.as_slice(), Value::Integer(mib::IF_STATUS_UP)),
            (oper_oid.as_slice(), Value::Integer(status)),
        ];
        self.send_trap(device, trap, &extra).await;
    }

    /// Stops (or resumes) answering a device's requests.
    pub fn set_unreachable(&self, device_idx: usize, unreachable: bool) {
        if let Some(device) = self.shared.devices.get(device_idx) {
            device.state.lock().unreachable = unreachable;
        }
    }

    /// Gives a device's agent the habits of a real one (refused subtrees, v1 errors, a NUL
    /// after `ifDescr`, no `sysUpTime`).
    pub fn set_habits(&self, device_idx: usize, habits: Habits) {
        if let Some(device) = self.shared.devices.get(device_idx) {
            device.state.lock().habits = habits;
        }
    }

    /// Delays each of a device's answers.
    pub fn set_delay(&self, device_idx: usize, delay: Duration) {
        if let Some(device) = self.shared.devices.get(device_idx) {
            device.state.lock().delay = delay;
        }
    }

    /// Restarts a device's agent: uptime and counters start again from zero, links come up,
    /// and a coldStart trap goes out.
    pub async fn restart(&self, device_idx: usize) {
        let Some(device) = self.shared.devices.get(device_idx) else {
            return;
        };
        {
            let mut state = device.state.lock();
            state.booted_at = Instant::now();
            state.down_since.iter_mut().for_each(|since| *since = None);
            state
                .down_total
                .iter_mut()
                .for_each(|total| *total = Duration::ZERO);
        }
        self.send_trap(device, mib::COLD_START, &[]).await;
    }

    /// Has each device named hear its neighbours over LLDP: `(device, [(local ifIndex,
    /// neighbour device, its ifIndex)])`. A device named with no neighbours runs LLDP and
    /// hears nobody; one never named runs no LLDP.
    pub fn set_neighbors(&self, neighbors: &[(usize, Vec<Cable>)]) {
        let devices = &self.shared.devices;
        for (device_idx, heard) in neighbors {
            let Some(device) = devices.get(*device_idx) else {
                continue;
            };
            let heard: Vec<_> = heard
                .iter()
                .filter_map(|(local, remote_idx, remote_if)| {
                    let remote = devices.get(*remote_idx)?;
                    Some(((*local, remote, *remote_if), *remote_idx))
                })
                .collect();
            let rows = LldpRows::build(device, *device_idx, &heard);
            device.state.lock().lldp_opt = Some(Arc::new(rows));
        }
    }

    /// Upgrades a device's firmware to the one its product's upgrade brings, and restarts it
    /// as an upgrade does (its parts then report the new software revision).
    pub async fn upgrade_firmware(&self, device_idx: usize) {
        if let Some(device) = self.shared.devices.get(device_idx) {
            device.state.lock().upgraded = true;
        }
        self.restart(device_idx).await;
    }

    async fn send_trap(&self, device: &SimDevice, trap: &[u32], extra: &[(&[u8], Value<'_>)]) {
        let sinks = self.shared.trap_sinks.lock().clone();
        if sinks.is_empty() {
            return;
        }
        let uptime_oid = oid::encode(mib::SYS_UP_TIME);
        let trap_oid_oid = oid::encode(mib::SNMP_TRAP_OID);
        let trap_oid = oid::encode(trap);
        let mut varbinds = vec![
            (
                uptime_oid.as_slice(),
                Value::TimeTicks(device.uptime_ticks(Instant::now())),
            ),
            (trap_oid_oid.as_slice(), Value::ObjectIdentifier(&trap_oid)),
        ];
        varbinds.extend_from_slice(extra);
        let header = Header {
            version: ber::VERSION_2C,
            community: &device.community,
            pdu_type: PduType::TrapV2,
            request_id: self.shared.trap_request_id.fetch_add(1, Ordering::Relaxed),
            error_status: 0,
            error_index: 0,
        };
        let mut writer = Writer::default();
        let bytes = writer.message(&header, varbinds.into_iter()).to_vec();
        for sink in sinks {
            if self.shared.socket.send_to(&bytes, sink).await.is_ok() {
                self.shared.stats.traps.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

async fn serve(shared: Arc<Shared>) {
    let mut packet = vec![0u8; 65_536];
    let mut writer = Writer::default();
    loop {
        let Ok((len, peer)) = shared.socket.recv_from(&mut packet).await else {
            continue;
        };
        shared.stats.requests.fetch_add(1, Ordering::Relaxed);
        let Some((device, answer)) = answer(&shared, &packet[..len], &mut writer) else {
            shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let delay = device.state.lock().delay;
        if delay.is_zero() {
            let _ = shared.socket.send_to(answer, peer).await;
        } else {
            let answer = answer.to_vec();
            let shared = shared.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = shared.socket.send_to(&answer, peer).await;
            });
        }
    }
}

/// The answer to one request, or `None` to drop it.
fn answer<'w>(
    shared: &'w Shared,
    packet: &[u8],
    writer: &'w mut Writer,
) -> Option<(&'w SimDevice, &'w [u8])> {
    let request = Pdu::from_bytes(packet).ok()?;
    if request.version().ok()? != Version::V2C {
        return None;
    }
    let device = &shared.devices[*shared.by_community.get(request.community)?];
    let (habits, lldp_opt) = {
        let state = device.state.lock();
        if state.unreachable {
            return None;
        }
        (state.habits.clone(), state.lldp_opt.clone())
    };
    let view = DeviceView {
        device,
        habits: &habits,
        lldp_opt,
        now: Instant::now(),
    };
    let (bytes, varbinds) =
        agent::answer(&view, &habits, &request, MAX_VARBINDS_PER_ANSWER, writer)?;
    shared
        .stats
        .varbinds
        .fetch_add(varbinds as u64, Ordering::Relaxed);
    Some((device, bytes))
}

/// A device's objects at a moment, as its habits show them.
struct DeviceView<'d> {
    device: &'d SimDevice,
    habits: &'d Habits,
    lldp_opt: Option<Arc<LldpRows>>,
    now: Instant,
}

impl DeviceView<'_> {
    fn shown<'s>(&'s self, (name, cell): (&'s [u8], Cell)) -> Option<(&'s [u8], Value<'s>)> {
        if self.habits.without_uptime && cell == Cell::SysUpTime {
            return None;
        }
        if let Cell::If {
            column: mib::IF_DESCR,
            interface_idx,
        } = cell
        {
            if self.habits.nul_terminated_descr {
                let spec = &self.device.profile.interfaces[usize::from(interface_idx)];
                return Some((name, Value::OctetString(&spec.descr_nul)));
            }
        }
        Some((name, self.device.value(cell, self.now)))
    }
}

impl MibView for DeviceView<'_> {
    fn exact(&self, oid: &[u8]) -> Option<(&[u8], Value<'_>)> {
        if let Some(found) = self.lldp_opt.as_ref().and_then(|lldp| lldp.exact(oid)) {
            return Some(found);
        }
        self.shown(self.device.profile.exact(oid)?)
    }

    fn next_after(&self, oid: &[u8]) -> Option<(&[u8], Value<'_>)> {
        let lldp_opt = self.lldp_opt.as_ref().and_then(|lldp| lldp.next_after(oid));
        let mut after = oid;
        let profile_opt = loop {
            let Some(found) = self.device.profile.next_after(after) else {
                break None;
            };
            match self.shown(found) {
                Some(shown) => break Some(shown),
                None => after = found.0,
            }
        };
        // The LLDP-MIB's objects (1.0.8802...) and the profile's interleave by OID.
        match (lldp_opt, profile_opt) {
            (Some(lldp), Some(profile)) if profile.0 < lldp.0 => Some(profile),
            (Some(lldp), _) => Some(lldp),
            (None, profile_opt) => profile_opt,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_cabling_is_seen_from_both_ends() {
        let heard = standard_cabling(30);
        // One full block and half of another: its router, firewall and five switches.
        assert_eq!(standard_cable_count(30), 8 + 6);
        for (idx, cables) in &heard {
            assert!(!matches!(
                kind_of(*idx),
                DeviceKind::Server | DeviceKind::StorageArray
            ));
            for (port, to, to_port) in cables {
                let back = &heard.iter().find(|(at, _)| at == to).unwrap().1;
                assert!(back.contains(&(*to_port, *idx, *port)), "{idx}:{port}");
            }
        }
        let router = &heard.iter().find(|(at, _)| *at == 20).unwrap().1;
        assert_eq!(
            router.len(),
            6,
            "ports 1 to 5 to switches 25 to 29, port 8 to firewall 21"
        );
    }
}
