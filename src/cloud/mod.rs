//! Cloud platform adapters: what a cloud reports (hypervisors, servers, networks, volumes,
//! utilization) as domain types, incremental sync, and the errors of talking to a platform.
//! `openstack.rs` is the first adapter; it also carries out fulfilment as a
//! [`crate::fulfilment::provider::CloudProvider`].
//!
//! The types here are not any platform's wire format: each adapter parses its API's answers
//! at its edge and converts them. Storing an inventory (the CMDB) and scheduling syncs are
//! left to their callers; an adapter only answers what changed since a [`SyncCursor`].

pub mod openstack;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::fulfilment::provider::{HostSize, ProviderError};

/// Everything a platform reports at once, on a first sync.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudInventory {
    pub hypervisors: Vec<Hypervisor>,
    pub servers: Vec<Server>,
    pub networks: Vec<Network>,
    pub volumes: Vec<Volume>,
}

/// What a sync reports: everything on the first, then only what changed.
#[derive(Debug, Clone, PartialEq)]
pub enum CloudChanges {
    Full(CloudInventory),
    Incremental(ServerChanges),
}

/// Servers changed or deleted since the cursor. Hypervisors are few and their usage moves
/// with every change, so each sync reports all of them.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerChanges {
    pub hypervisors: Vec<Hypervisor>,
    /// Created or changed (any status but deleted), each as it is now.
    pub changed: Vec<Server>,
    /// Deleted since the cursor. May name a server deleted just before the first sync,
    /// which that sync never reported.
    pub deleted_cloud_ids: Vec<String>,
}

/// A compute host.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypervisor {
    pub hostname: String,
    /// The compute service answers (`state` up).
    pub up: bool,
    /// The scheduler may place servers on it (`status` enabled).
    pub enabled: bool,
    pub vcpus: i64,
    /// Can exceed `vcpus`: clouds overcommit CPU.
    pub vcpus_used: i64,
    pub memory_mb: i64,
    pub memory_mb_used: i64,
    pub local_gb: i64,
    pub local_gb_used: i64,
    pub running_vms: i64,
    /// CPU utilization in percent, where the platform reports it.
    pub cpu_utilization_percent_opt: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStatus {
    Building,
    Active,
    Resizing,
    /// Resized, waiting for the resize to be confirmed (or reverted).
    AwaitingResizeConfirmation,
    ShutOff,
    Error,
    Deleted,
    /// A status this adapter does not act on (PAUSED, MIGRATING, ...), as the platform names it.
    Other(String),
}

/// A virtual machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub cloud_id: String,
    pub name: String,
    pub status: ServerStatus,
    pub size: HostSize,
    pub hypervisor_hostname_opt: Option<String>,
    /// Fixed IPv4 addresses, on every network.
    pub addresses: Vec<String>,
    /// The fulfilment request that created it, when yunguan did.
    pub request_key_opt: Option<String>,
    /// Why it is in ERROR, as the platform says.
    pub fault_opt: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub cloud_id: String,
    pub name: String,
    pub shared: bool,
    pub subnet_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub cloud_id: String,
    pub name: String,
    pub status: String,
    pub size_gb: i64,
    pub attached_server_ids: Vec<String>,
}

/// How busy a server is, at the moment it was asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerUtilization {
    /// Average over its vCPUs.
    pub cpu_percent: f64,
    pub memory_used_mb: i64,
    pub memory_total_mb: i64,
    /// Bytes moved since the server started, summed over its disks and NICs; `None` where the
    /// platform reports no such figure.
    pub disk_read_bytes_opt: Option<u64>,
    pub disk_write_bytes_opt: Option<u64>,
    pub received_bytes_opt: Option<u64>,
    pub sent_bytes_opt: Option<u64>,
    /// Seconds since the server started: counters start again when it goes back.
    pub uptime_secs_opt: Option<u64>,
}

/// Where the last sync ended: the newest `updated` time it saw (the platform's clock, never
/// ours), and the servers it saw at exactly that time. Platforms answer `changes-since`
/// inclusively, so the next sync sees those again and must not report them twice.
/// Serializable, so a caller may keep it between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCursor {
    changes_since_opt: Option<DateTime<Utc>>,
    seen_at_changes_since: BTreeSet<String>,
}

