//! ENTITY-MIB and ENTITY-SENSOR-MIB: the device's physical parts (chassis, modules, power
//! supplies, fans, sensors) with their models, serial numbers and firmware, and the
//! temperature its Celsius sensors read. The parts are read now and then (they change with a
//! hardware swap or an upgrade), the sensors at every poll of a device that has some.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;
use utoipa::ToSchema;
use yunguan_snmp::snmp2::Value;
use yunguan_snmp::{mib, oid};

use super::poll::{display_string, DeviceSample};
use super::session::Session;
use super::walk::walk_columns;
use super::SnmpError;

/// One row of `entPhysicalTable`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PhysicalEntity {
    /// `entPhysicalIndex`.
    pub index: u32,
    /// `chassis`, `module`, `power_supply`, `fan`, `sensor`, `port`, `stack`, `cpu`,
    /// `container`, `backplane` or `other`.
    pub class: String,
    pub name: String,
    pub description: String,
    pub model: String,
    pub serial_number: String,
    pub hardware_revision: String,
    pub firmware_revision: String,
    pub software_revision: String,
    pub manufacturer: String,
}

impl PhysicalEntity {
    /// The firmware a person means: the software the part runs, else its firmware.
    pub fn firmware(&self) -> &str {
        if self.software_revision.is_empty() {
            &self.firmware_revision
        } else {
            &self.software_revision
        }
    }
}

/// What the device says it is: its (first) chassis's model, serial number and firmware.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Hardware {
    pub model: String,
    pub serial_number: String,
    pub firmware: String,
}

impl Hardware {
    /// The chassis of `entities` with the lowest index (a stack has one per member); None
    /// when the device names no chassis, or one with neither model nor serial number.
    pub fn of(entities: &[PhysicalEntity]) -> Option<Hardware> {
        let chassis = entities
            .iter()
            .filter(|entity| entity.class == "chassis")
            .min_by_key(|entity| entity.index)?;
        let model = if chassis.model.is_empty() {
            chassis.description.clone()
        } else {
            chassis.model.clone()
        };
        if model.is_empty() && chassis.serial_number.is_empty() {
            return None;
        }
        Some(Hardware {
            model,
            serial_number: chassis.serial_number.clone(),
            firmware: chassis.firmware().to_owned(),
        })
    }
}

/// `entPhysicalClass` by name.
fn class_name(class: i64) -> &'static str {
    match class {
        mib::ENT_CLASS_CHASSIS => "chassis",
        mib::ENT_CLASS_MODULE => "module",
        mib::ENT_CLASS_POWER_SUPPLY => "power_supply",
        mib::ENT_CLASS_FAN => "fan",
        mib::ENT_CLASS_SENSOR => "sensor",
        2 => "unknown",
        4 => "backplane",
        5 => "container",
        10 => "port",
        11 => "stack",
        12 => "cpu",
        _ => "other",
    }
}

const PHYSICAL_COLUMNS: [(u32, &str); 9] = [
    (mib::ENT_PHYSICAL_DESCR, "entPhysicalDescr"),
    (mib::ENT_PHYSICAL_CLASS, "entPhysicalClass"),
    (mib::ENT_PHYSICAL_NAME, "entPhysicalName"),
    (mib::ENT_PHYSICAL_HARDWARE_REV, "entPhysicalHardwareRev"),
    (mib::ENT_PHYSICAL_FIRMWARE_REV, "entPhysicalFirmwareRev"),
    (mib::ENT_PHYSICAL_SOFTWARE_REV, "entPhysicalSoftwareRev"),
    (mib::ENT_PHYSICAL_SERIAL_NUM, "entPhysicalSerialNum"),
    (mib::ENT_PHYSICAL_MFG_NAME, "entPhysicalMfgName"),
    (mib::ENT_PHYSICAL_MODEL_NAME, "entPhysicalModelName"),
];

const SENSOR_COLUMNS: [(u32, &str); 5] = [
    (mib::ENT_PHY_SENSOR_TYPE, "entPhySensorType"),
    (mib::ENT_PHY_SENSOR_SCALE, "entPhySensorScale"),
    (mib::ENT_PHY_SENSOR_PRECISION, "entPhySensorPrecision"),
    (mib::ENT_PHY_SENSOR_VALUE, "entPhySensorValue"),
    (mib::ENT_PHY_SENSOR_OPER_STATUS, "entPhySensorOperStatus"),
];

static PHYSICAL_OIDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    PHYSICAL_COLUMNS
        .iter()
        .map(|(column, _)| oid::encode(&mib::column(mib::ENT_PHYSICAL_ENTRY, *column)))
        .collect()
});

static SENSOR_OIDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    SENSOR_COLUMNS
        .iter()
        .map(|(column, _)| oid::encode(&mib::column(mib::ENT_PHY_SENSOR_ENTRY, *column)))
        .collect()
});

