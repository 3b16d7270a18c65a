//! What a device actor knows of its device: reachability, interfaces with their rates, load
//! and storage, and a short history. `apply_*` turn a poll's sample, a failed poll or a trap
//! into the changes worth telling anyone about; `observations` gives the alarm engine its
//! input. No I/O: the actor around it polls and publishes.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use utoipa::ToSchema;
use yunguan_actors::alarm::{Metric, Observation};
use yunguan_actors::counters::{self, Rate, Reading};

use crate::monitoring::rollups::MetricPoint;
use crate::monitoring::snmp::entity::PhysicalEntity;
use crate::monitoring::snmp::lldp::LldpNeighbor;
use crate::monitoring::snmp::poll::{CounterValue, DeviceSample, InterfaceReading, PollWarning};
use crate::monitoring::snmp::traps::TrapKind;

/// The metrics a device's minutes are kept for, as the time-series API names them.
pub mod metric {
    pub const CPU_PERCENT: &str = "cpu_percent";
    pub const MEMORY_PERCENT: &str = "memory_percent";
    pub const TEMPERATURE_CELSIUS: &str = "temperature_celsius";
    /// Per interface (its ifIndex).
    pub const INTERFACE_IN_BPS: &str = "interface_in_bps";
    pub const INTERFACE_OUT_BPS: &str = "interface_out_bps";
    /// Per storage unit (its index).
    pub const STORAGE_PERCENT: &str = "storage_percent";
}

/// Every metric of [`metric`].
pub const DEVICE_METRICS: &[&str] = &[
    metric::CPU_PERCENT,
    metric::MEMORY_PERCENT,
    metric::TEMPERATURE_CELSIUS,
    metric::INTERFACE_IN_BPS,
    metric::INTERFACE_OUT_BPS,
    metric::STORAGE_PERCENT,
];

/// Points of history kept in memory per device (one per poll).
pub const HISTORY_POINTS: usize = 60;

/// Consecutive failed polls before a device counts as unreachable: one failure may be a lost
/// packet, and the retry comes soon after.
pub const FAILURES_BEFORE_UNREACHABLE: u32 = 2;

/// The interface columns that name an interface and give its speed: a poll without one of
/// them does not tell the inventory the interfaces changed.
const IDENTITY_COLUMNS: [&str; 4] = ["ifDescr", "ifName", "ifSpeed", "ifHighSpeed"];

/// The column that gives an interface's link state.
const OPER_STATUS: &str = "ifOperStatus";

/// Rates of one interface, per second, from the last two polls. Single precision (seven
/// significant digits) is plenty for a rate, and halves what every interface of every
/// device keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct InterfaceRates {
    pub in_bps: Option<f32>,
    pub out_bps: Option<f32>,
    pub in_pps: Option<f32>,
    pub out_pps: Option<f32>,
    pub in_errors_ps: Option<f32>,
    pub out_errors_ps: Option<f32>,
}

/// The last readings of an interface's counters, to rate the next ones against. When and at
/// what uptime they were read is the device's (`DeviceState`), kept once rather than per
/// counter: thousands of devices with dozens of interfaces each make the bytes count.
#[derive(Debug, Clone, Copy, Default)]
struct LastReadings {
    in_octets: Option<CounterValue>,
    out_octets: Option<CounterValue>,
    in_packets: Option<CounterValue>,
    out_packets: Option<CounterValue>,
    in_errors: Option<CounterValue>,
    out_errors: Option<CounterValue>,
}

#[derive(Debug, Clone)]
pub struct InterfaceState {
    pub if_index: u32,
    pub name: String,
    pub speed_bps: u64,
    pub admin_up: bool,
    pub oper_up: bool,
    pub rates: InterfaceRates,
    last: LastReadings,
}

impl InterfaceState {
    /// The busier direction's share of the link, percent.
    pub fn utilization_percent(&self) -> Option<f64> {
        if self.speed_bps == 0 {
            return None;
        }
        let busiest = match (
            self.rates.in_bps.map(f64::from),
            self.rates.out_bps.map(f64::from),
        ) {
            (Some(a), Some(b)) => a.max(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return None,
        };
        Some(busiest * 100.0 / self.speed_bps as f64)
    }
}

/// One point of the short history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct HistoryPoint {
    pub at_ms: u64,
    pub cpu_percent: Option<f32>,
    pub memory_percent: Option<f32>,
    pub temperature_celsius: Option<f32>,
    /// The busiest interface's utilization.
    pub max_utilization_percent: Option<f32>,
}

