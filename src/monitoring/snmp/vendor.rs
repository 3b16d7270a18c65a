//! Vendor MIBs: the CPU, memory and temperature of the network gear government networks run,
//! which keep them in their own MIBs rather than HOST-RESOURCES-MIB. The vendor is told by
//! the `sysObjectID`'s enterprise number:
//!
//! - Huawei (2011): HUAWEI-ENTITY-EXTENT-MIB `hwEntityCpuUsage`, `hwEntityMemUsage`,
//!   `hwEntityTemperature`, per board (`entPhysicalIndex`);
//! - H3C (25506): HH3C-ENTITY-EXT-MIB, the same three per board (65535 where unsupported);
//! - Cisco (9): CISCO-PROCESS-MIB `cpmCPUTotal1minRev` per CPU and CISCO-MEMORY-POOL-MIB's
//!   pools; their temperature comes from ENTITY-SENSOR-MIB.
//!
//! A board that reports neither CPU nor memory (a port, a fan) is not a board here. The
//! device's CPU and memory are its busiest board's (CPU) and its fullest's (memory), which
//! is what an alarm threshold should see; its temperature is its hottest part's.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use yunguan_snmp::snmp2::Value;
use yunguan_snmp::{mib, oid};

use super::poll::DeviceSample;
use super::session::Session;
use super::walk::walk_columns;
use super::SnmpError;

/// A vendor whose MIBs are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    Huawei,
    H3c,
    Cisco,
}

impl Vendor {
    /// The vendor of a `sysObjectID` (dotted), if it is one whose MIBs are read.
    pub fn of(sys_object_id: &str) -> Option<Vendor> {
        let enterprise: u32 = sys_object_id
            .trim_start_matches('.')
            .strip_prefix("1.3.6.1.4.1.")?
            .split('.')
            .next()?
            .parse()
            .ok()?;
        match enterprise {
            mib::ENTERPRISE_HUAWEI => Some(Vendor::Huawei),
            mib::ENTERPRISE_H3C => Some(Vendor::H3c),
            mib::ENTERPRISE_CISCO => Some(Vendor::Cisco),
            _ => None,
        }
    }

    /// Whether the device's temperature is read from ENTITY-SENSOR-MIB rather than here.
    pub fn temperature_from_sensors(self) -> bool {
        self == Vendor::Cisco
    }
}

/// CPU, memory and temperature as a vendor's MIBs tell them; each None when not told.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Health {
    pub cpu_percent_opt: Option<f64>,
    pub memory_percent_opt: Option<f64>,
    pub temperature_celsius_opt: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Cpu,
    Memory,
    Temperature,
    PoolUsed,
    PoolFree,
}

