//! One simulated device: its identity, its profile, the faults injected into it, and the value
//! of each cell of its MIB view at a moment.
//!
//! Counters are closed-form functions of the time the interface has been up since the agent
//! booted, so thousands of devices cost nothing between requests: octets grow at a rate that
//! swings around a per-interface base (some interfaces run hot), 32-bit counters are the 64-bit
//! ones truncated (so they wrap as real ones do), and a restart starts everything from zero.

use std::f64::consts::TAU;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use yunguan_snmp::ber::Value;
use yunguan_snmp::mib;

use super::agent::Habits;
use super::hardware::BoardFigure;
use super::lldp::LldpRows;
use super::profile::{Cell, Profile};

/// What makes each interface's traffic its own.
#[derive(Debug, Clone, Copy)]
struct Traffic {
    /// Mean utilization of the link, 0 to 1, inbound and outbound.
    in_share: f64,
    out_share: f64,
    /// Period of the swing around the mean, in seconds.
    period_secs: f64,
    /// Bytes per packet.
    packet_bytes: f64,
    /// Errors per million packets.
    errors_per_million: f64,
}

/// Faults and life events of one device, changed by the fleet's control methods.
#[derive(Debug)]
pub(crate) struct DeviceState {
    pub booted_at: Instant,
    /// Requests are dropped unanswered.
    pub unreachable: bool,
    /// Each answer is delayed this much.
    pub delay: Duration,
    pub habits: Habits,
    /// Per interface: when it went down (if it is down), and how long it has been down in
    /// all since boot (its counters stand still meanwhile).
    pub down_since: Vec<Option<Instant>>,
    pub down_total: Vec<Duration>,
    /// Runs the firmware an upgrade brings (`Fleet::upgrade_firmware`).
    pub upgraded: bool,
    /// Its LLDP-MIB, once the fleet is told its neighbours; none: it runs no LLDP.
    pub lldp_opt: Option<Arc<LldpRows>>,
}

/// A simulated device. Its community string selects it on the fleet's port.
#[derive(Debug)]
pub struct SimDevice {
    pub community: Vec<u8>,
    pub name: String,
    pub profile: Arc<Profile>,
    traffic: Vec<Traffic>,
    /// Mean processor load, percent, and its swing.
    cpu_mean: f64,
    /// Share of each storage in use.
    storage_used_share: Vec<f64>,
    /// Share of the memory in use, where a vendor MIB tells it.
    memory_share: f64,
    /// The serial number of each part of its hardware, if it has some.
    serial_numbers: Vec<String>,
    pub(crate) state: Mutex<DeviceState>,
}

impl SimDevice {
    pub fn new(community: String, name: String, profile: Arc<Profile>, seed: u64) -> SimDevice {
        let mut rng = StdRng::seed_from_u64(seed);
        // One device in twelve runs hot: a busy uplink, a loaded processor, a full disk.
        let hot = rng.gen_ratio(1, 12);
        let traffic = (0..profile.interfaces.len())
            .map(|port| {
                let busy = hot && port == 0;
                Traffic {
                    in_share: if busy {
                        0.86
                    } else {
                        rng.gen_range(0.02..0.55)
                    },
                    out_share: if busy { 0.7 } else { rng.gen_range(0.02..0.45) },
                    period_secs: rng.gen_range(120.0..900.0),
                    packet_bytes: rng.gen_range(400.0..1200.0),
                    errors_per_million: rng.gen_range(0.0..2.0),
                }
            })
            .collect();
        let storage_used_share = profile
            .storages
            .iter()
            .enumerate()
            .map(|(idx, _)| {
                if hot && idx == 1 {
                    0.94
                } else {
                    rng.gen_range(0.2..0.8)
                }
            })
            .collect();
        let n_interfaces = profile.interfaces.len();
        let memory_share = if hot { 0.91 } else { rng.gen_range(0.25..0.7) };
        let serial = rng.gen_range(0..10_000_000u32);
        let serial_numbers = profile
            .hardware_opt
            .iter()
            .flat_map(|hardware| &hardware.parts)
            .enumerate()
            .map(|(part_idx, part)| match part.serial_prefix {
                "" => String::new(),
                prefix => format!("{prefix}{serial:07}{part_idx}"),
            })
            .collect();
        SimDevice {
            community: community.into_bytes(),
            name,
            traffic,
            cpu_mean: if hot { 93.0 } else { rng.gen_range(5.0..60.0) },
            storage_used_share,
            memory_share,
            serial_numbers,
            state: Mutex::new(DeviceState {
                booted_at: Instant::now() - Duration::from_secs(rng.gen_range(3_600..8_640_000)),
                unreachable: false,
                delay: Duration::ZERO,
                habits: Habits::default(),
                down_since: vec![None; n_interfaces],
                down_total: vec![Duration::ZERO; n_interfaces],
                upgraded: false,
                lldp_opt: None,
            }),
            profile,
        }
    }

