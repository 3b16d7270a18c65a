//! Device profiles: what a simulated product has (interfaces and their speeds, whether it has
//! 64-bit counters, processors and storage, its hardware and vendor MIBs) and the sorted OID
//! layout of its MIB view, shared by every device of the profile.

use std::sync::Arc;

use yunguan_snmp::{mib, oid};

use super::hardware::{BoardFigure, HardwareSpec};

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

/// The products the fleet simulates; each is of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Product {
    /// Huawei S5735 access switch: HUAWEI-ENTITY-EXTENT-MIB, no HOST-RESOURCES processors.
    HuaweiS5735,
    /// Cisco Catalyst 9300: CISCO-PROCESS-MIB, CISCO-MEMORY-POOL-MIB, ENTITY-SENSOR-MIB.
    CiscoC9300,
    /// H3C SR6608-X router: HH3C-ENTITY-EXT-MIB.
    H3cSr6608,
    HillstoneSg6000,
    F5BigIp,
    KylinServer,
    OceanStorDorado,
}

impl Product {
    pub const ALL: [Product; 7] = [
        Product::HuaweiS5735,
        Product::CiscoC9300,
        Product::H3cSr6608,
        Product::HillstoneSg6000,
        Product::F5BigIp,
        Product::KylinServer,
        Product::OceanStorDorado,
    ];