/// A storage unit's fill.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StorageState {
    pub index: u32,
    pub descr: String,
    pub is_memory: bool,
    pub used_percent: f64,
}

/// Something that changed and is worth a push (and maybe an alarm).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Reachable,
    Unreachable,
    InterfaceUp {
        if_index: u32,
    },
    InterfaceDown {
        if_index: u32,
    },
    /// The agent restarted: counters start again.
    Restarted,
    /// Interfaces appeared, vanished or were renamed: the inventory should learn them.
    InterfacesChanged,
    /// LLDP hears other neighbours than before: links may be proposed or missed.
    NeighborsChanged,
}

/// A neighbour LLDP hears, on one of the device's interfaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Neighbor {
    /// The local interface's `ifIndex`: by the name LLDP gives the port, else its number.
    pub if_index: u32,
    pub system_name: String,
    pub chassis_id: String,
    pub port_id: String,
    pub port_description: String,
}

#[derive(Debug, Clone, Default)]
pub struct DeviceState {
    /// `None` until the first poll ends.
    pub reachable_opt: Option<bool>,
    pub consecutive_failures: u32,
    pub last_error_opt: Option<String>,
    pub last_poll_at_ms_opt: Option<u64>,
    /// `None` from agents without `sysUpTime`.
    pub uptime_ticks_opt: Option<u32>,
    /// What the last poll could not read.
    pub warnings: Vec<PollWarning>,
    pub interfaces: Vec<InterfaceState>,
    /// The vendor's figure (the busiest board) when its MIBs tell one, else the mean of
    /// `hrProcessorLoad`.
    pub cpu_percent_opt: Option<f64>,
    /// The vendor's figure (the fullest board) when its MIBs tell one, else RAM's fill.
    pub memory_percent_opt: Option<f64>,
    /// The hottest part, from the vendor's MIBs or ENTITY-SENSOR-MIB.
    pub temperature_celsius_opt: Option<f64>,
    pub storages: Vec<StorageState>,
    /// The physical parts as last read (ENTITY-MIB); empty until then, or without it.
    pub parts: Vec<PhysicalEntity>,
    /// Whether the parts include sensors, whose temperatures each poll then reads.
    pub has_sensors: bool,
    /// LLDP's ports, number to name, as last read with the parts; empty: no LLDP.
    pub lldp_ports: BTreeMap<u32, String>,
    /// The neighbours LLDP last heard, by local interface.
    pub neighbors: Vec<Neighbor>,
    pub history: VecDeque<HistoryPoint>,
}

impl DeviceState {
    pub fn max_utilization_percent(&self) -> Option<f64> {
        self.interfaces
            .iter()
            .filter_map(InterfaceState::utilization_percent)
            .reduce(f64::max)
    }

    /// Forgets the counter readings that rates are taken against: the device is now reached
    /// at another address or as another user, whose counters say nothing about the old
    /// ones. The next poll gives new baselines, the one after it rates.
    pub fn forget_readings(&mut self) {
        for interface in &mut self.interfaces {
            interface.last = LastReadings::default();
            interface.rates = InterfaceRates::default();
        }
    }

