//! Live monitoring of data centers and their devices.
//!
//! # Layout
//! - [`snmp`]: the SNMP poller (sessions, walks, one device's poll) and the trap listener.

pub mod snmp;
