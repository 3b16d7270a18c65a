//! The SNMP agent fleet: simulated devices with realistic SNMPv2-MIB, IF-MIB,
//! HOST-RESOURCES-MIB, ENTITY-MIB and vendor (Huawei, H3C, Cisco) data, moving counters (32-bit ones wrap), traps and injectable faults,
//! served from one UDP port. yunguan's tests, `yunguan demo` and the polling benchmark poll it.
//!
//! # Layout
//! - [`profile`]: the products simulated (each of a kind of device) and the OID layout of each.
//! - [`hardware`]: network gear's parts (ENTITY-MIB) and vendor MIBs for CPU, memory and
//!   temperature.
//! - [`device`]: one device's values at a moment, and its faults.
//! - [`lldp`]: a device's LLDP-MIB, built from the neighbours the fleet is told.
//! - [`fleet`]: the UDP agents, fault injection and traps.
//! - [`agent`]: answering a request from a view of objects, with real agents' habits.
//! - [`recording`]: a recording of a real agent (snmpsim's `.snmprec`), served over UDP.

pub mod agent;
pub mod device;
pub mod fleet;
pub mod hardware;
pub mod lldp;
pub mod profile;
pub mod recording;

pub use agent::Habits;
pub use fleet::{Cable, Fleet, FleetConfig, FleetDevice};
pub use profile::{DeviceKind, Product};
