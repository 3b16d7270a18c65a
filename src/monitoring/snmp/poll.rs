//! One poll of a device: the SNMPv2-MIB system group with a GET, then IF-MIB's `ifTable` and
//! `ifXTable` side by side and HOST-RESOURCES-MIB's processors and storage with GETBULK walks;
//! then, by the `sysObjectID`, the vendor's CPU, memory and temperature ([`vendor`]), and as
//! the [`PollPlan`] asks, ENTITY-MIB's parts and ENTITY-SENSOR-MIB's temperatures
//! ([`entity`]) and LLDP's ports and neighbours ([`lldp`]). The result is a [`DeviceSample`]: raw readings, before any rate is computed.
//!
//! A poll reads as much as the agent lets it. Objects the agent refuses or lacks become
//! [`PollWarning`]s beside what was read; only silence, or a system group with nothing in it,
//! fails the poll. Agents with v1 habits refuse a whole GET with `noSuchName` for one missing
//! object: that object is left out and the rest asked again. Text is read as DisplayStrings
//! are written in practice: trailing NULs (Windows agents end `ifDescr` with one) go, and
//! bytes that are not UTF-8 become U+FFFD, so every backend stores the same name.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;
use utoipa::ToSchema;
use yunguan_actors::counters::CounterWidth;
use yunguan_snmp::snmp2::Value;
use yunguan_snmp::{mib, oid};

use super::entity::{self, PhysicalEntity};
use super::lldp::{self, LldpNeighbor};
use super::session::Session;
use super::vendor::{self, Health, Vendor};
use super::walk::{walk_columns, Walked};
use super::{error_status_name, SnmpError};

/// The system group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SystemInfo {
    pub descr: String,
    pub object_id: String,
    pub name: String,
    pub location: String,
    pub contact: String,
    /// `sysUpTime`, hundredths of a second since the agent started; `None` from agents
    /// without it (their counters still give rates, but a restart shows only as counters
    /// going back).
    pub uptime_ticks_opt: Option<u32>,
}

/// Something a poll could not read; the device is up with the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PollWarning {
    /// `system`, `interfaces`, `host_resources`, `vendor`, `entity`, `entity_sensor` or
    /// `lldp`.
    pub table: String,
    /// The object, by its MIB name (`hrStorageUsed`).
    pub object: String,
    /// `not_present`, or the agent's error status in snake case (`no_access`,
    /// `authorization_error`, `gen_err`, `no_such_name`, ...).
    pub reason: String,
}

impl PollWarning {
    fn new(table: &str, object: &str, reason: &str) -> PollWarning {
        PollWarning {
            table: table.to_owned(),
            object: object.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// A counter as read, with its width (64-bit from `ifXTable` when the agent has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterValue {
    pub value: u64,
    pub width: CounterWidth,
}

/// One interface's row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InterfaceReading {
    pub if_index: u32,
    /// `ifName` when present, else `ifDescr`.
    pub name: String,
    pub descr: String,
    pub alias: String,
    pub if_type: i64,
    pub speed_bps: u64,
    pub admin_up: bool,
    pub oper_up: bool,
    pub in_octets: Option<CounterValue>,
    pub out_octets: Option<CounterValue>,
    pub in_packets: Option<CounterValue>,
    pub out_packets: Option<CounterValue>,
    pub in_errors: Option<CounterValue>,
    pub out_errors: Option<CounterValue>,
}

/// One `hrStorageEntry`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageReading {
    pub index: u32,
    pub descr: String,
    /// RAM rather than disk.
    pub is_memory: bool,
    pub is_disk: bool,
    pub size_bytes: u64,
    pub used_bytes: u64,
}

/// Everything one poll read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceSample {
    pub system: SystemInfo,
    pub interfaces: Vec<InterfaceReading>,
    /// `hrProcessorLoad` of each processor, percent.
    pub processor_loads: Vec<u8>,
    pub storages: Vec<StorageReading>,
    /// What the vendor's MIBs and the sensors tell (default: nothing).
    pub health: Health,
    /// The physical parts, when the plan asked for them.
    pub entities_opt: Option<Vec<PhysicalEntity>>,
    /// LLDP's ports (number to name), read with the parts.
    pub lldp_ports_opt: Option<BTreeMap<u32, String>>,
    /// The neighbours LLDP hears, when the plan asked for them.
    pub neighbors_opt: Option<Vec<LldpNeighbor>>,
    /// Varbinds received, for throughput figures.
    pub varbinds: u64,
    /// What the agent refused or lacked.
    pub warnings: Vec<PollWarning>,
}

