//! Device profiles: what a kind of simulated device has (interfaces and their speeds, whether
//! it has 64-bit counters, processors and storage) and the sorted OID layout of its MIB view,
//! shared by every device of the profile.

use std::sync::Arc;

use yunguan_snmp::{mib, oid};

/// The kinds of device the fleet simulates; the names match yunguan's device kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    Switch,
    Router,
    Firewall,
    LoadBalancer,
    Server,
    StorageArray,
}

impl DeviceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Switch => "switch",
            DeviceKind::Router => "router",
            DeviceKind::Firewall => "firewall",
            DeviceKind::LoadBalancer => "load_balancer",
            DeviceKind::Server => "server",
            DeviceKind::StorageArray => "storage_array",
        }
    }
}

/// One interface of a profile.
#[derive(Debug, Clone)]
pub struct InterfaceSpec {
    pub descr: String,
    /// `descr` with the NUL Windows agents end it with.
    pub descr_nul: Vec<u8>,
    pub name: String,
    pub alias: String,
    pub speed_bps: u64,
}

/// One storage area (`hrStorageEntry`).
#[derive(Debug, Clone)]
pub struct StorageSpec {
    pub descr: String,
    /// Encoded `hrStorageType`.
    pub storage_type: Vec<u8>,
    pub allocation_units: u32,
    pub size_units: u32,
}

/// What a cell of the MIB view is; its value depends on the device and the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    SysDescr,
    SysObjectId,
    SysUpTime,
    SysContact,
    SysName,
    SysLocation,
    /// An `ifEntry` column of interface `interface_idx` (0-based; `ifIndex` is one more).
    If {
        column: u32,
        interface_idx: u16,
    },
    /// An `ifXEntry` column.
    IfX {
        column: u32,
        interface_idx: u16,
    },
    ProcessorLoad {
        processor_idx: u16,
    },
    Storage {
        column: u32,
        storage_idx: u16,
    },
}

/// A kind of device and its MIB view.
#[derive(Debug)]
pub struct Profile {
    pub kind: DeviceKind,
    pub sys_descr: String,
    pub sys_object_id: Vec<u8>,
    pub interfaces: Vec<InterfaceSpec>,
    /// Whether the device has `ifXTable` (64-bit counters); without it, only 32-bit counters,
    /// which wrap.
    pub has_if_x_table: bool,
    pub n_processors: u16,
    pub storages: Vec<StorageSpec>,
    /// Every OID the device answers, in OID order, with what it is.
    pub layout: Vec<(Vec<u8>, Cell)>,
}

const IF_COLUMNS: &[u32] = &[
    mib::IF_INDEX,
    mib::IF_DESCR,
    mib::IF_TYPE,
    mib::IF_SPEED,
    mib::IF_ADMIN_STATUS,
    mib::IF_OPER_STATUS,
    mib::IF_IN_OCTETS,
    mib::IF_IN_UCAST_PKTS,
    mib::IF_IN_ERRORS,
    mib::IF_OUT_OCTETS,
    mib::IF_OUT_UCAST_PKTS,
    mib::IF_OUT_ERRORS,
];

const IF_X_COLUMNS: &[u32] = &[
    mib::IF_NAME,
    mib::IF_HC_IN_OCTETS,
    mib::IF_HC_IN_UCAST_PKTS,
    mib::IF_HC_OUT_OCTETS,
    mib::IF_HC_OUT_UCAST_PKTS,
    mib::IF_HIGH_SPEED,
    mib::IF_ALIAS,
];

const STORAGE_COLUMNS: &[u32] = &[
    mib::HR_STORAGE_TYPE,
    mib::HR_STORAGE_DESCR,
    mib::HR_STORAGE_ALLOCATION_UNITS,
    mib::HR_STORAGE_SIZE,
    mib::HR_STORAGE_USED,
];

const GBPS: u64 = 1_000_000_000;