    pub fn kind(self) -> DeviceKind {
        match self {
            Product::HuaweiS5735 | Product::CiscoC9300 => DeviceKind::Switch,
            Product::H3cSr6608 => DeviceKind::Router,
            Product::HillstoneSg6000 => DeviceKind::Firewall,
            Product::F5BigIp => DeviceKind::LoadBalancer,
            Product::KylinServer => DeviceKind::Server,
            Product::OceanStorDorado => DeviceKind::StorageArray,
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
    /// An `entPhysicalEntry` column of a part of the hardware.
    Part {
        column: u32,
        part_idx: u16,
    },
    /// A part's figure in the vendor's board table (Huawei, H3C).
    Board {
        figure: BoardFigure,
        part_idx: u16,
    },
    /// `cpmCPUTotal1minRev.1` (Cisco).
    CiscoCpu,
    /// A `ciscoMemoryPoolEntry` column.
    CiscoPool {
        column: u32,
        pool_idx: u16,
    },
    /// An `entPhySensorEntry` column of a sensor part.
    Sensor {
        column: u32,
        part_idx: u16,
    },
}

/// A product and its MIB view.
#[derive(Debug)]
pub struct Profile {
    pub product: Product,
    pub kind: DeviceKind,
    pub sys_descr: String,
    pub sys_object_id: Vec<u8>,
    pub interfaces: Vec<InterfaceSpec>,
    /// Whether the device has `ifXTable` (64-bit counters); without it, only 32-bit counters,
    /// which wrap.
    pub has_if_x_table: bool,
    pub n_processors: u16,
    pub storages: Vec<StorageSpec>,
    /// ENTITY-MIB's parts and the vendor's MIB, for network gear of the big vendors.
    pub hardware_opt: Option<HardwareSpec>,
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
    /// The built-in profile of a product.
    pub fn of(product: Product) -> Profile {
        let kind = product.kind();
        let (descr, object_id, ports, has_if_x_table, n_processors, hardware_opt): (
            &str,
            &[u32],
            Vec<PortGroup>,
            bool,
            u16,
            Option<HardwareSpec>,
        ) = match product {
            // The big vendors' gear tells CPU and memory in its own MIBs, not HOST-RESOURCES.
            Product::HuaweiS5735 => (
                "Huawei Versatile Routing Platform Software (S5735-L48T4X)",
                &[1, 3, 6, 1, 4, 1, 2011, 2, 23, 633],
                ports(
                    "GigabitEthernet0/0/",
                    24,
                    GBPS,
                    "XGigabitEthernet0/0/",
                    2,
                    10 * GBPS,
                ),
                true,
                0,
                Some(HardwareSpec::huawei_s5735()),
            ),
            Product::CiscoC9300 => (
                "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE)",
                &[1, 3, 6, 1, 4, 1, 9, 1, 2494],
                ports(
                    "GigabitEthernet1/0/",
                    24,
                    GBPS,
                    "TenGigabitEthernet1/1/",
                    2,
                    10 * GBPS,
                ),
                true,
                0,
                Some(HardwareSpec::cisco_c9300()),
            ),
            Product::H3cSr6608 => (
                "H3C Comware Platform Software (SR6608-X)",
                &[1, 3, 6, 1, 4, 1, 25506, 1, 1142],
                ports("Ten-GigabitEthernet1/0/", 8, 10 * GBPS, "", 0, 0),
                true,
                0,
                Some(HardwareSpec::h3c_sr6608()),
            ),
            Product::HillstoneSg6000 => (
                "Hillstone StoneOS (SG-6000-E3960)",
                &[1, 3, 6, 1, 4, 1, 28557, 1, 38],
                ports("ethernet0/", 8, GBPS, "", 0, 0),
                false,
                2,
                None,
            ),
            Product::F5BigIp => (
                "F5 BIG-IP i5800",
                &[1, 3, 6, 1, 4, 1, 3375, 2, 1, 3, 4, 43],
                ports("1.", 4, 10 * GBPS, "", 0, 0),
                true,
                4,
                None,
            ),
            Product::KylinServer => (
                "Linux kylin-srv 4.19.90-52.22.v2207.ky10.x86_64",
                &[1, 3, 6, 1, 4, 1, 8072, 3, 2, 10],
                ports("eth", 4, GBPS, "", 0, 0),
                true,
                8,
                None,
            ),
            Product::OceanStorDorado => (
                "Huawei OceanStor Dorado 5000 V6",
                &[1, 3, 6, 1, 4, 1, 34774, 4, 1],
                ports("CTE0.A.IOM0.P", 4, 10 * GBPS, "", 0, 0),
                true,
                4,
                None,
            ),
        };
        let mut storages = Vec::new();
        if hardware_opt.is_none() {
            storages.push(StorageSpec {
                descr: "Physical memory".to_owned(),
                storage_type: oid::encode(mib::HR_STORAGE_RAM),
                allocation_units: 1024,
                size_units: match kind {
                    DeviceKind::Server => 256 * 1024 * 1024,
                    _ => 8 * 1024 * 1024,
                },
            });
        }
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
            product,
            kind,
            sys_descr: descr.to_owned(),
            sys_object_id: oid::encode(object_id),
            interfaces: ports_specs(descr, &ports),
            has_if_x_table,
            n_processors,
            storages,
            hardware_opt,
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
        if let Some(hardware) = &self.hardware_opt {
            layout.extend(hardware.layout());
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

/// The profiles of every product, built once per fleet.
#[derive(Debug, Clone)]
pub struct Profiles(pub Vec<Arc<Profile>>);

impl Profiles {
    pub fn all() -> Profiles {
        Profiles(
            Product::ALL
                .into_iter()
                .map(|product| Arc::new(Profile::of(product)))
                .collect(),
        )
    }

    pub fn of(&self, product: Product) -> Arc<Profile> {
        self.0
            .iter()
            .find(|profile| profile.product == product)
            .cloned()
            .unwrap_or_else(|| Arc::new(Profile::of(product)))
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
            assert_eq!(walked, profile.layout.len(), "{:?}", profile.product);
        }
        let firewall = Profile::of(Product::HillstoneSg6000);
        let hc = oid::encode(&mib::column(mib::IF_X_ENTRY, mib::IF_HC_IN_OCTETS));
        assert!(firewall
            .layout
            .iter()
            .all(|(entry, _)| !entry.starts_with(&hc)));
    }
}
