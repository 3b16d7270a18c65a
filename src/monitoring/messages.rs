//! The messages and payloads the monitoring actors share: a device actor's configuration
//! and commands, alarm commands, inventory changes, stopping, and the interfaces a poll
//! discovers. Messages
//! that carry one actor's own types live with that actor (`device::DeviceReport`,
//! `device::GetDeviceStateView`, `data_center::DataCenterUpdate`), so that this module
//! depends on none of the actors that read it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix::Message;
use yunguan_actors::alarm::{AlarmCommandError, AlarmKey};

use super::snmp::traps::TrapKind;
use crate::inventory::credentials::Credentials;

/// What a device actor needs to know of its device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    pub id: i64,
    pub data_center_id: i64,
    pub name: String,
    /// `switch`, `router`, `server`...
    pub kind: String,
    /// `core`, `aggregation`, `access` or `host`: where it sits in the network, from which
    /// the topology's upstream direction follows.
    pub tier: String,
    pub address: SocketAddr,
    pub credentials: Credentials,
    pub poll_interval: Duration,
}

/// A trap from the device: act on it at once.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct TrapReceived(pub TrapKind);

/// The device's record changed: poll as it now says (a new address or credentials get a new
/// session; a new interval applies from the next poll).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Reconfigure(pub Arc<DeviceConfig>);

/// The data center's inventory was replaced: bring its actors in line.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct InventoryChanged;

/// The alarm rules were replaced: judge by the new ones.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RulesChanged;

/// Poll as soon as possible (after a trap, or when an operator asks).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PollNow;

/// Makes the actor panic: for supervision tests and chaos drills, never sent by the product.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Panic;

/// An operator acknowledges or clears an alarm occurrence. The engine decides at once (or
/// refuses, saying why); `written_tx` hears when the alarm's row reflects it.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), AlarmCommandFailed>")]
pub struct AlarmCommand {
    pub key: AlarmKey,
    pub occurrence: u64,
    pub user_id: i64,
    pub action: AlarmAction,
    pub written_tx: tokio::sync::oneshot::Sender<crate::db::entities::alarm::Model>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmAction {
    Acknowledge,
    Clear,
}

/// Why an operator's alarm command was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum AlarmCommandFailed {
    /// Another node monitors the alarm's data center.
    #[error("its data center is not monitored here")]
    NotMonitoredHere,
    /// The data center's actor did not take the command (it is restarting).
    #[error("its data center's actor did not answer: {0}")]
    Unanswered(#[from] actix::MailboxError),
    #[error("that occurrence is no longer active")]
    NotActive,
    #[error("it is already acknowledged")]
    AlreadyAcknowledged,
}

impl From<AlarmCommandError> for AlarmCommandFailed {
    fn from(refusal: AlarmCommandError) -> AlarmCommandFailed {
        match refusal {
            AlarmCommandError::NotActive { .. } => AlarmCommandFailed::NotActive,
            AlarmCommandError::AlreadyAcknowledged(_) => AlarmCommandFailed::AlreadyAcknowledged,
        }
    }
}

/// Answered once the actor has started: a data center has then registered its devices.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Started;

/// Stop for good (the data center is going away or restarting).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Stop;

/// An interface a poll found on a device (IF-MIB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredInterface {
    pub if_index: u32,
    pub name: String,
    pub speed_bps: u64,
    /// `ifAlias`: what the operators called it on the device.
    pub description: String,
}
