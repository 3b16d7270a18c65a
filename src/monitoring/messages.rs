//! Messages of the monitoring actors: to a device actor, and from device actors to their
//! data-center actor.

use std::net::SocketAddr;
use std::time::Duration;

use actix::Message;
use yunguan_actors::alarm::{AlarmCommandError, AlarmKey, Observation};

use super::device::state::Change;
use super::device::DeviceStateView;
use super::plan::DiscoveredInterface;
use super::snmp::traps::TrapKind;
use crate::inventory::credentials::Credentials;

/// What a device actor needs to know of its device.
#[derive(Debug, Clone)]
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

/// Poll as soon as possible (after a trap, or when an operator asks).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PollNow;

/// The device's full live state, for the API.
#[derive(Debug, Message)]
#[rtype(result = "DeviceStateView")]
pub struct GetDeviceStateView;

/// Makes the actor panic: for supervision tests and chaos drills, never sent by the product.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Panic;

/// A device actor's news for its data center: what changed and what the alarm engine should
/// look at.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct DeviceReport {
    pub device_id: i64,
    pub summary: super::device::DeviceSummary,
    pub changes: Vec<Change>,
    pub observations: Vec<Observation>,
    /// Values for the one-minute rollups, taken at `at_ms`.
    pub points: Vec<super::rollups::MetricPoint>,
    pub at_ms: u64,
    /// The interfaces as polled, when they changed.
    pub interfaces_discovered_opt: Option<Vec<DiscoveredInterface>>,
}

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

/// Stop for good (the data center is going away or restarting).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Stop;

/// A data center's aggregates, for the overview.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct DataCenterUpdate(pub super::data_center::DataCenterSummary);