/// Reads `entPhysicalTable`; an agent without it answers an empty list.
pub async fn read_physical(
    session: &mut Session,
    sample: &mut DeviceSample,
) -> Result<Vec<PhysicalEntity>, SnmpError> {
    let mut rows: BTreeMap<u32, PhysicalEntity> = BTreeMap::new();
    let columns: Vec<&[u8]> = PHYSICAL_OIDS.iter().map(Vec::as_slice).collect();
    let walked = walk_columns(session, &columns, |column_idx, instance, value| {
        let Some(index) = oid::single_index(instance) else {
            return;
        };
        let row = rows.entry(index).or_insert_with(|| PhysicalEntity {
            index,
            ..PhysicalEntity::default()
        });
        let column = PHYSICAL_COLUMNS[column_idx].0;
        match (column, value) {
            (mib::ENT_PHYSICAL_CLASS, Value::Integer(class)) => {
                row.class = class_name(*class).to_owned();
            }
            (_, Value::OctetString(text)) => {
                let text = display_string(text).trim().to_owned();
                match column {
                    mib::ENT_PHYSICAL_DESCR => row.description = text,
                    mib::ENT_PHYSICAL_NAME => row.name = text,
                    mib::ENT_PHYSICAL_HARDWARE_REV => row.hardware_revision = text,
                    mib::ENT_PHYSICAL_FIRMWARE_REV => row.firmware_revision = text,
                    mib::ENT_PHYSICAL_SOFTWARE_REV => row.software_revision = text,
                    mib::ENT_PHYSICAL_SERIAL_NUM => row.serial_number = text,
                    mib::ENT_PHYSICAL_MFG_NAME => row.manufacturer = text,
                    mib::ENT_PHYSICAL_MODEL_NAME => row.model = text,
                    _ => {}
                }
            }
            _ => {}
        }
    })
    .await?;
    sample.take(walked, "entity", |idx| PHYSICAL_COLUMNS[idx].1);
    Ok(rows
        .into_values()
        .map(|mut row| {
            if row.class.is_empty() {
                row.class = "other".to_owned();
            }
            row
        })
        .collect())
}

/// One sensor's reading as ENTITY-SENSOR-MIB writes it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct SensorReading {
    sensor_type: i64,
    scale: i64,
    precision: i64,
    value: i64,
    status: i64,
}

impl SensorReading {
    /// Degrees Celsius, for a working Celsius sensor: `value × 10^(3·(scale − 9)) /
    /// 10^precision`.
    fn celsius(&self) -> Option<f64> {
        if self.sensor_type != mib::ENT_SENSOR_CELSIUS || self.status != mib::ENT_SENSOR_OK {
            return None;
        }
        let exponent = 3 * (self.scale - mib::ENT_SENSOR_SCALE_UNITS) - self.precision;
        let exponent = i32::try_from(exponent.clamp(-24, 24)).ok()?;
        Some(self.value as f64 * 10f64.powi(exponent))
    }
}

/// The hottest working Celsius sensor of `entPhySensorTable`, if any.
pub async fn read_temperature(
    session: &mut Session,
    sample: &mut DeviceSample,
) -> Result<Option<f64>, SnmpError> {
    let mut sensors: BTreeMap<u32, SensorReading> = BTreeMap::new();
    let columns: Vec<&[u8]> = SENSOR_OIDS.iter().map(Vec::as_slice).collect();
    let walked = walk_columns(session, &columns, |column_idx, instance, value| {
        let (Some(index), Value::Integer(n)) = (oid::single_index(instance), value) else {
            return;
        };
        let sensor = sensors.entry(index).or_default();
        match SENSOR_COLUMNS[column_idx].0 {
            mib::ENT_PHY_SENSOR_TYPE => sensor.sensor_type = *n,
            mib::ENT_PHY_SENSOR_SCALE => sensor.scale = *n,
            mib::ENT_PHY_SENSOR_PRECISION => sensor.precision = *n,
            mib::ENT_PHY_SENSOR_VALUE => sensor.value = *n,
            _ => sensor.status = *n,
        }
    })
    .await?;
    sample.take(walked, "entity_sensor", |idx| SENSOR_COLUMNS[idx].1);
    Ok(sensors
        .values()
        .filter_map(SensorReading::celsius)
        .reduce(f64::max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn celsius_follows_scale_and_precision() {
        let sensor = |scale, precision, value| SensorReading {
            sensor_type: mib::ENT_SENSOR_CELSIUS,
            scale,
            precision,
            value,
            status: mib::ENT_SENSOR_OK,
        };
        assert_eq!(sensor(9, 0, 41).celsius(), Some(41.0));
        assert_eq!(sensor(9, 1, 415).celsius(), Some(41.5));
        // milli(8): 41,000 m°C.
        assert_eq!(sensor(8, 0, 41_000).celsius(), Some(41.0));
        let failed = SensorReading {
            status: 3,
            ..sensor(9, 0, 90)
        };
        assert_eq!(failed.celsius(), None);
        let volts = SensorReading {
            sensor_type: 4,
            ..sensor(9, 0, 12)
        };
        assert_eq!(volts.celsius(), None);
    }

    #[test]
    fn the_hardware_is_the_first_chassis() {
        let part = |index, class: &str, model: &str, serial: &str| PhysicalEntity {
            index,
            class: class.to_owned(),
            model: model.to_owned(),
            serial_number: serial.to_owned(),
            software_revision: "V200R021C00".to_owned(),
            ..PhysicalEntity::default()
        };
        let stack = [
            part(9, "module", "MPU", "M1"),
            part(3, "chassis", "S5735-L48T4X", "2102351931P0"),
            part(4, "chassis", "S5735-L48T4X", "2102351931P1"),
        ];
        assert_eq!(
            Hardware::of(&stack),
            Some(Hardware {
                model: "S5735-L48T4X".to_owned(),
                serial_number: "2102351931P0".to_owned(),
                firmware: "V200R021C00".to_owned(),
            })
        );
        assert_eq!(Hardware::of(&stack[..1]), None);
        assert_eq!(Hardware::of(&[part(1, "chassis", "", "")]), None);
    }
}
