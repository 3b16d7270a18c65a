//! One `DeviceActor` per polled device: it owns the device's poll schedule (its interval,
//! with jitter so that devices spread over the interval), its SNMP session, its latest values
//! and a short history ([`state`]). After each poll it publishes to `device/{id}` and reports
//! to its data center; a trap from the device changes its state at once and triggers a poll.
//!
//! The actor never waits on the network itself: a poll runs as a future that owns the
//! session while it is out (so there is one poll in flight per device), and the actor keeps
//! answering messages meanwhile. A failed poll is retried soon once, then at a backoff that
//! grows up to four intervals while the device stays silent.

pub mod actor;
pub mod state;

pub use actor::DeviceActor;

use std::sync::Arc;

use actix::Message;
use serde::Serialize;
use utoipa::ToSchema;
use yunguan_actors::alarm::Observation;

use crate::clock::Clock;
use crate::hub::{EventData, Hub};
use crate::metrics::Metrics;
use crate::monitoring::messages::DiscoveredInterface;
use crate::monitoring::rollups::MetricPoint;
use crate::monitoring::snmp::entity::{Hardware, PhysicalEntity};
use crate::monitoring::snmp::mux::Multiplexer;
use crate::monitoring::snmp::poll::PollWarning;
use crate::monitoring::snmp::session::Patience;
use state::{Change, HistoryPoint, InterfaceRates, Neighbor, StorageState};

/// What a device actor uses of its data center's: the SNMP socket and its patience, where
/// events go, the counters, and the time it polls and dates by.
#[derive(Clone)]
pub struct DeviceServices {
    pub mux: Multiplexer,
    pub patience: Patience,
    pub hub: Hub,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
}

/// The device's full live state, for the API.
#[derive(Debug, Message)]
#[rtype(result = "DeviceStateView")]
pub struct GetDeviceStateView;

/// A device actor's news for its data center: what changed and what the alarm engine should
/// look at.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct DeviceReport {
    pub device_id: i64,
    pub summary: DeviceSummary,
    pub changes: Vec<Change>,
    pub observations: Vec<Observation>,
    /// Values for the one-minute rollups, taken at `at_ms`.
    pub points: Vec<MetricPoint>,
    pub at_ms: u64,
    /// What the inventory should learn.
    pub found: Found,
}

/// What a poll found that the inventory should learn.
#[derive(Debug, Default)]
pub struct Found {
    /// The interfaces as polled, when they changed.
    pub interfaces_opt: Option<Vec<DiscoveredInterface>>,
    /// What the device says it is (its chassis), when this poll read its parts.
    pub hardware_opt: Option<Hardware>,
    /// The neighbours LLDP hears, when they changed.
    pub neighbors_opt: Option<Vec<Neighbor>>,
}

/// The cheap summary a device actor publishes through its supervision link, for its data
/// center's aggregates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct DeviceSummary {
    /// `None` until the first poll ends.
    pub reachable_opt: Option<bool>,
    pub interfaces_up: u16,
    pub interfaces_down: u16,
    pub cpu_percent_opt: Option<f32>,
    pub memory_percent_opt: Option<f32>,
    pub max_utilization_percent_opt: Option<f32>,
}

/// One interface's live state; its CMDB record is `InterfaceView`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InterfaceStateView {
    pub if_index: u32,
    pub name: String,
    pub speed_bps: u64,
    pub admin_up: bool,
    pub oper_up: bool,
    pub utilization_percent: Option<f64>,
    pub rates: InterfaceRates,
}

/// A device's live state (`GET /devices/{id}/state`); its CMDB record is `DeviceView`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeviceStateView {
    pub device_id: i64,
    pub name: String,
    pub kind: String,
    /// `unknown` until the first poll, then `up` or `down`.
    pub status: String,
    pub last_error: Option<String>,
    pub last_poll_at_ms: Option<u64>,
    /// The agent's `sysUpTime`; null from agents without it.
    pub uptime_ticks: Option<u32>,
    /// What the last poll could not read (a column the agent refused, an object it lacks);
    /// the device is up with the rest.
    pub warnings: Vec<PollWarning>,
    /// From the vendor's MIBs (Huawei, H3C, Cisco: the busiest board) where it has them,
    /// else HOST-RESOURCES-MIB.
    pub cpu_percent: Option<f64>,
    /// From the vendor's MIBs (the fullest board, or Cisco's pools) where it has them, else
    /// HOST-RESOURCES-MIB's RAM.
    pub memory_percent: Option<f64>,
    /// The hottest part, from the vendor's MIBs or ENTITY-SENSOR-MIB; null without either.
    pub temperature_celsius: Option<f64>,
    pub interfaces: Vec<InterfaceStateView>,
    pub storages: Vec<StorageState>,
    /// The physical parts (ENTITY-MIB) as last read: chassis, modules, power supplies,
    /// fans, sensors; empty until read, or from agents without ENTITY-MIB.
    pub parts: Vec<PhysicalEntity>,
    /// The neighbours LLDP hears on the device's interfaces; empty without LLDP.
    pub neighbors: Vec<Neighbor>,
    pub history: Vec<HistoryPoint>,
}

/// The data of `device.state`: a change a poll or a trap showed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeviceStateEvent {
    pub device_id: i64,
    pub change: DeviceChange,
    /// The interface, for `interface_up` and `interface_down`; null otherwise.
    pub if_index: Option<u32>,
    /// When it was seen, in milliseconds since 1970.
    pub at_ms: u64,
}

impl EventData for DeviceStateEvent {}

/// What changed on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceChange {
    Reachable,
    Unreachable,
    InterfaceUp,
    InterfaceDown,
    /// Its agent restarted (uptime went back, or a coldStart trap).
    Restarted,
}

/// The data of `device.sample`: a device's values after a successful poll.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeviceSampleEvent {
    pub device_id: i64,
    /// When the poll ended, in milliseconds since 1970.
    pub at_ms: u64,
    /// `unknown` until the first poll, then `up` or `down` (`up`, after a successful poll).
    pub status: String,
    pub cpu_percent: Option<f64>,
    pub memory_percent: Option<f64>,
    pub temperature_celsius: Option<f64>,
    pub interfaces: Vec<InterfaceSampleEvent>,
    /// What this poll could not read; empty when it read everything.
    pub warnings: Vec<PollWarning>,
}

impl EventData for DeviceSampleEvent {}

/// One interface in a `device.sample`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InterfaceSampleEvent {
    pub if_index: u32,
    pub oper_up: bool,
    pub in_bps: Option<f32>,
    pub out_bps: Option<f32>,
    /// The busier direction's share of the link, percent; null when its speed is unknown.
    pub utilization_percent: Option<f64>,
}