impl DeviceSample {
    /// Whether the agent refused or lacked `object`.
    pub fn lacks(&self, object: &str) -> bool {
        self.warnings.iter().any(|warning| warning.object == object)
    }

    /// Counts a walk's varbinds and warns of the columns it was refused.
    pub(super) fn take(
        &mut self,
        walked: Walked,
        table: &str,
        name: impl Fn(usize) -> &'static str,
    ) {
        self.varbinds += walked.varbinds;
        for (column_idx, status) in walked.refused {
            let warning = PollWarning::new(table, name(column_idx), error_status_name(status));
            self.warnings.push(warning);
        }
    }
}

struct PollOids {
    /// In [`SYSTEM_OBJECTS`] order.
    system: Vec<Vec<u8>>,
    interface_columns: Vec<(Vec<u8>, InterfaceColumn)>,
    host_columns: Vec<(Vec<u8>, HostColumn)>,
    ram_type: Vec<u8>,
    disk_type: Vec<u8>,
}

/// The system group's objects, as asked for.
const SYSTEM_OBJECTS: [&str; 6] = [
    "sysDescr",
    "sysObjectID",
    "sysUpTime",
    "sysContact",
    "sysName",
    "sysLocation",
];

#[derive(Debug, Clone, Copy)]
enum InterfaceColumn {
    Descr,
    Type,
    Speed,
    AdminStatus,
    OperStatus,
    InOctets,
    InPackets,
    InErrors,
    OutOctets,
    OutPackets,
    OutErrors,
    Name,
    HcInOctets,
    HcInPackets,
    HcOutOctets,
    HcOutPackets,
    HighSpeed,
    Alias,
}

#[derive(Debug, Clone, Copy)]
enum HostColumn {
    ProcessorLoad,
    StorageType,
    StorageDescr,
    StorageUnits,
    StorageSize,
    StorageUsed,
}

impl InterfaceColumn {
    fn name(self) -> &'static str {
        use InterfaceColumn as I;
        match self {
            I::Descr => "ifDescr",
            I::Type => "ifType",
            I::Speed => "ifSpeed",
            I::AdminStatus => "ifAdminStatus",
            I::OperStatus => "ifOperStatus",
            I::InOctets => "ifInOctets",
            I::InPackets => "ifInUcastPkts",
            I::InErrors => "ifInErrors",
            I::OutOctets => "ifOutOctets",
            I::OutPackets => "ifOutUcastPkts",
            I::OutErrors => "ifOutErrors",
            I::Name => "ifName",
            I::HcInOctets => "ifHCInOctets",
            I::HcInPackets => "ifHCInUcastPkts",
            I::HcOutOctets => "ifHCOutOctets",
            I::HcOutPackets => "ifHCOutUcastPkts",
            I::HighSpeed => "ifHighSpeed",
            I::Alias => "ifAlias",
        }
    }
}

impl HostColumn {
    fn name(self) -> &'static str {
        match self {
            HostColumn::ProcessorLoad => "hrProcessorLoad",
            HostColumn::StorageType => "hrStorageType",
            HostColumn::StorageDescr => "hrStorageDescr",
            HostColumn::StorageUnits => "hrStorageAllocationUnits",
            HostColumn::StorageSize => "hrStorageSize",
            HostColumn::StorageUsed => "hrStorageUsed",
        }
    }
}

