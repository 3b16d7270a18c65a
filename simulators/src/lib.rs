//! Simulators and load generators that exercise yunguan from the outside, over the same
//! network protocols real clients and devices use.
//!
//! # Layout
//! - [`cloud`]: a simulated cloud that creates, resizes and deletes hosts with delays and
//!   failures, behind yunguan's simulated fulfilment provider.
//! - [`snmp`]: an SNMP agent fleet (thousands of devices on one UDP port) with faults and
//!   traps, polled by yunguan's tests, its demo and the polling benchmark.
//! - [`openstack`]: an OpenStack-shaped cloud over HTTP (Keystone v3, Nova, Neutron,
//!   Cinder) for yunguan's OpenStack adapter, in-process or as `yunguan-openstack-sim`.
//! - [`monbench`]: the monitoring benchmarks' tools (`yunguan-monbench`): a fleet that reports
//!   its throughput, a blaster for its ceiling, inventory imports, trap-to-socket latency.
//! - [`loadgen`]: WebSocket fan-out load generator (`yunguan-loadgen`), comparing yunguan with
//!   a plain Node.js `ws` broadcast server (`peers/ws-broadcast`).
//!
//! **Invariant:** simulators talk to yunguan only over the network; they link none of its code
//! but the SNMP wire crate (`yunguan-snmp`) the poller also uses.

pub mod cloud;
pub mod loadgen;
pub mod monbench;
pub mod openstack;
pub mod snmp;
pub mod ticketbench;