/// The columns walked for a vendor: encoded OID, what it is, its MIB name.
type Columns = Vec<(Vec<u8>, Column, &'static str)>;

static COLUMNS: LazyLock<[(Vendor, Columns); 3]> = LazyLock::new(|| {
    let of = |entry: &[u32], columns: &[(u32, Column, &'static str)]| -> Columns {
        columns
            .iter()
            .map(|(number, column, name)| {
                (oid::encode(&mib::column(entry, *number)), *column, *name)
            })
            .collect()
    };
    [
        (
            Vendor::Huawei,
            of(
                mib::HW_ENTITY_STATE_ENTRY,
                &[
                    (mib::HW_ENTITY_CPU_USAGE, Column::Cpu, "hwEntityCpuUsage"),
                    (mib::HW_ENTITY_MEM_USAGE, Column::Memory, "hwEntityMemUsage"),
                    (
                        mib::HW_ENTITY_TEMPERATURE,
                        Column::Temperature,
                        "hwEntityTemperature",
                    ),
                ],
            ),
        ),
        (
            Vendor::H3c,
            of(
                mib::HH3C_ENTITY_EXT_STATE_ENTRY,
                &[
                    (
                        mib::HH3C_ENTITY_EXT_CPU_USAGE,
                        Column::Cpu,
                        "hh3cEntityExtCpuUsage",
                    ),
                    (
                        mib::HH3C_ENTITY_EXT_MEM_USAGE,
                        Column::Memory,
                        "hh3cEntityExtMemUsage",
                    ),
                    (
                        mib::HH3C_ENTITY_EXT_TEMPERATURE,
                        Column::Temperature,
                        "hh3cEntityExtTemperature",
                    ),
                ],
            ),
        ),
        (Vendor::Cisco, {
            let mut columns = of(
                mib::CPM_CPU_TOTAL_ENTRY,
                &[(
                    mib::CPM_CPU_TOTAL_1MIN_REV,
                    Column::Cpu,
                    "cpmCPUTotal1minRev",
                )],
            );
            columns.extend(of(
                mib::CISCO_MEMORY_POOL_ENTRY,
                &[
                    (
                        mib::CISCO_MEMORY_POOL_USED,
                        Column::PoolUsed,
                        "ciscoMemoryPoolUsed",
                    ),
                    (
                        mib::CISCO_MEMORY_POOL_FREE,
                        Column::PoolFree,
                        "ciscoMemoryPoolFree",
                    ),
                ],
            ));
            columns
        }),
    ]
});

/// What one row (a board, a CPU, a memory pool) said.
#[derive(Debug, Clone, Copy, Default)]
struct Row {
    cpu_opt: Option<i64>,
    memory_opt: Option<i64>,
    temperature_opt: Option<i64>,
    pool_used: u64,
    pool_free: u64,
}

/// Reads `vendor`'s CPU, memory and temperature columns in one walk.
pub async fn read_health(
    session: &mut Session,
    vendor: Vendor,
    sample: &mut DeviceSample,
) -> Result<Health, SnmpError> {
    let columns = &COLUMNS
        .iter()
        .find(|(of, _)| *of == vendor)
        .expect("every vendor has columns")
        .1;
    let mut rows: BTreeMap<u32, Row> = BTreeMap::new();
    let prefixes: Vec<&[u8]> = columns
        .iter()
        .map(|(prefix, ..)| prefix.as_slice())
        .collect();
    let walked = walk_columns(session, &prefixes, |column_idx, instance, value| {
        let Some(index) = oid::single_index(instance) else {
            return;
        };
        let number = match value {
            Value::Integer(n) => *n,
            Value::Unsigned32(n) => i64::from(*n),
            _ => return,
        };
        let row = rows.entry(index).or_default();
        match columns[column_idx].1 {
            Column::Cpu => row.cpu_opt = Some(number),
            Column::Memory => row.memory_opt = Some(number),
            Column::Temperature => row.temperature_opt = Some(number),
            Column::PoolUsed => row.pool_used = number.max(0) as u64,
            Column::PoolFree => row.pool_free = number.max(0) as u64,
        }
    })
    .await?;
    sample.take(walked, "vendor", |idx| columns[idx].2);
    Ok(health_of(vendor, rows.values()))
}

/// The device's health from its rows (pure).
fn health_of<'a>(vendor: Vendor, rows: impl Iterator<Item = &'a Row> + Clone) -> Health {
    // H3C writes 65535 for a figure a part does not have; no percentage is above 100.
    let percent = |value: Option<i64>| value.filter(|n| (0..=100).contains(n)).map(|n| n as f64);
    let boards = rows.clone().filter(|row| {
        percent(row.cpu_opt).is_some_and(|n| n > 0.0)
            || percent(row.memory_opt).is_some_and(|n| n > 0.0)
    });
    let cpu_percent_opt = boards
        .clone()
        .filter_map(|row| percent(row.cpu_opt))
        .reduce(f64::max);
    let memory_percent_opt = match vendor {
        Vendor::Cisco => {
            let (used, free) = rows.clone().fold((0u64, 0u64), |(used, free), row| {
                (used + row.pool_used, free + row.pool_free)
            });
            (used + free > 0).then(|| used as f64 * 100.0 / (used + free) as f64)
        }
        Vendor::Huawei | Vendor::H3c => boards
            .filter_map(|row| percent(row.memory_opt))
            .reduce(f64::max),
    };
    // A part without a thermometer says 0 (Huawei) or 65535 (H3C).
    let temperature_celsius_opt = rows
        .filter_map(|row| row.temperature_opt)
        .filter(|celsius| (1..200).contains(celsius))
        .map(|celsius| celsius as f64)
        .reduce(f64::max);
    Health {
        cpu_percent_opt,
        memory_percent_opt,
        temperature_celsius_opt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendor_is_the_enterprise_of_the_object_id() {
        assert_eq!(
            Vendor::of("1.3.6.1.4.1.2011.2.23.462"),
            Some(Vendor::Huawei)
        );
        assert_eq!(Vendor::of(".1.3.6.1.4.1.25506.1.2228"), Some(Vendor::H3c));
        assert_eq!(Vendor::of("1.3.6.1.4.1.9.1.2494"), Some(Vendor::Cisco));
        assert_eq!(Vendor::of("1.3.6.1.4.1.8072.3.2.10"), None);
        assert_eq!(Vendor::of("1.3.6.1.4.1.90.1"), None);
        assert_eq!(Vendor::of(""), None);
    }

    fn board(cpu: i64, memory: i64, temperature: i64) -> Row {
        Row {
            cpu_opt: Some(cpu),
            memory_opt: Some(memory),
            temperature_opt: Some(temperature),
            ..Row::default()
        }
    }

    #[test]
    fn boards_give_the_busiest_cpu_the_fullest_memory_and_the_hottest_part() {
        // A chassis, two MPUs and a fan; H3C's 65535 where a part has no figure.
        let rows = [
            board(0, 0, 34),
            board(12, 40, 41),
            board(57, 38, 45),
            board(65535, 65535, 65535),
        ];
        let health = health_of(Vendor::H3c, rows.iter());
        assert_eq!(
            health,
            Health {
                cpu_percent_opt: Some(57.0),
                memory_percent_opt: Some(40.0),
                temperature_celsius_opt: Some(45.0),
            }
        );
    }

    #[test]
    fn cisco_memory_is_the_pools_together() {
        let pool = |used, free| Row {
            pool_used: used,
            pool_free: free,
            ..Row::default()
        };
        let cpu = Row {
            cpu_opt: Some(23),
            ..Row::default()
        };
        let rows = [cpu, pool(300, 700), pool(100, 900)];
        let health = health_of(Vendor::Cisco, rows.iter());
        assert_eq!(health.cpu_percent_opt, Some(23.0));
        assert_eq!(health.memory_percent_opt, Some(20.0));
        assert_eq!(health.temperature_celsius_opt, None);
        assert_eq!(health_of(Vendor::Cisco, [].iter()), Health::default());
    }
}
