//! The SNMP wire pieces that yunguan's poller (in the server crate) and the simulated agent
//! fleet (in `yunguan-simulators`) share: the OIDs of the MIBs yunguan reads, OID arithmetic on
//! their encoded form, and a BER writer for the messages they send.
//!
//! Decoding is left to `snmp2` (`snmp2::Pdu::from_bytes`), and so are the SNMPv3 sessions of
//! the poller; receiving v3 notifications is not (see [`usm`] for why).
//! What this crate writes by hand is what `snmp2` keeps private: its PDU encoder (`pdu::Buf`) is
//! crate-private and only reachable through its sessions, each of which owns a socket bound to
//! one agent and one community with two 64 KiB buffers. A poller of thousands of devices on one
//! socket, and an agent answering thousands of communities, need the encoder alone.
//!
//! # Layout
//! - [`ber`]: the writer of requests, responses and traps.
//! - [`oid`]: OIDs as encoded bytes (ordering, subtree tests, instance suffixes).
//! - [`mib`]: SNMPv2-MIB, IF-MIB, HOST-RESOURCES-MIB and the standard traps.
//! - [`usm`]: SNMPv3 messages under the user-based security model, as a notification
//!   receiver reads and answers them.

pub mod ber;
pub mod mib;
pub mod oid;
pub mod usm;

pub use snmp2;
