//! What the fleet's network gear says of its hardware, as the real products do: ENTITY-MIB's
//! parts (chassis, boards, power supplies, fans, a sensor) with models, serial numbers and
//! firmware, and the vendor's own MIB for CPU, memory and temperature:
//! HUAWEI-ENTITY-EXTENT-MIB (Huawei), HH3C-ENTITY-EXT-MIB (H3C), CISCO-PROCESS-MIB and
//! CISCO-MEMORY-POOL-MIB with ENTITY-SENSOR-MIB (Cisco).

use yunguan_snmp::{mib, oid};

use super::profile::Cell;

/// Whose MIB a profile answers CPU, memory and temperature in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorMib {
    Huawei,
    H3c,
    Cisco,
}

impl VendorMib {
    /// What a part without the figure answers in the vendor's board table.
    pub fn absent(self) -> i64 {
        match self {
            VendorMib::H3c => 65_535,
            VendorMib::Huawei | VendorMib::Cisco => 0,
        }
    }

    /// The board table's entry and its CPU, memory and temperature columns (Huawei, H3C).
    fn board_table(self) -> Option<(&'static [u32], [u32; 3])> {
        match self {
            VendorMib::Huawei => Some((
                mib::HW_ENTITY_STATE_ENTRY,
                [
                    mib::HW_ENTITY_CPU_USAGE,
                    mib::HW_ENTITY_MEM_USAGE,
                    mib::HW_ENTITY_TEMPERATURE,
                ],
            )),
            VendorMib::H3c => Some((
                mib::HH3C_ENTITY_EXT_STATE_ENTRY,
                [
                    mib::HH3C_ENTITY_EXT_CPU_USAGE,
                    mib::HH3C_ENTITY_EXT_MEM_USAGE,
                    mib::HH3C_ENTITY_EXT_TEMPERATURE,
                ],
            )),
            VendorMib::Cisco => None,
        }
    }
}

/// What a board-table cell is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardFigure {
    Cpu,
    Memory,
    Temperature,
}

/// One physical part of a product.
#[derive(Debug, Clone)]
pub struct PartSpec {
    /// `entPhysicalIndex`.
    pub index: u32,
    /// `entPhysicalClass`.
    pub class: i64,
    pub name: &'static str,
    pub descr: &'static str,
    pub model: &'static str,
    pub hardware_rev: &'static str,
    /// Its serial number is this and a number of the device's.
    pub serial_prefix: &'static str,
    /// It runs the product's firmware (the chassis, a main board).
    pub runs_firmware: bool,
    /// It has a CPU and memory of its own (a main board).
    pub is_board: bool,
}

