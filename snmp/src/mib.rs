//! The objects yunguan polls and the notifications it understands, as arcs. Encode them once
//! with [`crate::oid::encode`].

/// SNMPv2-MIB system group scalars (`.0` instances).
pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
pub const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
pub const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
pub const SYS_CONTACT: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 4, 0];
pub const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
pub const SYS_LOCATION: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 6, 0];

/// IF-MIB `ifEntry`; a column is this plus its number, a cell that plus `ifIndex`.
pub const IF_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
pub const IF_INDEX: u32 = 1;
pub const IF_DESCR: u32 = 2;
pub const IF_TYPE: u32 = 3;
pub const IF_SPEED: u32 = 5;
pub const IF_ADMIN_STATUS: u32 = 7;
pub const IF_OPER_STATUS: u32 = 8;
pub const IF_IN_OCTETS: u32 = 10;
pub const IF_IN_UCAST_PKTS: u32 = 11;
pub const IF_IN_ERRORS: u32 = 14;
pub const IF_OUT_OCTETS: u32 = 16;
pub const IF_OUT_UCAST_PKTS: u32 = 17;
pub const IF_OUT_ERRORS: u32 = 20;

/// IF-MIB `ifXEntry` (64-bit counters, names, high speed).
pub const IF_X_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
pub const IF_NAME: u32 = 1;
pub const IF_HC_IN_OCTETS: u32 = 6;
pub const IF_HC_IN_UCAST_PKTS: u32 = 7;
pub const IF_HC_OUT_OCTETS: u32 = 10;
pub const IF_HC_OUT_UCAST_PKTS: u32 = 11;
pub const IF_HIGH_SPEED: u32 = 15;
pub const IF_ALIAS: u32 = 18;

/// `ifAdminStatus` / `ifOperStatus` values.
pub const IF_STATUS_UP: i64 = 1;
pub const IF_STATUS_DOWN: i64 = 2;

/// HOST-RESOURCES-MIB `hrProcessorLoad` (percent over the last minute, per processor).
pub const HR_PROCESSOR_LOAD: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2];

/// HOST-RESOURCES-MIB `hrStorageTable`, and its entry.
pub const HR_STORAGE_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 2, 3];
pub const HR_STORAGE_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 2, 3, 1];
pub const HR_STORAGE_TYPE: u32 = 2;
pub const HR_STORAGE_DESCR: u32 = 3;
pub const HR_STORAGE_ALLOCATION_UNITS: u32 = 4;
pub const HR_STORAGE_SIZE: u32 = 5;
pub const HR_STORAGE_USED: u32 = 6;

/// `hrStorageType` values.
pub const HR_STORAGE_RAM: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 2, 1, 2];
pub const HR_STORAGE_FIXED_DISK: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 2, 1, 4];

/// ENTITY-MIB `entPhysicalEntry`: the device's physical parts (chassis, modules, power
/// supplies, fans, sensors), indexed by `entPhysicalIndex`.
pub const ENT_PHYSICAL_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1];
pub const ENT_PHYSICAL_DESCR: u32 = 2;
pub const ENT_PHYSICAL_CLASS: u32 = 5;
pub const ENT_PHYSICAL_NAME: u32 = 7;
pub const ENT_PHYSICAL_HARDWARE_REV: u32 = 8;
pub const ENT_PHYSICAL_FIRMWARE_REV: u32 = 9;
pub const ENT_PHYSICAL_SOFTWARE_REV: u32 = 10;
pub const ENT_PHYSICAL_SERIAL_NUM: u32 = 11;
pub const ENT_PHYSICAL_MFG_NAME: u32 = 12;
pub const ENT_PHYSICAL_MODEL_NAME: u32 = 13;
/// `entPhysicalClass` values.
pub const ENT_CLASS_CHASSIS: i64 = 3;
pub const ENT_CLASS_POWER_SUPPLY: i64 = 6;
pub const ENT_CLASS_FAN: i64 = 7;
pub const ENT_CLASS_SENSOR: i64 = 8;
pub const ENT_CLASS_MODULE: i64 = 9;

/// ENTITY-SENSOR-MIB `entPhySensorEntry`, indexed by the sensor's `entPhysicalIndex`.
pub const ENT_PHY_SENSOR_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 99, 1, 1, 1];
pub const ENT_PHY_SENSOR_TYPE: u32 = 1;
pub const ENT_PHY_SENSOR_SCALE: u32 = 2;
pub const ENT_PHY_SENSOR_PRECISION: u32 = 3;
pub const ENT_PHY_SENSOR_VALUE: u32 = 4;
pub const ENT_PHY_SENSOR_OPER_STATUS: u32 = 5;
/// `entPhySensorType` celsius(8); `entPhySensorScale` units(9), the power of ten
/// `(scale - 9) * 3`; `entPhySensorOperStatus` ok(1).
pub const ENT_SENSOR_CELSIUS: i64 = 8;
pub const ENT_SENSOR_SCALE_UNITS: i64 = 9;
pub const ENT_SENSOR_OK: i64 = 1;