static OIDS: LazyLock<PollOids> = LazyLock::new(|| {
    use InterfaceColumn as I;
    let if_column = |column| oid::encode(&mib::column(mib::IF_ENTRY, column));
    let if_x_column = |column| oid::encode(&mib::column(mib::IF_X_ENTRY, column));
    let storage_column = |column| oid::encode(&mib::column(mib::HR_STORAGE_ENTRY, column));
    PollOids {
        system: [
            mib::SYS_DESCR,
            mib::SYS_OBJECT_ID,
            mib::SYS_UP_TIME,
            mib::SYS_CONTACT,
            mib::SYS_NAME,
            mib::SYS_LOCATION,
        ]
        .iter()
        .map(|arcs| oid::encode(arcs))
        .collect(),
        interface_columns: vec![
            (if_column(mib::IF_DESCR), I::Descr),
            (if_column(mib::IF_TYPE), I::Type),
            (if_column(mib::IF_SPEED), I::Speed),
            (if_column(mib::IF_ADMIN_STATUS), I::AdminStatus),
            (if_column(mib::IF_OPER_STATUS), I::OperStatus),
            (if_column(mib::IF_IN_OCTETS), I::InOctets),
            (if_column(mib::IF_IN_UCAST_PKTS), I::InPackets),
            (if_column(mib::IF_IN_ERRORS), I::InErrors),
            (if_column(mib::IF_OUT_OCTETS), I::OutOctets),
            (if_column(mib::IF_OUT_UCAST_PKTS), I::OutPackets),
            (if_column(mib::IF_OUT_ERRORS), I::OutErrors),
            (if_x_column(mib::IF_NAME), I::Name),
            (if_x_column(mib::IF_HC_IN_OCTETS), I::HcInOctets),
            (if_x_column(mib::IF_HC_IN_UCAST_PKTS), I::HcInPackets),
            (if_x_column(mib::IF_HC_OUT_OCTETS), I::HcOutOctets),
            (if_x_column(mib::IF_HC_OUT_UCAST_PKTS), I::HcOutPackets),
            (if_x_column(mib::IF_HIGH_SPEED), I::HighSpeed),
            (if_x_column(mib::IF_ALIAS), I::Alias),
        ],
        host_columns: vec![
            (
                oid::encode(mib::HR_PROCESSOR_LOAD),
                HostColumn::ProcessorLoad,
            ),
            (
                storage_column(mib::HR_STORAGE_TYPE),
                HostColumn::StorageType,
            ),
            (
                storage_column(mib::HR_STORAGE_DESCR),
                HostColumn::StorageDescr,
            ),
            (
                storage_column(mib::HR_STORAGE_ALLOCATION_UNITS),
                HostColumn::StorageUnits,
            ),
            (
                storage_column(mib::HR_STORAGE_SIZE),
                HostColumn::StorageSize,
            ),
            (
                storage_column(mib::HR_STORAGE_USED),
                HostColumn::StorageUsed,
            ),
        ],
        ram_type: oid::encode(mib::HR_STORAGE_RAM),
        disk_type: oid::encode(mib::HR_STORAGE_FIXED_DISK),
    }
});

/// What a poll reads besides the system group, interfaces, host resources and the vendor's
/// MIBs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollPlan {
    /// ENTITY-MIB's parts: now and then, since they change only with the hardware.
    pub inventory: bool,
    /// ENTITY-SENSOR-MIB's temperatures: on devices whose parts include sensors.
    pub sensors: bool,
    /// LLDP's neighbours: on devices that run LLDP (their LLDP ports are read with the
    /// parts, and so at the first poll).
    pub lldp: bool,
}