    /// Hundredths of a second since the agent booted.
    pub fn uptime_ticks(&self, now: Instant) -> u32 {
        let state = self.state.lock();
        ticks(now.saturating_duration_since(state.booted_at))
    }

    /// The value of `cell` at `now`. Strings borrow from the device and its profile.
    pub fn value(&self, cell: Cell, now: Instant) -> Value<'_> {
        let profile = &*self.profile;
        match cell {
            Cell::SysDescr => Value::OctetString(profile.sys_descr.as_bytes()),
            Cell::SysObjectId => Value::ObjectIdentifier(&profile.sys_object_id),
            Cell::SysUpTime => Value::TimeTicks(self.uptime_ticks(now)),
            Cell::SysContact => Value::OctetString(b"noc@bigdata.gov.cn"),
            Cell::SysName => Value::OctetString(self.name.as_bytes()),
            Cell::SysLocation => Value::OctetString(b"simulated"),
            Cell::If {
                column,
                interface_idx,
            } => self.if_value(column, usize::from(interface_idx), now),
            Cell::IfX {
                column,
                interface_idx,
            } => self.if_x_value(column, usize::from(interface_idx), now),
            Cell::ProcessorLoad { processor_idx } => {
                Value::Integer(self.cpu_percent(now, processor_idx) as i64)
            }
            Cell::Part { column, part_idx } => self.part_value(column, usize::from(part_idx)),
            Cell::Board { figure, part_idx } => {
                let Some(hardware) = &profile.hardware_opt else {
                    return Value::Null;
                };
                let part = &hardware.parts[usize::from(part_idx)];
                let value = match figure {
                    BoardFigure::Cpu if part.is_board => self.cpu_percent(now, part_idx) as i64,
                    BoardFigure::Memory if part.is_board => (self.memory_share * 100.0) as i64,
                    BoardFigure::Temperature
                        if part.is_board || part.class == mib::ENT_CLASS_CHASSIS =>
                    {
                        self.temperature(now) as i64
                    }
                    _ => hardware.vendor_mib.absent(),
                };
                Value::Integer(value)
            }
            Cell::CiscoCpu => Value::Gauge32(self.cpu_percent(now, 0) as u32),
            Cell::CiscoPool { column, pool_idx } => {
                let Some(hardware) = &profile.hardware_opt else {
                    return Value::Null;
                };
                let (name, bytes) = hardware.memory_pools[usize::from(pool_idx)];
                let used = (bytes as f64 * self.memory_share) as u64;
                match column {
                    mib::CISCO_MEMORY_POOL_NAME => Value::OctetString(name.as_bytes()),
                    mib::CISCO_MEMORY_POOL_USED => Value::Gauge32(used as u32),
                    _ => Value::Gauge32((bytes - used) as u32),
                }
            }
            Cell::Sensor { column, .. } => Value::Integer(match column {
                mib::ENT_PHY_SENSOR_TYPE => mib::ENT_SENSOR_CELSIUS,
                mib::ENT_PHY_SENSOR_SCALE => mib::ENT_SENSOR_SCALE_UNITS,
                mib::ENT_PHY_SENSOR_PRECISION => 0,
                mib::ENT_PHY_SENSOR_VALUE => self.temperature(now) as i64,
                _ => mib::ENT_SENSOR_OK,
            }),
            Cell::Storage {
                column,
                storage_idx,
            } => {
                let storage = &profile.storages[usize::from(storage_idx)];
                match column {
                    mib::HR_STORAGE_TYPE => Value::ObjectIdentifier(&storage.storage_type),
                    mib::HR_STORAGE_DESCR => Value::OctetString(storage.descr.as_bytes()),
                    mib::HR_STORAGE_ALLOCATION_UNITS => {
                        Value::Integer(i64::from(storage.allocation_units))
                    }
                    mib::HR_STORAGE_SIZE => Value::Integer(i64::from(storage.size_units)),
                    _ => {
                        let share = self.storage_used_share[usize::from(storage_idx)];
                        Value::Integer((f64::from(storage.size_units) * share) as i64)
                    }
                }
            }
        }
    }

    /// A processor's load at `now`: the device's mean with a swing of its own.
    fn cpu_percent(&self, now: Instant, processor_idx: u16) -> f64 {
        let secs = self.uptime_secs(now);
        let swing = 8.0 * (secs / 300.0 + f64::from(processor_idx)).sin();
        (self.cpu_mean + swing).clamp(0.0, 100.0)
    }

    /// The hottest part, degrees Celsius: warmer as the processor works harder.
    fn temperature(&self, now: Instant) -> f64 {
        32.0 + self.cpu_percent(now, 0) / 3.0
    }

    /// An `entPhysicalEntry` column of part `part_idx`.
    fn part_value(&self, column: u32, part_idx: usize) -> Value<'_> {
        let Some(hardware) = &self.profile.hardware_opt else {
            return Value::Null;
        };
        let part = &hardware.parts[part_idx];
        let text = |text: &'static str| Value::OctetString(text.as_bytes());
        match column {
            mib::ENT_PHYSICAL_DESCR => text(part.descr),
            mib::ENT_PHYSICAL_CLASS => Value::Integer(part.class),
            mib::ENT_PHYSICAL_NAME => text(part.name),
            mib::ENT_PHYSICAL_HARDWARE_REV => text(part.hardware_rev),
            mib::ENT_PHYSICAL_SOFTWARE_REV if part.runs_firmware => {
                text(hardware.firmware[usize::from(self.state.lock().upgraded)])
            }
            mib::ENT_PHYSICAL_SERIAL_NUM => {
                Value::OctetString(self.serial_numbers[part_idx].as_bytes())
            }
            mib::ENT_PHYSICAL_MFG_NAME => text(hardware.manufacturer),
            mib::ENT_PHYSICAL_MODEL_NAME => text(part.model),
            _ => text(""),
        }
    }

    fn uptime_secs(&self, now: Instant) -> f64 {
        let state = self.state.lock();
        now.saturating_duration_since(state.booted_at).as_secs_f64()
    }

    fn if_value(&self, column: u32, idx: usize, now: Instant) -> Value<'_> {
        let spec = &self.profile.interfaces[idx];
        match column {
            mib::IF_INDEX => Value::Integer(idx as i64 + 1),
            mib::IF_DESCR => Value::OctetString(spec.descr.as_bytes()),
            // ethernetCsmacd
            mib::IF_TYPE => Value::Integer(6),
            mib::IF_SPEED => Value::Gauge32(spec.speed_bps.min(u64::from(u32::MAX)) as u32),
            mib::IF_ADMIN_STATUS => Value::Integer(mib::IF_STATUS_UP),
            mib::IF_OPER_STATUS => Value::Integer(if self.is_down(idx) {
                mib::IF_STATUS_DOWN
            } else {
                mib::IF_STATUS_UP
            }),
            _ => {
                let counters = self.counters(idx, now);
                let value = match column {
                    mib::IF_IN_OCTETS => counters.in_octets,
                    mib::IF_IN_UCAST_PKTS => counters.in_packets,
                    mib::IF_IN_ERRORS => counters.in_errors,
                    mib::IF_OUT_OCTETS => counters.out_octets,
                    mib::IF_OUT_UCAST_PKTS => counters.out_packets,
                    _ => counters.out_errors,
                };
                // Truncation is the wrap of a 32-bit counter.
                Value::Counter32(value as u32)
            }
        }
    }

    fn if_x_value(&self, column: u32, idx: usize, now: Instant) -> Value<'_> {
        let spec = &self.profile.interfaces[idx];
        match column {
            mib::IF_NAME => Value::OctetString(spec.name.as_bytes()),
            mib::IF_HIGH_SPEED => Value::Gauge32((spec.speed_bps / 1_000_000) as u32),
            mib::IF_ALIAS => Value::OctetString(spec.alias.as_bytes()),
            _ => {
                let counters = self.counters(idx, now);
                Value::Counter64(match column {
                    mib::IF_HC_IN_OCTETS => counters.in_octets,
                    mib::IF_HC_IN_UCAST_PKTS => counters.in_packets,
                    mib::IF_HC_OUT_OCTETS => counters.out_octets,
                    _ => counters.out_packets,
                })
            }
        }
    }

    fn is_down(&self, idx: usize) -> bool {
        self.state.lock().down_since[idx].is_some()
    }

    /// The interface's counters since boot.
    fn counters(&self, idx: usize, now: Instant) -> Counters {
        let active_secs = {
            let state = self.state.lock();
            let since_boot = now.saturating_duration_since(state.booted_at);
            let down_now = state.down_since[idx]
                .map(|since| now.saturating_duration_since(since))
                .unwrap_or_default();
            since_boot
                .saturating_sub(state.down_total[idx])
                .saturating_sub(down_now)
                .as_secs_f64()
        };
        let traffic = self.traffic[idx];
        let bytes_per_sec = self.profile.interfaces[idx].speed_bps as f64 / 8.0;
        let in_octets =
            integral(traffic.in_share, traffic.period_secs, active_secs) * bytes_per_sec;
        let out_octets =
            integral(traffic.out_share, traffic.period_secs * 1.3, active_secs) * bytes_per_sec;
        let in_packets = in_octets / traffic.packet_bytes;
        let out_packets = out_octets / traffic.packet_bytes;
        Counters {
            in_octets: in_octets as u64,
            out_octets: out_octets as u64,
            in_packets: in_packets as u64,
            out_packets: out_packets as u64,
            in_errors: (in_packets * traffic.errors_per_million / 1e6) as u64,
            out_errors: (out_packets * traffic.errors_per_million / 2e6) as u64,
        }
    }
}