/// Enterprise numbers, the start of a vendor's `sysObjectID`.
pub const ENTERPRISES: &[u32] = &[1, 3, 6, 1, 4, 1];
pub const ENTERPRISE_CISCO: u32 = 9;
pub const ENTERPRISE_HUAWEI: u32 = 2011;
pub const ENTERPRISE_H3C: u32 = 25506;

/// HUAWEI-ENTITY-EXTENT-MIB `hwEntityStateEntry`, indexed by `entPhysicalIndex`: percent
/// CPU and memory of each board, and its temperature in degrees Celsius.
pub const HW_ENTITY_STATE_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 2011, 5, 25, 31, 1, 1, 1, 1];
pub const HW_ENTITY_CPU_USAGE: u32 = 5;
pub const HW_ENTITY_MEM_USAGE: u32 = 7;
pub const HW_ENTITY_TEMPERATURE: u32 = 11;

/// HH3C-ENTITY-EXT-MIB `hh3cEntityExtStateEntry`, the same for H3C (65535: not supported).
pub const HH3C_ENTITY_EXT_STATE_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 25506, 2, 6, 1, 1, 1, 1];
pub const HH3C_ENTITY_EXT_CPU_USAGE: u32 = 6;
pub const HH3C_ENTITY_EXT_MEM_USAGE: u32 = 8;
pub const HH3C_ENTITY_EXT_TEMPERATURE: u32 = 12;

/// CISCO-PROCESS-MIB `cpmCPUTotalEntry`: `cpmCPUTotal1minRev`, percent over a minute.
pub const CPM_CPU_TOTAL_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 109, 1, 1, 1, 1];
pub const CPM_CPU_TOTAL_1MIN_REV: u32 = 7;

/// CISCO-MEMORY-POOL-MIB `ciscoMemoryPoolEntry`: bytes used and free of each pool.
pub const CISCO_MEMORY_POOL_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 48, 1, 1, 1];
pub const CISCO_MEMORY_POOL_NAME: u32 = 2;
pub const CISCO_MEMORY_POOL_USED: u32 = 5;
pub const CISCO_MEMORY_POOL_FREE: u32 = 6;

/// LLDP-MIB (IEEE 802.1AB): the device's own ports as LLDP numbers them, and what each
/// hears from its neighbour.
pub const LLDP_LOC_CHASSIS_ID: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 3, 2, 0];
/// `lldpLocPortEntry`, indexed by `lldpLocPortNum`.
pub const LLDP_LOC_PORT_ENTRY: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 3, 7, 1];
pub const LLDP_LOC_PORT_ID_SUBTYPE: u32 = 2;
pub const LLDP_LOC_PORT_ID: u32 = 3;
pub const LLDP_LOC_PORT_DESC: u32 = 4;
/// `lldpRemEntry`, indexed by `lldpRemTimeMark.lldpRemLocalPortNum.lldpRemIndex`.
pub const LLDP_REM_ENTRY: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 4, 1, 1];
pub const LLDP_REM_CHASSIS_ID_SUBTYPE: u32 = 4;
pub const LLDP_REM_CHASSIS_ID: u32 = 5;
pub const LLDP_REM_PORT_ID_SUBTYPE: u32 = 6;
pub const LLDP_REM_PORT_ID: u32 = 7;
pub const LLDP_REM_PORT_DESC: u32 = 8;
pub const LLDP_REM_SYS_NAME: u32 = 9;
/// `LldpChassisIdSubtype` macAddress(4); `LldpPortIdSubtype` macAddress(3),
/// interfaceName(5), local(7).
pub const LLDP_CHASSIS_MAC: i64 = 4;
pub const LLDP_PORT_MAC: i64 = 3;
pub const LLDP_PORT_INTERFACE_NAME: i64 = 5;
pub const LLDP_PORT_LOCAL: i64 = 7;

/// SNMPv2 notifications: the first two varbinds of a trap are `sysUpTime.0` and
/// `snmpTrapOID.0`.
pub const SNMP_TRAP_OID: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
pub const COLD_START: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 1];
pub const WARM_START: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 2];
pub const LINK_DOWN: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 3];
pub const LINK_UP: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 4];

/// A column of `entry` (`ifEntry` + `ifInOctets`).
pub fn column(entry: &[u32], column: u32) -> Vec<u32> {
    let mut arcs = entry.to_vec();
    arcs.push(column);
    arcs
}