    /// Takes in a successful poll, received at `at_ms`. A trap that arrived while the poll
    /// was out is newer than the poll's link states: with `links_overtaken`, the known
    /// interfaces keep the states the trap gave them (the next poll, asked for by the trap,
    /// confirms them).
    pub fn apply_sample(
        &mut self,
        sample: &DeviceSample,
        at_ms: u64,
        links_overtaken: bool,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        if self.reachable_opt != Some(true) {
            changes.push(Change::Reachable);
        }
        self.reachable_opt = Some(true);
        self.consecutive_failures = 0;
        self.last_error_opt = None;
        // Without `sysUpTime` both readings count as read at uptime 0: rates follow from the
        // poller's clock alone, and a restart shows as counters going back.
        let uptime = sample.system.uptime_ticks_opt.unwrap_or(0);
        let previous_uptime = self.uptime_ticks_opt.unwrap_or(0);
        let previous_read_opt = self
            .last_poll_at_ms_opt
            .map(|previous_at_ms| (previous_uptime, previous_at_ms));
        let elapsed_ms = self
            .last_poll_at_ms_opt
            .map(|last| at_ms.saturating_sub(last))
            .unwrap_or(0);
        if self.last_poll_at_ms_opt.is_some()
            && counters::restarted(previous_uptime, uptime, elapsed_ms)
        {
            changes.push(Change::Restarted);
        }
        self.uptime_ticks_opt = sample.system.uptime_ticks_opt;
        self.last_poll_at_ms_opt = Some(at_ms);
        self.warnings.clone_from(&sample.warnings);
        // A refused name or speed column says nothing about the interfaces themselves, and
        // a refused `ifOperStatus` nothing about their links: what is known stays.
        let identity_read = !IDENTITY_COLUMNS.iter().any(|column| sample.lacks(column));
        let links_read = !sample.lacks(OPER_STATUS);

        let same_interfaces = self.interfaces.len() == sample.interfaces.len()
            && self
                .interfaces
                .iter()
                .zip(&sample.interfaces)
                .all(|(known, read)| {
                    known.if_index == read.if_index
                        && known.name == read.name
                        && known.speed_bps == read.speed_bps
                });
        if !same_interfaces && identity_read {
            changes.push(Change::InterfacesChanged);
        }
        let mut interfaces = Vec::with_capacity(sample.interfaces.len());
        for read in &sample.interfaces {
            let previous = self
                .interfaces
                .iter()
                .find(|known| known.if_index == read.if_index);
            let mut state =
                next_interface_state(previous, previous_read_opt, read, (uptime, at_ms));
            if let (true, Some(previous)) = (links_overtaken || !links_read, previous) {
                state.oper_up = previous.oper_up;
            }
            if let (false, Some(previous)) = (identity_read, previous) {
                state.name.clone_from(&previous.name);
                state.speed_bps = previous.speed_bps;
            }
            match previous {
                Some(previous) if previous.oper_up && !state.oper_up => {
                    changes.push(Change::InterfaceDown {
                        if_index: read.if_index,
                    });
                }
                Some(previous) if !previous.oper_up && state.oper_up => {
                    changes.push(Change::InterfaceUp {
                        if_index: read.if_index,
                    });
                }
                _ => {}
            }
            interfaces.push(state);
        }
        self.interfaces = interfaces;

        self.cpu_percent_opt = sample.health.cpu_percent_opt.or_else(|| {
            let loads = &sample.processor_loads;
            let total: u32 = loads.iter().map(|load| u32::from(*load)).sum();
            (!loads.is_empty()).then(|| f64::from(total) / loads.len() as f64)
        });
        self.temperature_celsius_opt = sample.health.temperature_celsius_opt;
        if let Some(parts) = &sample.entities_opt {
            self.has_sensors = parts.iter().any(|part| part.class == "sensor");
            self.parts.clone_from(parts);
        }
        if let Some(ports) = &sample.lldp_ports_opt {
            self.lldp_ports.clone_from(ports);
        }
        if let Some(heard) = &sample.neighbors_opt {
            let neighbors = self.neighbors_of(heard);
            if neighbors != self.neighbors {
                self.neighbors = neighbors;
                changes.push(Change::NeighborsChanged);
            }
        }
        self.storages = sample
            .storages
            .iter()
            .filter(|storage| storage.size_bytes > 0 && (storage.is_memory || storage.is_disk))
            .map(|storage| StorageState {
                index: storage.index,
                descr: storage.descr.clone(),
                is_memory: storage.is_memory,
                used_percent: storage.used_bytes as f64 * 100.0 / storage.size_bytes as f64,
            })
            .collect();
        self.memory_percent_opt = sample.health.memory_percent_opt.or_else(|| {
            self.storages
                .iter()
                .find(|storage| storage.is_memory)
                .map(|storage| storage.used_percent)
        });
        if self.history.len() == HISTORY_POINTS {
            self.history.pop_front();
        }
        self.history.push_back(HistoryPoint {
            at_ms,
            cpu_percent: self.cpu_percent_opt.map(|v| v as f32),
            memory_percent: self.memory_percent_opt.map(|v| v as f32),
            temperature_celsius: self.temperature_celsius_opt.map(|v| v as f32),
            max_utilization_percent: self.max_utilization_percent().map(|v| v as f32),
        });
        changes
    }