/// A product's hardware: its parts, the firmware it ships with and the one an upgrade
/// brings, and whose MIB tells its CPU, memory and temperature.
#[derive(Debug, Clone)]
pub struct HardwareSpec {
    pub vendor_mib: VendorMib,
    pub manufacturer: &'static str,
    pub parts: Vec<PartSpec>,
    /// As shipped, and after `Fleet::upgrade_firmware`.
    pub firmware: [&'static str; 2],
    /// Cisco's memory pools: name and bytes.
    pub memory_pools: Vec<(&'static str, u64)>,
}

const PART_COLUMNS: [u32; 9] = [
    mib::ENT_PHYSICAL_DESCR,
    mib::ENT_PHYSICAL_CLASS,
    mib::ENT_PHYSICAL_NAME,
    mib::ENT_PHYSICAL_HARDWARE_REV,
    mib::ENT_PHYSICAL_FIRMWARE_REV,
    mib::ENT_PHYSICAL_SOFTWARE_REV,
    mib::ENT_PHYSICAL_SERIAL_NUM,
    mib::ENT_PHYSICAL_MFG_NAME,
    mib::ENT_PHYSICAL_MODEL_NAME,
];

const SENSOR_COLUMNS: [u32; 5] = [
    mib::ENT_PHY_SENSOR_TYPE,
    mib::ENT_PHY_SENSOR_SCALE,
    mib::ENT_PHY_SENSOR_PRECISION,
    mib::ENT_PHY_SENSOR_VALUE,
    mib::ENT_PHY_SENSOR_OPER_STATUS,
];

impl HardwareSpec {
    /// The cells this hardware adds to a profile's MIB view (unsorted).
    pub fn layout(&self) -> Vec<(Vec<u8>, Cell)> {
        let mut layout = Vec::new();
        for column in PART_COLUMNS {
            let base = oid::encode(&mib::column(mib::ENT_PHYSICAL_ENTRY, column));
            for (part_idx, part) in self.parts.iter().enumerate() {
                let cell = Cell::Part {
                    column,
                    part_idx: part_idx as u16,
                };
                layout.push((oid::child(&base, part.index), cell));
            }
        }
        if let Some((entry, columns)) = self.vendor_mib.board_table() {
            let figures = [
                BoardFigure::Cpu,
                BoardFigure::Memory,
                BoardFigure::Temperature,
            ];
            for (column, figure) in columns.into_iter().zip(figures) {
                let base = oid::encode(&mib::column(entry, column));
                for (part_idx, part) in self.parts.iter().enumerate() {
                    let cell = Cell::Board {
                        figure,
                        part_idx: part_idx as u16,
                    };
                    layout.push((oid::child(&base, part.index), cell));
                }
            }
        }
        if self.vendor_mib == VendorMib::Cisco {
            let cpu = oid::encode(&mib::column(
                mib::CPM_CPU_TOTAL_ENTRY,
                mib::CPM_CPU_TOTAL_1MIN_REV,
            ));
            layout.push((oid::child(&cpu, 1), Cell::CiscoCpu));
            for column in [
                mib::CISCO_MEMORY_POOL_NAME,
                mib::CISCO_MEMORY_POOL_USED,
                mib::CISCO_MEMORY_POOL_FREE,
            ] {
                let base = oid::encode(&mib::column(mib::CISCO_MEMORY_POOL_ENTRY, column));
                for pool_idx in 0..self.memory_pools.len() as u16 {
                    let cell = Cell::CiscoPool { column, pool_idx };
                    layout.push((oid::child(&base, u32::from(pool_idx) + 1), cell));
                }
            }
        }
        for column in SENSOR_COLUMNS {
            let base = oid::encode(&mib::column(mib::ENT_PHY_SENSOR_ENTRY, column));
            for (part_idx, part) in self.parts.iter().enumerate() {
                if part.class == mib::ENT_CLASS_SENSOR {
                    let cell = Cell::Sensor {
                        column,
                        part_idx: part_idx as u16,
                    };
                    layout.push((oid::child(&base, part.index), cell));
                }
            }
        }
        layout
    }

    /// Huawei's S5735 access switch (VRP).
    pub fn huawei_s5735() -> HardwareSpec {
        HardwareSpec {
            vendor_mib: VendorMib::Huawei,
            manufacturer: "Huawei",
            parts: vec![
                chassis(16_777_216, "S5735-L48T4X", "2102351931P", "S5735-L48T4X"),
                board(16_842_752, "MPU Board 0", "S5735-L48T4X-MPU", "2102351931M"),
                part(
                    16_908_288,
                    mib::ENT_CLASS_POWER_SUPPLY,
                    "PWR1",
                    "PAC150S12-R",
                    "2102312DF",
                ),
                part(
                    16_973_824,
                    mib::ENT_CLASS_FAN,
                    "FAN1",
                    "FAN-031A-B",
                    "2102120758",
                ),
            ],
            firmware: ["V200R021C00SPC100", "V200R022C00SPC500"],
            memory_pools: Vec::new(),
        }
    }

    /// H3C's SR6608-X router (Comware).
    pub fn h3c_sr6608() -> HardwareSpec {
        HardwareSpec {
            vendor_mib: VendorMib::H3c,
            manufacturer: "H3C",
            parts: vec![
                chassis(1, "SR6608-X", "210235A1UWH", "SR6608-X"),
                board(2, "RSE-X3 0", "RSE-X3", "210231A2TK"),
                board(3, "RSE-X3 1", "RSE-X3", "210231A2TL"),
                part(
                    4,
                    mib::ENT_CLASS_POWER_SUPPLY,
                    "PSR650 0",
                    "PSR650-12A",
                    "210231A0NC",
                ),
                part(5, mib::ENT_CLASS_FAN, "FAN 0", "FAN-SR6608", "210231A0ND"),
            ],
            firmware: ["7.1.064, Release 7736P08", "7.1.064, Release 7759P01"],
            memory_pools: Vec::new(),
        }
    }

    /// Cisco's Catalyst 9300 switch (IOS XE).
    pub fn cisco_c9300() -> HardwareSpec {
        HardwareSpec {
            vendor_mib: VendorMib::Cisco,
            manufacturer: "Cisco Systems, Inc.",
            parts: vec![
                chassis(1, "C9300-48T", "FOC2418L0", "Cisco Catalyst 9300 48-port"),
                part(
                    1_000,
                    mib::ENT_CLASS_POWER_SUPPLY,
                    "Switch 1 - Power Supply A",
                    "PWR-C1-715WAC-P",
                    "DCB2410H",
                ),
                part(1_010, mib::ENT_CLASS_FAN, "Switch 1 - FAN 1", "FAN-T1", ""),
                part(
                    1_020,
                    mib::ENT_CLASS_SENSOR,
                    "Switch 1 - Temp Inlet",
                    "",
                    "",
                ),
            ],
            firmware: ["17.06.05", "17.09.04a"],
            memory_pools: vec![("Processor", 1_400_000_000), ("lsmpi_io", 6_295_128)],
        }
    }
}

fn chassis(
    index: u32,
    model: &'static str,
    serial_prefix: &'static str,
    descr: &'static str,
) -> PartSpec {
    PartSpec {
        index,
        class: mib::ENT_CLASS_CHASSIS,
        name: "Chassis",
        descr,
        model,
        hardware_rev: "VER.A",
        serial_prefix,
        runs_firmware: true,
        is_board: false,
    }
}

fn board(
    index: u32,
    name: &'static str,
    model: &'static str,
    serial_prefix: &'static str,
) -> PartSpec {
    PartSpec {
        index,
        class: mib::ENT_CLASS_MODULE,
        name,
        descr: name,
        model,
        hardware_rev: "VER.B",
        serial_prefix,
        runs_firmware: true,
        is_board: true,
    }
}

fn part(
    index: u32,
    class: i64,
    name: &'static str,
    model: &'static str,
    serial_prefix: &'static str,
) -> PartSpec {
    PartSpec {
        index,
        class,
        name,
        descr: name,
        model,
        hardware_rev: "",
        serial_prefix,
        runs_firmware: false,
        is_board: false,
    }
}
