//! Which device actor answers for which device: by id (for the API and operators' commands)
//! and by management address, with the credentials a trap from there must carry (traps name
//! no device). Data-center
//! actors register their devices here as they start them (again when a device's address or
//! credentials change) and unregister them when they leave; the handles are the supervisors'
//! stable ones, so they survive a device actor's restart. Platform actors are here too, by
//! platform id, for their sync status.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::RwLock;
use tokio::sync::mpsc;
use yunguan_actors::supervision::Supervised;

use super::device::{DeviceActor, DeviceSummary};
use super::discovered::Discovery;
use super::messages::{DeviceConfig, TrapReceived};
use super::platform::{PlatformActor, PlatformSummary};
use super::snmp::traps::{Senders, Trap};
use crate::inventory::credentials::Credentials;

pub type DeviceHandle = Supervised<DeviceActor, DeviceSummary>;

struct Entry {
    data_center_id: i64,
    ip: IpAddr,
    credentials: Credentials,
    handle: DeviceHandle,
}

#[derive(Default)]
struct Inner {
    devices: HashMap<i64, Entry>,
    by_ip: HashMap<IpAddr, Vec<i64>>,
    platforms: HashMap<i64, PlatformHandle>,
}

pub type PlatformHandle = Supervised<PlatformActor, PlatformSummary>;

/// Shared by the monitoring service and its data-center actors.
#[derive(Clone)]
pub struct Directory {
    inner: Arc<RwLock<Inner>>,
    discovered_tx: mpsc::UnboundedSender<(i64, Discovery)>,
}

impl Directory {
    /// A directory; what polls find goes to `discovered_tx`, as (device, discovery).
    pub fn new(discovered_tx: mpsc::UnboundedSender<(i64, Discovery)>) -> Directory {
        Directory {
            inner: Arc::default(),
            discovered_tx,
        }
    }

    pub fn register(&self, config: &DeviceConfig, data_center_id: i64, handle: DeviceHandle) {
        let mut inner = self.inner.write();
        let ip = config.address.ip();
        if let Some(previous) = inner.devices.insert(
            config.id,
            Entry {
                data_center_id,
                ip,
                credentials: config.credentials.clone(),
                handle,
            },
        ) {
            if let Some(ids) = inner.by_ip.get_mut(&previous.ip) {
                ids.retain(|id| *id != config.id);
                if ids.is_empty() {
                    inner.by_ip.remove(&previous.ip);
                }
            }
        }
        inner.by_ip.entry(ip).or_default().push(config.id);
    }

    /// Forgets a device that left `data_center_id` (a device that moved to another data
    /// center stays registered there, whichever of the two got here first).
    pub fn unregister(&self, device_id: i64, data_center_id: i64) {
        let mut inner = self.inner.write();
        let registered_here = inner
            .devices
            .get(&device_id)
            .is_some_and(|entry| entry.data_center_id == data_center_id);
        if !registered_here {
            return;
        }
        if let Some(entry) = inner.devices.remove(&device_id) {
            if let Some(ids) = inner.by_ip.get_mut(&entry.ip) {
                ids.retain(|id| *id != device_id);
                if ids.is_empty() {
                    inner.by_ip.remove(&entry.ip);
                }
            }
        }
    }

    pub fn register_platform(&self, platform_id: i64, handle: PlatformHandle) {
        self.inner.write().platforms.insert(platform_id, handle);
    }

    pub fn unregister_platform(&self, platform_id: i64) {
        self.inner.write().platforms.remove(&platform_id);
    }

    /// The platform actor's latest summary.
    pub fn platform_summary(&self, platform_id: i64) -> Option<PlatformSummary> {
        let inner = self.inner.read();
        inner.platforms.get(&platform_id).map(Supervised::snapshot)
    }

    /// The device's data center and actor.
    pub fn device(&self, device_id: i64) -> Option<(i64, DeviceHandle)> {
        let inner = self.inner.read();
        let entry = inner.devices.get(&device_id)?;
        Some((entry.data_center_id, entry.handle.clone()))
    }

    /// Every registered device id, with its data center.
    pub fn device_ids(&self) -> Vec<(i64, i64)> {
        let inner = self.inner.read();
        let mut ids: Vec<(i64, i64)> = inner
            .devices
            .iter()
            .map(|(id, entry)| (*id, entry.data_center_id))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Hands a trap to the device that sent it; whether that device is here.
    pub fn deliver_trap(&self, trap: Trap) -> bool {
        let inner = self.inner.read();
        let Some(entry) = inner.devices.get(&trap.device_id) else {
            return false;
        };
        entry.handle.addr().do_send(TrapReceived(trap.kind));
        true
    }

    /// Hands what a poll of the device found to the writer.
    pub fn discovered(&self, device_id: i64, discovery: Discovery) {
        let _ = self.discovered_tx.send((device_id, discovery));
    }
}

/// Traps are taken from the devices registered at their source address.
impl Senders for Directory {
    fn at(&self, ip: IpAddr) -> Vec<(i64, Credentials)> {
        let inner = self.inner.read();
        inner
            .by_ip
            .get(&ip)
            .into_iter()
            .flatten()
            .filter_map(|id| Some((*id, inner.devices.get(id)?.credentials.clone())))
            .collect()
    }
}