/// Polls one device.
pub async fn poll_device(session: &mut Session, plan: PollPlan) -> Result<DeviceSample, SnmpError> {
    let oids = &*OIDS;
    let mut sample = DeviceSample::default();
    sample.system = read_system(session, &mut sample).await?;

    let mut rows: BTreeMap<u32, InterfaceReading> = BTreeMap::new();
    let interface_oids: Vec<&[u8]> = oids
        .interface_columns
        .iter()
        .map(|c| c.0.as_slice())
        .collect();
    let walked = walk_columns(session, &interface_oids, |column_idx, instance, value| {
        let Some(if_index) = oid::single_index(instance) else {
            return;
        };
        let row = rows.entry(if_index).or_insert_with(|| InterfaceReading {
            if_index,
            ..InterfaceReading::default()
        });
        read_interface_cell(row, oids.interface_columns[column_idx].1, value);
    })
    .await?;
    sample.take(walked, "interfaces", |idx| {
        oids.interface_columns[idx].1.name()
    });
    sample.interfaces = rows
        .into_values()
        .map(|mut row| {
            if row.name.is_empty() {
                row.name = row.descr.clone();
            }
            row
        })
        .collect();

    let mut loads: BTreeMap<u32, u8> = BTreeMap::new();
    let mut storages: BTreeMap<u32, (StorageReading, u64, u64, u64)> = BTreeMap::new();
    let host_oids: Vec<&[u8]> = oids.host_columns.iter().map(|c| c.0.as_slice()).collect();
    let walked = walk_columns(session, &host_oids, |column_idx, instance, value| {
        let Some(index) = oid::single_index(instance) else {
            return;
        };
        let column = oids.host_columns[column_idx].1;
        if let HostColumn::ProcessorLoad = column {
            if let Value::Integer(load) = value {
                loads.insert(index, (*load).clamp(0, 100) as u8);
            }
            return;
        }
        let (storage, units, size, used) = storages.entry(index).or_insert_with(|| {
            let reading = StorageReading {
                index,
                ..StorageReading::default()
            };
            (reading, 0, 0, 0)
        });
        match (column, value) {
            (HostColumn::StorageType, Value::ObjectIdentifier(kind)) => {
                storage.is_memory = kind.as_bytes() == oids.ram_type.as_slice();
                storage.is_disk = kind.as_bytes() == oids.disk_type.as_slice();
            }
            (HostColumn::StorageDescr, Value::OctetString(text)) => {
                storage.descr = display_string(text)
            }
            (HostColumn::StorageUnits, Value::Integer(n)) => *units = (*n).max(0) as u64,
            (HostColumn::StorageSize, Value::Integer(n)) => *size = (*n).max(0) as u64,
            (HostColumn::StorageUsed, Value::Integer(n)) => *used = (*n).max(0) as u64,
            _ => {}
        }
    })
    .await?;
    sample.take(walked, "host_resources", |idx| {
        oids.host_columns[idx].1.name()
    });
    sample.processor_loads = loads.into_values().collect();
    sample.storages = storages
        .into_values()
        .map(|(mut storage, units, size, used)| {
            storage.size_bytes = size.saturating_mul(units);
            storage.used_bytes = used.saturating_mul(units);
            storage
        })
        .collect();

    let vendor_opt = Vendor::of(&sample.system.object_id);
    if let Some(vendor) = vendor_opt {
        let health = vendor::read_health(session, vendor, &mut sample).await?;
        sample.health = health;
    }
    if plan.inventory {
        let entities = entity::read_physical(session, &mut sample).await?;
        sample.entities_opt = Some(entities);
        let ports = lldp::read_local_ports(session, &mut sample).await?;
        sample.lldp_ports_opt = Some(ports);
    }
    let runs_lldp = plan.lldp
        || sample
            .lldp_ports_opt
            .as_ref()
            .is_some_and(|ports| !ports.is_empty());
    if runs_lldp {
        let neighbors = lldp::read_neighbors(session, &mut sample).await?;
        sample.neighbors_opt = Some(neighbors);
    }
    let has_sensors = plan.sensors
        || vendor_opt.is_some_and(Vendor::temperature_from_sensors)
        || sample
            .entities_opt
            .as_ref()
            .is_some_and(|parts| parts.iter().any(|part| part.class == "sensor"));
    if has_sensors && sample.health.temperature_celsius_opt.is_none() {
        sample.health.temperature_celsius_opt =
            entity::read_temperature(session, &mut sample).await?;
    }
    Ok(sample)
}

/// The system group. An agent with v1 habits answers a GET of an object it lacks with
/// `noSuchName` and that object's position, refusing the rest too: the object is left out
/// and the others asked again.
async fn read_system(
    session: &mut Session,
    sample: &mut DeviceSample,
) -> Result<SystemInfo, SnmpError> {
    let oids = &*OIDS;
    let mut asked: Vec<usize> = (0..SYSTEM_OBJECTS.len()).collect();
    let mut refused: Vec<(usize, u32)> = Vec::new();
    loop {
        let asked_oids: Vec<&[u8]> = asked
            .iter()
            .map(|idx| oids.system[*idx].as_slice())
            .collect();
        let answer = session
            .get(&asked_oids, |pdu| {
                let mut system = SystemInfo::default();
                let mut answered = Vec::new();
                for (position, (_, value)) in pdu.varbinds.clone().enumerate() {
                    let Some(idx) = asked.get(position) else {
                        break;
                    };
                    let read = match (*idx, value) {
                        (0, Value::OctetString(text)) => {
                            system.descr = display_string(text);
                            true
                        }
                        (1, Value::ObjectIdentifier(id)) => {
                            system.object_id = id.to_id_string();
                            true
                        }
                        (2, Value::Timeticks(ticks)) => {
                            system.uptime_ticks_opt = Some(ticks);
                            true
                        }
                        (3, Value::OctetString(text)) => {
                            system.contact = display_string(text);
                            true
                        }
                        (4, Value::OctetString(text)) => {
                            system.name = display_string(text);
                            true
                        }
                        (5, Value::OctetString(text)) => {
                            system.location = display_string(text);
                            true
                        }
                        _ => false,
                    };
                    if read {
                        answered.push(*idx);
                    }
                }
                (system, answered)
            })
            .await;
        match answer {
            Ok((system, answered)) => {
                sample.varbinds += asked.len() as u64;
                if answered.is_empty() {
                    return Err(SnmpError::NoSystemGroup);
                }
                for (idx, object) in SYSTEM_OBJECTS.iter().enumerate() {
                    if answered.contains(&idx) {
                        continue;
                    }
                    let reason = refused
                        .iter()
                        .find(|(refused_idx, _)| *refused_idx == idx)
                        .map_or("not_present", |(_, status)| error_status_name(*status));
                    sample
                        .warnings
                        .push(PollWarning::new("system", object, reason));
                }
                return Ok(system);
            }
            Err(SnmpError::Agent { status, index })
                if index >= 1 && (index as usize) <= asked.len() && asked.len() > 1 =>
            {
                refused.push((asked.remove(index as usize - 1), status));
            }
            Err(SnmpError::Agent { .. }) => return Err(SnmpError::NoSystemGroup),
            Err(error) => return Err(error),
        }
    }
}