impl Profile {
    /// The built-in profile of a kind of device.
    pub fn of(kind: DeviceKind) -> Profile {
        let (descr, ports, has_if_x_table, n_processors) = match kind {
            DeviceKind::Switch => (
                "Huawei Versatile Routing Platform Software (S5735-L48T4X)",
                ports(
                    "GigabitEthernet0/0/",
                    24,
                    GBPS,
                    "XGigabitEthernet0/0/",
                    2,
                    10 * GBPS,
                ),
                true,
                1,
            ),
            DeviceKind::Router => (
                "H3C Comware Platform Software (SR6608-X)",
                ports("Ten-GigabitEthernet1/0/", 8, 10 * GBPS, "", 0, 0),
                true,
                2,
            ),
            DeviceKind::Firewall => (
                "Hillstone StoneOS (SG-6000-E3960)",
                ports("ethernet0/", 8, GBPS, "", 0, 0),
                false,
                2,
            ),
            DeviceKind::LoadBalancer => (
                "F5 BIG-IP i5800",
                ports("1.", 4, 10 * GBPS, "", 0, 0),
                true,
                4,
            ),
            DeviceKind::Server => (
                "Linux kylin-srv 4.19.90-52.22.v2207.ky10.x86_64",
                ports("eth", 4, GBPS, "", 0, 0),
                true,
                8,
            ),
            DeviceKind::StorageArray => (
                "Huawei OceanStor Dorado 5000 V6",
                ports("CTE0.A.IOM0.P", 4, 10 * GBPS, "", 0, 0),
                true,
                4,
            ),
        };
        let mut storages = vec![StorageSpec {
            descr: "Physical memory".to_owned(),
            storage_type: oid::encode(mib::HR_STORAGE_RAM),
            allocation_units: 1024,
            size_units: match kind {
                DeviceKind::Server => 256 * 1024 * 1024,
                _ => 8 * 1024 * 1024,
            },
        }];
        let disks: &[&str] = match kind {
            DeviceKind::Server => &["/", "/data"],
            DeviceKind::StorageArray => &["StoragePool001"],
            _ => &["flash:"],
        };
        for disk in disks {
            storages.push(StorageSpec {
                descr: (*disk).to_owned(),
                storage_type: oid::encode(mib::HR_STORAGE_FIXED_DISK),
                allocation_units: 4096,
                size_units: match kind {
                    DeviceKind::StorageArray => 900_000_000,
                    DeviceKind::Server => 120_000_000,
                    _ => 500_000,
                },
            });
        }
        let mut profile = Profile {
            kind,
            sys_descr: descr.to_owned(),
            sys_object_id: oid::encode(&[1, 3, 6, 1, 4, 1, 2011, 2, 23, kind as u32]),
            interfaces: ports_specs(descr, &ports),
            has_if_x_table,
            n_processors,
            storages,
            layout: Vec::new(),
        };
        profile.layout = profile.build_layout();
        profile
    }

    fn build_layout(&self) -> Vec<(Vec<u8>, Cell)> {
        let mut layout = vec![
            (oid::encode(mib::SYS_DESCR), Cell::SysDescr),
            (oid::encode(mib::SYS_OBJECT_ID), Cell::SysObjectId),
            (oid::encode(mib::SYS_UP_TIME), Cell::SysUpTime),
            (oid::encode(mib::SYS_CONTACT), Cell::SysContact),
            (oid::encode(mib::SYS_NAME), Cell::SysName),
            (oid::encode(mib::SYS_LOCATION), Cell::SysLocation),
        ];
        let n_interfaces = self.interfaces.len() as u16;
        for column in IF_COLUMNS {
            let base = oid::encode(&mib::column(mib::IF_ENTRY, *column));
            for interface_idx in 0..n_interfaces {
                let cell = Cell::If {
                    column: *column,
                    interface_idx,
                };
                layout.push((oid::child(&base, u32::from(interface_idx) + 1), cell));
            }
        }
        if self.has_if_x_table {
            for column in IF_X_COLUMNS {
                let base = oid::encode(&mib::column(mib::IF_X_ENTRY, *column));
                for interface_idx in 0..n_interfaces {
                    let cell = Cell::IfX {
                        column: *column,
                        interface_idx,
                    };
                    layout.push((oid::child(&base, u32::from(interface_idx) + 1), cell));
                }
            }
        }
        let storage_entry = oid::encode(mib::HR_STORAGE_ENTRY);
        for column in STORAGE_COLUMNS {
            let base = oid::child(&storage_entry, *column);
            for storage_idx in 0..self.storages.len() as u16 {
                let cell = Cell::Storage {
                    column: *column,
                    storage_idx,
                };
                layout.push((oid::child(&base, u32::from(storage_idx) + 1), cell));
            }
        }
        let load = oid::encode(mib::HR_PROCESSOR_LOAD);
        for processor_idx in 0..self.n_processors {
            // hrDeviceIndex of processors conventionally starts at 196608 (net-snmp).
            let index = 196_608 + u32::from(processor_idx);
            layout.push((
                oid::child(&load, index),
                Cell::ProcessorLoad { processor_idx },
            ));
        }
        layout.sort_by(|a, b| a.0.cmp(&b.0));
        layout
    }