impl SyncCursor {
    /// No sync yet: the next one is full.
    pub fn initial() -> SyncCursor {
        SyncCursor::default()
    }

    /// The time to ask for changes since; none means a full sync.
    pub fn changes_since_opt(&self) -> Option<DateTime<Utc>> {
        self.changes_since_opt
    }

    /// Whether a server answered since this cursor is news (not one it already saw).
    pub fn is_news(&self, cloud_id: &str, updated_at: DateTime<Utc>) -> bool {
        match self.changes_since_opt {
            None => true,
            Some(since) => {
                updated_at > since
                    || (updated_at == since && !self.seen_at_changes_since.contains(cloud_id))
            }
        }
    }

    /// The cursor after a sync that answered these servers (id and `updated`).
    pub fn advance<'a>(
        &self,
        answered: impl IntoIterator<Item = (&'a str, DateTime<Utc>)>,
    ) -> SyncCursor {
        let mut next = self.clone();
        for (cloud_id, updated_at) in answered {
            match next.changes_since_opt {
                Some(since) if updated_at < since => {}
                Some(since) if updated_at == since => {
                    next.seen_at_changes_since.insert(cloud_id.to_owned());
                }
                _ => {
                    next.changes_since_opt = Some(updated_at);
                    next.seen_at_changes_since = BTreeSet::from([cloud_id.to_owned()]);
                }
            }
        }
        next
    }
}

/// Why a call to a cloud platform failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudError {
    /// The credentials were refused, or a fresh token was.
    Unauthorized(String),
    /// A timeout, a refused connection or a 5xx: worth retrying.
    Unavailable(String),
    /// The platform refused the request (a 4xx); repeating it will not help.
    Refused {
        status: u16,
        message: String,
    },
    NotFound(String),
    /// An answer this adapter cannot read (a body, the service catalog).
    Malformed(String),
    /// A build or resize ended in ERROR.
    Failed(String),
    /// A server did not reach the wanted status in time; it may still.
    TimedOut(String),
}

impl CloudError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, CloudError::Unavailable(_) | CloudError::TimedOut(_))
    }
}

impl std::fmt::Display for CloudError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloudError::Unauthorized(why) => write!(f, "cloud refused the login: {why}"),
            CloudError::Unavailable(why) => write!(f, "cloud unavailable: {why}"),
            CloudError::Refused { status, message } => {
                write!(f, "cloud refused the request ({status}): {message}")
            }
            CloudError::NotFound(what) => write!(f, "not found in the cloud: {what}"),
            CloudError::Malformed(why) => write!(f, "unreadable cloud answer: {why}"),
            CloudError::Failed(why) => write!(f, "cloud operation failed: {why}"),
            CloudError::TimedOut(why) => write!(f, "cloud operation timed out: {why}"),
        }
    }
}

impl std::error::Error for CloudError {}

impl From<CloudError> for ProviderError {
    fn from(error: CloudError) -> ProviderError {
        if error.is_transient() {
            ProviderError::Transient(error.to_string())
        } else {
            ProviderError::Permanent(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + i64::from(second), 0).unwrap()
    }

    #[test]
    fn the_cursor_reports_each_change_once_though_changes_since_is_inclusive() {
        let initial = SyncCursor::initial();
        assert_eq!(initial.changes_since_opt(), None);
        assert!(initial.is_news("a", at(0)));
        let first = initial.advance([("a", at(1)), ("b", at(3)), ("c", at(3))]);
        assert_eq!(first.changes_since_opt(), Some(at(3)));
        // (server, updated, news?) as the next sync's answer would list them.
        let table = [
            ("b", at(3), false),
            ("c", at(3), false),
            ("d", at(3), true),
            ("a", at(4), true),
        ];
        for (cloud_id, updated_at, news) in table {
            assert_eq!(first.is_news(cloud_id, updated_at), news, "{cloud_id}");
        }
        let same_time = first.advance([("d", at(3))]);
        assert!(!same_time.is_news("d", at(3)));
        assert!(!same_time.is_news("b", at(3)));
        let later = same_time.advance([("a", at(4))]);
        assert_eq!(later.changes_since_opt(), Some(at(4)));
        assert!(later.is_news("b", at(4)));
        assert!(!later.is_news("a", at(4)));
    }
}