struct Counters {
    in_octets: u64,
    out_octets: u64,
    in_packets: u64,
    out_packets: u64,
    in_errors: u64,
    out_errors: u64,
}

/// ∫₀ᵗ share·(1 + 0.2·sin(2πs/period)) ds: the link-seconds of traffic after `t` seconds.
fn integral(share: f64, period_secs: f64, t: f64) -> f64 {
    let swing = 0.2 * period_secs / TAU * (1.0 - (TAU * t / period_secs).cos());
    share * (t + swing)
}

fn ticks(duration: Duration) -> u32 {
    // TimeTicks wrap after 497 days, as agents' do.
    (duration.as_millis() / 10) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::profile::Product;

    #[test]
    fn counters_grow_stand_still_while_down_and_restart_from_zero() {
        let device = SimDevice::new(
            "c".into(),
            "d".into(),
            Arc::new(Profile::of(Product::HillstoneSg6000)),
            7,
        );
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        let first = device.counters(0, at(0)).in_octets;
        let later = device.counters(0, at(10)).in_octets;
        assert!(later > first);
        {
            let mut state = device.state.lock();
            state.down_since[0] = Some(at(10));
        }
        assert_eq!(device.counters(0, at(20)).in_octets, later);
        {
            let mut state = device.state.lock();
            state.booted_at = at(20);
            state.down_since[0] = None;
            state.down_total[0] = Duration::ZERO;
        }
        assert_eq!(device.counters(0, at(20)).in_octets, 0);
        assert_eq!(device.uptime_ticks(at(21)), 100);
    }
}