    /// The cell at exactly `oid`.
    pub fn exact(&self, oid: &[u8]) -> Option<(&[u8], Cell)> {
        let idx = self
            .layout
            .binary_search_by(|(entry, _)| entry.as_slice().cmp(oid))
            .ok()?;
        let (entry, cell) = &self.layout[idx];
        Some((entry, *cell))
    }

    /// The first cell after `oid`, as GETNEXT walks.
    pub fn next_after(&self, oid: &[u8]) -> Option<(&[u8], Cell)> {
        let idx = self
            .layout
            .partition_point(|(entry, _)| entry.as_slice() <= oid);
        self.layout
            .get(idx)
            .map(|(entry, cell)| (entry.as_slice(), *cell))
    }
}

type PortGroup = (&'static str, u16, u64);

fn ports(
    prefix: &'static str,
    count: u16,
    speed_bps: u64,
    uplink_prefix: &'static str,
    uplink_count: u16,
    uplink_speed_bps: u64,
) -> Vec<PortGroup> {
    let mut groups = vec![(prefix, count, speed_bps)];
    if uplink_count > 0 {
        groups.push((uplink_prefix, uplink_count, uplink_speed_bps));
    }
    groups
}

fn ports_specs(device_descr: &str, groups: &[PortGroup]) -> Vec<InterfaceSpec> {
    let mut specs = Vec::new();
    for (prefix, count, speed_bps) in groups {
        for port in 1..=*count {
            let name = format!("{prefix}{port}");
            let descr = format!("{name}, {device_descr}");
            specs.push(InterfaceSpec {
                descr_nul: [descr.as_bytes(), b"\0"].concat(),
                descr,
                alias: if *speed_bps > GBPS {
                    format!("uplink {port}")
                } else {
                    format!("access {port}")
                },
                name,
                speed_bps: *speed_bps,
            });
        }
    }
    specs
}

/// The profiles of every kind, built once per fleet.
#[derive(Debug, Clone)]
pub struct Profiles(pub Vec<Arc<Profile>>);

impl Profiles {
    pub fn all() -> Profiles {
        Profiles(
            [
                DeviceKind::Switch,
                DeviceKind::Router,
                DeviceKind::Firewall,
                DeviceKind::LoadBalancer,
                DeviceKind::Server,
                DeviceKind::StorageArray,
            ]
            .into_iter()
            .map(|kind| Arc::new(Profile::of(kind)))
            .collect(),
        )
    }

    pub fn of(&self, kind: DeviceKind) -> Arc<Profile> {
        self.0
            .iter()
            .find(|profile| profile.kind == kind)
            .cloned()
            .unwrap_or_else(|| Arc::new(Profile::of(kind)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_sorted_and_walkable() {
        for profile in Profiles::all().0 {
            assert!(profile.layout.windows(2).all(|pair| pair[0].0 < pair[1].0));
            let mut walked = 0;
            let mut cursor = oid::encode(&[1, 3]);
            while let Some((next, _)) = profile.next_after(&cursor) {
                cursor = next.to_vec();
                walked += 1;
            }
            assert_eq!(walked, profile.layout.len(), "{:?}", profile.kind);
        }
        let firewall = Profile::of(DeviceKind::Firewall);
        let hc = oid::encode(&mib::column(mib::IF_X_ENTRY, mib::IF_HC_IN_OCTETS));
        assert!(firewall
            .layout
            .iter()
            .all(|(entry, _)| !entry.starts_with(&hc)));
    }
}