    /// `heard` on this device's interfaces: a port LLDP names is the interface of that name
    /// (`ifName`, else `ifDescr`); one it does not name is taken as its `ifIndex`, as most
    /// agents number them. Sorted, so that a change is a difference.
    fn neighbors_of(&self, heard: &[LldpNeighbor]) -> Vec<Neighbor> {
        let mut neighbors: Vec<Neighbor> = heard
            .iter()
            .map(|neighbor| {
                let named = self
                    .lldp_ports
                    .get(&neighbor.local_port)
                    .filter(|name| !name.is_empty())
                    .and_then(|name| {
                        self.interfaces
                            .iter()
                            .find(|interface| &interface.name == name)
                    });
                Neighbor {
                    if_index: named.map_or(neighbor.local_port, |interface| interface.if_index),
                    system_name: neighbor.system_name.clone(),
                    chassis_id: neighbor.chassis_id.clone(),
                    port_id: neighbor.port_id.clone(),
                    port_description: neighbor.port_description.clone(),
                }
            })
            .collect();
        neighbors.sort_by(|a, b| (a.if_index, &a.system_name).cmp(&(b.if_index, &b.system_name)));
        neighbors
    }

    /// Takes in a failed poll.
    pub fn apply_failure(&mut self, error: String) -> Vec<Change> {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.last_error_opt = Some(error);
        if self.consecutive_failures >= FAILURES_BEFORE_UNREACHABLE
            && self.reachable_opt != Some(false)
        {
            self.reachable_opt = Some(false);
            return vec![Change::Unreachable];
        }
        Vec::new()
    }

    /// Takes in a trap: a link's state changes at once, before the next poll confirms it.
    pub fn apply_trap(&mut self, kind: &TrapKind) -> Vec<Change> {
        let (if_index, up) = match kind {
            TrapKind::LinkDown { if_index } => (*if_index, false),
            TrapKind::LinkUp { if_index } => (*if_index, true),
            TrapKind::ColdStart | TrapKind::WarmStart => return vec![Change::Restarted],
            TrapKind::Other(_) => return Vec::new(),
        };
        let Some(interface) = self
            .interfaces
            .iter_mut()
            .find(|interface| interface.if_index == if_index)
        else {
            return Vec::new();
        };
        if interface.oper_up == up {
            return Vec::new();
        }
        interface.oper_up = up;
        if !up {
            interface.rates = InterfaceRates::default();
        }
        vec![if up {
            Change::InterfaceUp { if_index }
        } else {
            Change::InterfaceDown { if_index }
        }]
    }

    /// The values worth keeping as one-minute rollups (named as in [`DEVICE_METRICS`]).
    pub fn metric_points(&self) -> Vec<MetricPoint> {
        let mut points = Vec::new();
        let mut point = |metric, instance: u32, value_opt: Option<f64>| {
            if let Some(value) = value_opt {
                points.push(MetricPoint {
                    metric,
                    instance,
                    value,
                });
            }
        };
        if self.reachable_opt != Some(true) {
            return points;
        }
        point(metric::CPU_PERCENT, 0, self.cpu_percent_opt);
        point(metric::MEMORY_PERCENT, 0, self.memory_percent_opt);
        point(metric::TEMPERATURE_CELSIUS, 0, self.temperature_celsius_opt);
        // Utilization follows from the rates and the speed; it is not stored twice.
        for interface in &self.interfaces {
            point(
                metric::INTERFACE_IN_BPS,
                interface.if_index,
                interface.rates.in_bps.map(f64::from),
            );
            point(
                metric::INTERFACE_OUT_BPS,
                interface.if_index,
                interface.rates.out_bps.map(f64::from),
            );
        }
        for storage in self.storages.iter().filter(|s| !s.is_memory) {
            point(
                metric::STORAGE_PERCENT,
                storage.index,
                Some(storage.used_percent),
            );
        }
        points
    }

