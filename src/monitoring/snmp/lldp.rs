//! LLDP-MIB: the device's ports as LLDP numbers them (`lldpLocPortTable`, read with its
//! parts, now and then), and what each port hears from the device at its other end
//! (`lldpRemTable`, read at every poll of a device that runs LLDP).

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

/// One neighbour a port hears.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct LldpNeighbor {
    /// `lldpRemLocalPortNum`: the local port, as LLDP numbers it.
    pub local_port: u32,
    /// The neighbour's `sysName`.
    pub system_name: String,
    /// Its chassis id: a MAC address as `aa:bb:cc:dd:ee:ff`, else as sent.
    pub chassis_id: String,
    /// Its port: a name (`GigabitEthernet0/0/1`), a MAC address, or a local number, as the
    /// neighbour sends it.
    pub port_id: String,
    pub port_description: String,
}

const REMOTE_COLUMNS: [(u32, &str); 6] = [
    (mib::LLDP_REM_CHASSIS_ID_SUBTYPE, "lldpRemChassisIdSubtype"),
    (mib::LLDP_REM_CHASSIS_ID, "lldpRemChassisId"),
    (mib::LLDP_REM_PORT_ID_SUBTYPE, "lldpRemPortIdSubtype"),
    (mib::LLDP_REM_PORT_ID, "lldpRemPortId"),
    (mib::LLDP_REM_PORT_DESC, "lldpRemPortDesc"),
    (mib::LLDP_REM_SYS_NAME, "lldpRemSysName"),
];

const LOCAL_COLUMNS: [(u32, &str); 2] = [
    (mib::LLDP_LOC_PORT_ID_SUBTYPE, "lldpLocPortIdSubtype"),
    (mib::LLDP_LOC_PORT_ID, "lldpLocPortId"),
];

static REMOTE_OIDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    REMOTE_COLUMNS
        .iter()
        .map(|(column, _)| oid::encode(&mib::column(mib::LLDP_REM_ENTRY, *column)))
        .collect()
});

static LOCAL_OIDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    LOCAL_COLUMNS
        .iter()
        .map(|(column, _)| oid::encode(&mib::column(mib::LLDP_LOC_PORT_ENTRY, *column)))
        .collect()
});

/// An id as LLDP sends it: a MAC address (by its subtype) as hex pairs, else text.
fn id_text(subtype: i64, mac_subtype: i64, bytes: &[u8]) -> String {
    if subtype == mac_subtype && bytes.len() == 6 {
        bytes
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    } else {
        display_string(bytes).trim().to_owned()
    }
}

/// One `lldpRemEntry` as read: its ids come with their subtypes, which say how to show them.
#[derive(Default)]
struct RemoteRow {
    neighbor: LldpNeighbor,
    chassis_subtype: i64,
    chassis: Vec<u8>,
    port_subtype: i64,
    port: Vec<u8>,
}

/// The neighbours the device's ports hear; empty from an agent without LLDP-MIB.
pub async fn read_neighbors(
    session: &mut Session,
    sample: &mut DeviceSample,
) -> Result<Vec<LldpNeighbor>, SnmpError> {
    // By (local port, remote index); the time mark is left out.
    let mut rows: BTreeMap<(u32, u32), RemoteRow> = BTreeMap::new();
    let columns: Vec<&[u8]> = REMOTE_OIDS.iter().map(Vec::as_slice).collect();
    let walked = walk_columns(session, &columns, |column_idx, instance, value| {
        let Some(arcs) = oid::decode_arcs(instance) else {
            return;
        };
        let &[_time_mark, local_port, remote_index] = arcs.as_slice() else {
            return;
        };
        let row = rows
            .entry((local_port, remote_index))
            .or_insert_with(|| RemoteRow {
                neighbor: LldpNeighbor {
                    local_port,
                    ..LldpNeighbor::default()
                },
                ..RemoteRow::default()
            });
        match (REMOTE_COLUMNS[column_idx].0, value) {
            (mib::LLDP_REM_CHASSIS_ID_SUBTYPE, Value::Integer(n)) => row.chassis_subtype = *n,
            (mib::LLDP_REM_CHASSIS_ID, Value::OctetString(bytes)) => row.chassis = bytes.to_vec(),
            (mib::LLDP_REM_PORT_ID_SUBTYPE, Value::Integer(n)) => row.port_subtype = *n,
            (mib::LLDP_REM_PORT_ID, Value::OctetString(bytes)) => row.port = bytes.to_vec(),
            (mib::LLDP_REM_PORT_DESC, Value::OctetString(bytes)) => {
                row.neighbor.port_description = display_string(bytes).trim().to_owned();
            }
            (mib::LLDP_REM_SYS_NAME, Value::OctetString(bytes)) => {
                row.neighbor.system_name = display_string(bytes).trim().to_owned();
            }
            _ => {}
        }
    })
    .await?;
    sample.take(walked, "lldp", |idx| REMOTE_COLUMNS[idx].1);
    Ok(rows
        .into_values()
        .map(|row| LldpNeighbor {
            chassis_id: id_text(row.chassis_subtype, mib::LLDP_CHASSIS_MAC, &row.chassis),
            port_id: id_text(row.port_subtype, mib::LLDP_PORT_MAC, &row.port),
            ..row.neighbor
        })
        .collect())
}

/// The device's LLDP ports: `lldpLocPortNum` to the port's name, where the agent names it
/// (subtype interfaceName, or local as many agents use it); empty from an agent without
/// LLDP-MIB, which is then not asked for neighbours.
pub async fn read_local_ports(
    session: &mut Session,
    sample: &mut DeviceSample,
) -> Result<BTreeMap<u32, String>, SnmpError> {
    let mut ports: BTreeMap<u32, (i64, String)> = BTreeMap::new();
    let columns: Vec<&[u8]> = LOCAL_OIDS.iter().map(Vec::as_slice).collect();
    let walked = walk_columns(session, &columns, |column_idx, instance, value| {
        let Some(port_num) = oid::single_index(instance) else {
            return;
        };
        let port = ports.entry(port_num).or_default();
        match (LOCAL_COLUMNS[column_idx].0, value) {
            (mib::LLDP_LOC_PORT_ID_SUBTYPE, Value::Integer(n)) => port.0 = *n,
            (mib::LLDP_LOC_PORT_ID, Value::OctetString(bytes)) => {
                port.1 = display_string(bytes).trim().to_owned();
            }
            _ => {}
        }
    })
    .await?;
    sample.take(walked, "lldp", |idx| LOCAL_COLUMNS[idx].1);
    Ok(ports
        .into_iter()
        .map(|(port_num, (subtype, id))| {
            let named = matches!(
                subtype,
                mib::LLDP_PORT_INTERFACE_NAME | mib::LLDP_PORT_LOCAL
            );
            (port_num, if named { id } else { String::new() })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_macs_by_their_subtype_else_text() {
        let mac = [0x00, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f];
        assert_eq!(id_text(4, mib::LLDP_CHASSIS_MAC, &mac), "00:1b:2c:3d:4e:5f");
        assert_eq!(id_text(5, mib::LLDP_PORT_MAC, b"Gi0/0/1\0"), "Gi0/0/1");
        // A MAC subtype with a body of another length is shown as sent.
        assert_eq!(id_text(4, mib::LLDP_CHASSIS_MAC, b"sw-1"), "sw-1");
    }
}
