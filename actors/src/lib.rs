//! yunguan's control plane: the actors and their pure state machines.
//!
//! # Layout
//! - [`supervision`]: the restart-with-backoff pattern that every long-lived actor runs under,
//!   with counted restarts and a cheap state snapshot per actor.
//! - [`ticket`]: the ticket workflow: approval chains as data, the state machine, the SLA
//!   clock of an open level.
//! - [`quota`]: a tenant's quota ledger.
//! - [`counters`]: rates from SNMP counter readings, across wraps and agent restarts.
//! - [`alarm`]: alarm evaluation: rules, the alarm lifecycle, flapping, and root causes
//!   along the network topology.
//! - [`placement`]: which host a VM goes to, by policy, over-commit and capacity.
//!
//! The actor shells that wrap these cores with I/O (the ticket and tenant actors) live in the
//! server crate, beside the database and the hub they talk to.
//!
//! **Invariant:** this crate knows nothing about HTTP, JSON wire types or SQL.

pub mod alarm;
pub mod counters;
pub mod placement;
pub mod quota;
pub mod supervision;
pub mod ticket;