    /// What the alarm engine should look at now.
    pub fn observations(&self, device_id: i64, device_kind: &str, at_ms: u64) -> Vec<Observation> {
        let observation = |instance_opt: Option<String>, metric, value| Observation {
            device_id,
            device_kind: device_kind.to_owned(),
            instance_opt,
            metric,
            value,
            at_ms,
        };
        let Some(reachable) = self.reachable_opt else {
            return Vec::new();
        };
        let mut observations = vec![observation(
            None,
            Metric::Reachable,
            if reachable { 1.0 } else { 0.0 },
        )];
        if !reachable {
            return observations;
        }
        let links_read = !self.warnings.iter().any(|w| w.object == OPER_STATUS);
        for interface in self.interfaces.iter().filter(|i| i.admin_up) {
            let instance = Some(interface.if_index.to_string());
            if links_read {
                observations.push(observation(
                    instance.clone(),
                    Metric::InterfaceOperUp,
                    if interface.oper_up { 1.0 } else { 0.0 },
                ));
            }
            if let Some(utilization) = interface.utilization_percent() {
                observations.push(observation(
                    instance,
                    Metric::InterfaceUtilizationPercent,
                    utilization,
                ));
            }
        }
        if let Some(cpu) = self.cpu_percent_opt {
            observations.push(observation(None, Metric::CpuPercent, cpu));
        }
        if let Some(memory) = self.memory_percent_opt {
            observations.push(observation(None, Metric::MemoryPercent, memory));
        }
        if let Some(celsius) = self.temperature_celsius_opt {
            observations.push(observation(None, Metric::TemperatureCelsius, celsius));
        }
        for storage in self.storages.iter().filter(|s| !s.is_memory) {
            observations.push(observation(
                Some(storage.index.to_string()),
                Metric::StoragePercent,
                storage.used_percent,
            ));
        }
        observations
    }
}

