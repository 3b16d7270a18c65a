//! SNMP polling: sessions over a shared v2c socket or per-device v3 sessions, GETBULK table
//! walks, one device's poll, and the trap listener.
//!
//! # Layout
//! - [`mux`]: the v2c multiplexer (one socket, request ids, timeouts of our own).
//! - [`session`]: a device's session, v2c or v3 authPriv.
//! - [`walk`]: column walks with GETBULK.
//! - [`poll`]: one device's poll, into a `DeviceSample`.
//! - [`vendor`]: Huawei, H3C and Cisco CPU, memory and temperature, by `sysObjectID`.
//! - [`lldp`]: LLDP-MIB's ports and the neighbours they hear.
//! - [`entity`]: ENTITY-MIB's parts (model, serial number, firmware) and ENTITY-SENSOR-MIB's
//!   temperatures.
//! - [`traps`]: the SNMPv2c trap listener.

pub mod entity;
pub mod lldp;
pub mod mux;
pub mod poll;
pub mod session;
pub mod traps;
pub mod usm_receiver;
pub mod vendor;
pub mod walk;

use yunguan_snmp::snmp2;

/// Why a request to an agent failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnmpError {
    /// No answer within the timeout.
    Timeout,
    /// The answer would not fit in one message; ask for less.
    TooBig,
    /// The agent answered with an error status; `index` is the varbind it names (1-based; 0
    /// for none).
    Agent { status: u32, index: u32 },
    /// The agent answers, but nothing of its system group: it cannot be told apart from
    /// another device at its address.
    NoSystemGroup,
    /// The answer could not be decoded, or was not ours.
    Malformed(String),
    /// v3 authentication or privacy failed.
    Auth(String),
    /// The socket failed.
    Io(String),
}

impl std::fmt::Display for SnmpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnmpError::Timeout => f.write_str("no answer in time"),
            SnmpError::TooBig => f.write_str("answer too big"),
            SnmpError::Agent { status, index } => write!(
                f,
                "agent error {} ({status}) at varbind {index}",
                error_status_name(*status)
            ),
            SnmpError::NoSystemGroup => f.write_str("the agent answered no system group"),
            SnmpError::Malformed(why) => write!(f, "malformed answer: {why}"),
            SnmpError::Auth(why) => write!(f, "authentication failed: {why}"),
            SnmpError::Io(why) => write!(f, "socket error: {why}"),
        }
    }
}

impl std::error::Error for SnmpError {}

/// An agent's error status by its RFC 3416 name, in snake case (`no_access`).
pub fn error_status_name(status: u32) -> &'static str {
    const NAMES: [&str; 19] = [
        "no_error",
        "too_big",
        "no_such_name",
        "bad_value",
        "read_only",
        "gen_err",
        "no_access",
        "wrong_type",
        "wrong_length",
        "wrong_encoding",
        "wrong_value",
        "no_creation",
        "inconsistent_value",
        "resource_unavailable",
        "commit_failed",
        "undo_failed",
        "authorization_error",
        "not_writable",
        "inconsistent_name",
    ];
    NAMES
        .get(status as usize)
        .copied()
        .unwrap_or("unknown_error")
}

impl From<snmp2::Error> for SnmpError {
    fn from(error: snmp2::Error) -> Self {
        match error {
            snmp2::Error::AuthFailure(kind) => SnmpError::Auth(format!("{kind:?}")),
            snmp2::Error::Send | snmp2::Error::Receive => SnmpError::Io(error.to_string()),
            other => SnmpError::Malformed(other.to_string()),
        }
    }
}