fn read_interface_cell(row: &mut InterfaceReading, column: InterfaceColumn, value: &Value<'_>) {
    use InterfaceColumn as I;
    let counter32 = |value: &Value<'_>| match value {
        Value::Counter32(n) => Some(CounterValue {
            value: u64::from(*n),
            width: CounterWidth::Bits32,
        }),
        _ => None,
    };
    // A 64-bit counter replaces the 32-bit one of the same row, whichever came first.
    let counter64 = |value: &Value<'_>, slot: &mut Option<CounterValue>| {
        if let Value::Counter64(n) = value {
            *slot = Some(CounterValue {
                value: *n,
                width: CounterWidth::Bits64,
            });
        }
    };
    let keep_wider = |slot: &mut Option<CounterValue>, new: Option<CounterValue>| {
        if !matches!(
            slot,
            Some(CounterValue {
                width: CounterWidth::Bits64,
                ..
            })
        ) {
            if let Some(new) = new {
                *slot = Some(new);
            }
        }
    };
    match (column, value) {
        (I::Descr, Value::OctetString(text)) => row.descr = display_string(text),
        (I::Name, Value::OctetString(text)) => row.name = display_string(text),
        (I::Alias, Value::OctetString(text)) => row.alias = display_string(text),
        (I::Type, Value::Integer(n)) => row.if_type = *n,
        (I::Speed, Value::Unsigned32(n)) if row.speed_bps == 0 => row.speed_bps = u64::from(*n),
        // ifHighSpeed (Mb/s) wins over ifSpeed, which saturates at 4.29 Gb/s.
        (I::HighSpeed, Value::Unsigned32(n)) if *n > 0 => row.speed_bps = u64::from(*n) * 1_000_000,
        (I::AdminStatus, Value::Integer(n)) => row.admin_up = *n == mib::IF_STATUS_UP,
        (I::OperStatus, Value::Integer(n)) => row.oper_up = *n == mib::IF_STATUS_UP,
        (I::InOctets, value) => keep_wider(&mut row.in_octets, counter32(value)),
        (I::OutOctets, value) => keep_wider(&mut row.out_octets, counter32(value)),
        (I::InPackets, value) => keep_wider(&mut row.in_packets, counter32(value)),
        (I::OutPackets, value) => keep_wider(&mut row.out_packets, counter32(value)),
        (I::InErrors, value) => row.in_errors = counter32(value),
        (I::OutErrors, value) => row.out_errors = counter32(value),
        (I::HcInOctets, value) => counter64(value, &mut row.in_octets),
        (I::HcOutOctets, value) => counter64(value, &mut row.out_octets),
        (I::HcInPackets, value) => counter64(value, &mut row.in_packets),
        (I::HcOutPackets, value) => counter64(value, &mut row.out_packets),
        _ => {}
    }
}

/// A DisplayString as agents write it: without trailing NULs, with U+FFFD for bytes that are
/// not UTF-8 and for NULs inside (PostgreSQL refuses those in text; SQLite would keep them).
pub fn display_string(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .rposition(|byte| *byte != 0)
        .map_or(0, |last| last + 1);
    String::from_utf8_lossy(&bytes[..end]).replace('\0', "\u{FFFD}")
}