/// The interface after `read`; `previous_read_opt` and `now` are the device's (uptime,
/// received at) of the previous poll and of this one.
fn next_interface_state(
    previous: Option<&InterfaceState>,
    previous_read_opt: Option<(u32, u64)>,
    read: &InterfaceReading,
    now: (u32, u64),
) -> InterfaceState {
    let last = LastReadings {
        in_octets: read.in_octets,
        out_octets: read.out_octets,
        in_packets: read.in_packets,
        out_packets: read.out_packets,
        in_errors: read.in_errors,
        out_errors: read.out_errors,
    };
    let reading = |counter: Option<CounterValue>, (uptime_ticks, at_ms): (u32, u64)| {
        counter.map(|counter| Reading {
            value: counter.value,
            width: counter.width,
            uptime_ticks,
            at_ms,
        })
    };
    // Limits a little above line rate: the link's bytes per second, and its packets per
    // second at the smallest Ethernet frame.
    let line_bytes = if read.speed_bps > 0 {
        read.speed_bps as f64 / 8.0 * 1.05
    } else {
        1e12
    };
    let line_packets = line_bytes / 64.0;
    let rates = match (previous, previous_read_opt) {
        (Some(previous), Some(then)) if read.oper_up => {
            let rate =
                |before: Option<CounterValue>, after: Option<CounterValue>, limit: f64| match (
                    reading(before, then),
                    reading(after, now),
                ) {
                    (Some(before), Some(after)) => match counters::rate(&before, &after, limit) {
                        Rate::PerSecond(per_second) => Some(per_second as f32),
                        Rate::Baseline(_) => None,
                    },
                    _ => None,
                };
            let old = previous.last;
            InterfaceRates {
                in_bps: rate(old.in_octets, last.in_octets, line_bytes).map(|r| r * 8.0),
                out_bps: rate(old.out_octets, last.out_octets, line_bytes).map(|r| r * 8.0),
                in_pps: rate(old.in_packets, last.in_packets, line_packets),
                out_pps: rate(old.out_packets, last.out_packets, line_packets),
                in_errors_ps: rate(old.in_errors, last.in_errors, line_packets),
                out_errors_ps: rate(old.out_errors, last.out_errors, line_packets),
            }
        }
        _ => InterfaceRates::default(),
    };
    InterfaceState {
        if_index: read.if_index,
        name: read.name.clone(),
        speed_bps: read.speed_bps,
        admin_up: read.admin_up,
        oper_up: read.oper_up,
        rates,
        last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::snmp::poll::{StorageReading, SystemInfo};
    use yunguan_actors::counters::CounterWidth;

    fn sample(
        uptime_ticks: u32,
        in_octets: u64,
        width: CounterWidth,
        oper_up: bool,
    ) -> DeviceSample {
        DeviceSample {
            system: SystemInfo {
                name: "sw-1".into(),
                uptime_ticks_opt: Some(uptime_ticks),
                ..SystemInfo::default()
            },
            interfaces: vec![InterfaceReading {
                if_index: 1,
                name: "ge-0/0/1".into(),
                speed_bps: 1_000_000_000,
                admin_up: true,
                oper_up,
                in_octets: Some(CounterValue {
                    value: in_octets,
                    width,
                }),
                ..InterfaceReading::default()
            }],
            processor_loads: vec![40, 60],
            storages: vec![StorageReading {
                index: 31,
                descr: "/".into(),
                is_disk: true,
                size_bytes: 100,
                used_bytes: 95,
                ..StorageReading::default()
            }],
            varbinds: 0,
            warnings: Vec::new(),
            ..DeviceSample::default()
        }
    }

    fn refused(object: &str) -> PollWarning {
        PollWarning {
            table: "interfaces".into(),
            object: object.into(),
            reason: "no_access".into(),
        }
    }

    #[test]
    fn an_agent_without_uptime_gives_rates_from_the_pollers_clock() {
        let mut state = DeviceState::default();
        let mut at = |counter, at_ms| {
            let mut read = sample(0, counter, CounterWidth::Bits64, true);
            read.system.uptime_ticks_opt = None;
            state.apply_sample(&read, at_ms, false);
            state.interfaces[0].rates.in_bps
        };
        assert_eq!(at(1_000, 0), None, "the first poll is a baseline");
        assert_eq!(at(1_251_000, 10_000), Some(1_000_000.0));
        assert_eq!(
            at(500, 20_000),
            None,
            "a counter that went back is a baseline"
        );
        assert_eq!(at(1_250_500, 30_000), Some(1_000_000.0));
        assert_eq!(state.uptime_ticks_opt, None);
    }

    #[test]
    fn refused_columns_keep_what_is_known_and_judge_nothing_they_lack() {
        let mut state = DeviceState::default();
        state.apply_sample(&sample(1_000, 0, CounterWidth::Bits64, true), 0, false);
        // ifOperStatus refused: the link keeps its state and is not observed, not "down".
        let mut read = sample(2_000, 0, CounterWidth::Bits64, false);
        read.warnings = vec![refused("ifOperStatus")];
        assert_eq!(state.apply_sample(&read, 10_000, false), vec![]);
        assert!(state.interfaces[0].oper_up);
        let observations = state.observations(7, "switch", 10_000);
        assert!(observations
            .iter()
            .all(|o| o.metric != Metric::InterfaceOperUp));
        assert!(observations
            .iter()
            .any(|o| o.metric == Metric::Reachable && o.value == 1.0));
        assert_eq!(state.warnings, read.warnings);
        // A refused name column renames nothing in the inventory.
        let mut read = sample(3_000, 0, CounterWidth::Bits64, true);
        read.interfaces[0].name = String::new();
        read.warnings = vec![refused("ifName")];
        assert_eq!(state.apply_sample(&read, 20_000, false), vec![]);
        assert_eq!(state.interfaces[0].name, "ge-0/0/1");
        // Read in full again: nothing changed, and the warnings are gone.
        let read = sample(4_000, 0, CounterWidth::Bits64, true);
        assert_eq!(state.apply_sample(&read, 30_000, false), vec![]);
        assert!(state.warnings.is_empty());
        let observations = state.observations(7, "switch", 30_000);
        assert!(observations
            .iter()
            .any(|o| o.metric == Metric::InterfaceOperUp && o.value == 1.0));
    }

    #[test]
    fn polls_become_rates_changes_and_observations() {
        use CounterWidth::Bits32;
        let mut state = DeviceState::default();
        let max32 = u64::from(u32::MAX);
        // (name, uptime, counter, oper_up, at_ms, expected changes, expected in_bps)
        type Step = (&'static str, u32, u64, bool, u64, Vec<Change>, Option<f32>);
        let steps: &[Step] = &[
            (
                "first poll",
                1_000,
                max32 - 12_499_999,
                true,
                0,
                vec![Change::Reachable, Change::InterfacesChanged],
                None,
            ),
            (
                "across a 32-bit wrap",
                2_000,
                0,
                true,
                10_000,
                vec![],
                Some(10_000_000.0),
            ),
            (
                "steady",
                3_000,
                12_500_000,
                true,
                20_000,
                vec![],
                Some(10_000_000.0),
            ),
            (
                "agent restarted",
                100,
                1_000,
                true,
                30_000,
                vec![Change::Restarted],
                None,
            ),
            (
                "after the restart",
                1_100,
                12_501_000,
                true,
                40_000,
                vec![],
                Some(10_000_000.0),
            ),
            (
                "link down",
                2_100,
                12_501_000,
                false,
                50_000,
                vec![Change::InterfaceDown { if_index: 1 }],
                None,
            ),
            (
                "link up",
                3_100,
                12_501_000,
                true,
                60_000,
                vec![Change::InterfaceUp { if_index: 1 }],
                Some(0.0),
            ),
        ];
        for (name, uptime, counter, oper_up, at_ms, expected, in_bps) in steps {
            let changes =
                state.apply_sample(&sample(*uptime, *counter, Bits32, *oper_up), *at_ms, false);
            assert_eq!(&changes, expected, "{name}");
            assert_eq!(state.interfaces[0].rates.in_bps, *in_bps, "{name}");
        }
        assert_eq!(state.cpu_percent_opt, Some(50.0));
        assert_eq!(state.history.len(), steps.len());
        let observations = state.observations(7, "switch", 60_000);
        let metrics: Vec<_> = observations
            .iter()
            .map(|o| (o.metric, o.instance_opt.clone()))
            .collect();
        assert_eq!(
            metrics,
            vec![
                (Metric::Reachable, None),
                (Metric::InterfaceOperUp, Some("1".into())),
                (Metric::InterfaceUtilizationPercent, Some("1".into())),
                (Metric::CpuPercent, None),
                (Metric::StoragePercent, Some("31".into())),
            ]
        );
    }

    #[test]
    fn failures_and_traps() {
        let mut state = DeviceState::default();
        state.apply_sample(&sample(100, 0, CounterWidth::Bits64, true), 0, false);
        assert_eq!(state.apply_failure("timeout".into()), vec![]);
        assert_eq!(
            state.apply_failure("timeout".into()),
            vec![Change::Unreachable]
        );
        assert_eq!(state.apply_failure("timeout".into()), vec![]);
        assert_eq!(
            state.observations(1, "switch", 5).len(),
            1,
            "only reachability"
        );
        state.apply_sample(&sample(200, 0, CounterWidth::Bits64, true), 1_000, false);
        assert_eq!(
            state.apply_trap(&TrapKind::LinkDown { if_index: 1 }),
            vec![Change::InterfaceDown { if_index: 1 }]
        );
        // A poll that was out when the trap came says the link is up: the trap wins.
        let overtaken =
            state.apply_sample(&sample(300, 0, CounterWidth::Bits64, true), 2_000, true);
        assert_eq!(overtaken, vec![]);
        assert!(!state.interfaces[0].oper_up);
        assert_eq!(
            state.apply_trap(&TrapKind::LinkDown { if_index: 1 }),
            vec![]
        );
        assert_eq!(
            state.apply_trap(&TrapKind::LinkDown { if_index: 9 }),
            vec![]
        );
        assert_eq!(
            state.apply_trap(&TrapKind::ColdStart),
            vec![Change::Restarted]
        );
    }
}
