//! A simulated device's LLDP-MIB: its chassis id and ports (`lldpLocPortTable`, ports
//! numbered as their `ifIndex`, named by `ifName`) and what each port hears
//! (`lldpRemTable`: the neighbour's chassis id, port name and description, and `sysName`).
//! Built when the fleet is told the device's neighbours; a device never told runs no LLDP.

use yunguan_snmp::ber::Value;
use yunguan_snmp::{mib, oid};

use super::device::SimDevice;

/// One object of the device's LLDP-MIB.
#[derive(Debug, Clone)]
enum Object {
    Integer(i64),
    Text(Vec<u8>),
}

/// The device's LLDP objects, in OID order.
#[derive(Debug, Clone, Default)]
pub struct LldpRows(Vec<(Vec<u8>, Object)>);

/// A neighbour of a port: (local `ifIndex`, the device at the other end, its `ifIndex`).
pub type Neighbor<'d> = (u32, &'d SimDevice, u32);

/// The chassis id of device `idx`: a locally administered MAC address.
pub fn chassis_mac(idx: usize) -> [u8; 6] {
    let idx = idx as u32;
    let [b0, b1, b2, b3] = idx.to_be_bytes();
    [0x02, 0x00, b0, b1, b2, b3]
}

impl LldpRows {
    /// `device` (fleet index `idx`) hearing `neighbors`, each given with its fleet index.
    pub fn build(device: &SimDevice, idx: usize, neighbors: &[(Neighbor<'_>, usize)]) -> LldpRows {
        let mut rows = Vec::new();
        let scalar = |arcs: &[u32]| oid::encode(arcs);
        let mut chassis_subtype = mib::LLDP_LOC_CHASSIS_ID.to_vec();
        let last = chassis_subtype.len() - 2;
        chassis_subtype[last] = 1;
        rows.push((
            scalar(&chassis_subtype),
            Object::Integer(mib::LLDP_CHASSIS_MAC),
        ));
        rows.push((
            scalar(mib::LLDP_LOC_CHASSIS_ID),
            Object::Text(chassis_mac(idx).to_vec()),
        ));
        let local_column = |column| oid::encode(&mib::column(mib::LLDP_LOC_PORT_ENTRY, column));
        for (port_idx, spec) in device.profile.interfaces.iter().enumerate() {
            let port = port_idx as u32 + 1;
            for (column, object) in [
                (
                    mib::LLDP_LOC_PORT_ID_SUBTYPE,
                    Object::Integer(mib::LLDP_PORT_INTERFACE_NAME),
                ),
                (
                    mib::LLDP_LOC_PORT_ID,
                    Object::Text(spec.name.clone().into_bytes()),
                ),
                (
                    mib::LLDP_LOC_PORT_DESC,
                    Object::Text(spec.descr.clone().into_bytes()),
                ),
            ] {
                rows.push((oid::child(&local_column(column), port), object));
            }
        }
        let remote_column = |column| oid::encode(&mib::column(mib::LLDP_REM_ENTRY, column));
        let mut remote_index_of_port = std::collections::BTreeMap::<u32, u32>::new();
        for ((local_if_index, remote, remote_if_index), remote_idx) in neighbors {
            let remote_index = remote_index_of_port.entry(*local_if_index).or_insert(0);
            *remote_index += 1;
            let Some(remote_spec) = remote
                .profile
                .interfaces
                .get((*remote_if_index as usize).wrapping_sub(1))
            else {
                continue;
            };
            for (column, object) in [
                (
                    mib::LLDP_REM_CHASSIS_ID_SUBTYPE,
                    Object::Integer(mib::LLDP_CHASSIS_MAC),
                ),
                (
                    mib::LLDP_REM_CHASSIS_ID,
                    Object::Text(chassis_mac(*remote_idx).to_vec()),
                ),
                (
                    mib::LLDP_REM_PORT_ID_SUBTYPE,
                    Object::Integer(mib::LLDP_PORT_INTERFACE_NAME),
                ),
                (
                    mib::LLDP_REM_PORT_ID,
                    Object::Text(remote_spec.name.clone().into_bytes()),
                ),
                (
                    mib::LLDP_REM_PORT_DESC,
                    Object::Text(remote_spec.descr.clone().into_bytes()),
                ),
                (
                    mib::LLDP_REM_SYS_NAME,
                    Object::Text(remote.name.clone().into_bytes()),
                ),
            ] {
                // Indexed by time mark (0), local port and the neighbour's index there.
                let mut name = oid::child(&remote_column(column), 0);
                name = oid::child(&name, *local_if_index);
                name = oid::child(&name, *remote_index);
                rows.push((name, object));
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        LldpRows(rows)
    }

    fn value(object: &Object) -> Value<'_> {
        match object {
            Object::Integer(n) => Value::Integer(*n),
            Object::Text(bytes) => Value::OctetString(bytes),
        }
    }

    /// The object at exactly `name`.
    pub fn exact(&self, name: &[u8]) -> Option<(&[u8], Value<'_>)> {
        let idx = self
            .0
            .binary_search_by(|(entry, _)| entry.as_slice().cmp(name))
            .ok()?;
        let (entry, object) = &self.0[idx];
        Some((entry, LldpRows::value(object)))
    }

    /// The first object after `name`.
    pub fn next_after(&self, name: &[u8]) -> Option<(&[u8], Value<'_>)> {
        let idx = self
            .0
            .partition_point(|(entry, _)| entry.as_slice() <= name);
        self.0
            .get(idx)
            .map(|(entry, object)| (entry.as_slice(), LldpRows::value(object)))
    }
}
