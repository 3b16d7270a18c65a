//! What the monitoring side reads from the CMDB and writes back: the devices to poll with
//! their opened credentials, the data centers, the links between devices (for the topology
//! and root-cause analysis), and the interfaces a poll discovers.
//!
//! Opened credentials stay in `Credentials`' secret wrappers; a device whose credentials do
//! not open (another key) or whose address does not parse is left out with a warning, never
//! failing the others.

use std::collections::BTreeMap;
use std::time::Duration;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::devices::{parse_management_address, SNMP_CREDENTIALS_PURPOSE};
use super::history::{self, Change, ChangeAction, ChangeActor};
use crate::db::entities::{data_center, device, interface, link};
use crate::monitoring::messages::DeviceConfig;
use crate::monitoring::snmp::credentials::Credentials;
use crate::monitoring::topology::DeviceLink;
use crate::secrets::Sealer;

/// Who the poller is in the history.
pub const POLLER: ChangeActor = ChangeActor::System {
    component: "snmp-poller",
};

/// Every device with SNMP credentials, by id, as its device actor is configured.
pub async fn monitored_devices(
    db: &DatabaseConnection,
    sealer: &Sealer,
) -> Result<Vec<DeviceConfig>, DbErr> {
    let devices = device::Entity::find()
        .filter(device::Column::SnmpCredentialsSealed.is_not_null())
        .order_by_asc(device::Column::Id)
        .all(db)
        .await?;
    let mut monitored = Vec::with_capacity(devices.len());
    for found in devices {
        let Some(sealed) = &found.snmp_credentials_sealed else {
            continue;
        };
        let credentials = match sealer.open_json::<Credentials>(SNMP_CREDENTIALS_PURPOSE, sealed) {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!(device_id = found.id, error = %error, "device credentials do not open; not polled");
                continue;
            }
        };
        let management_address = match parse_management_address(&found.management_address) {
            Ok(address) => address,
            Err(problem) => {
                tracing::warn!(device_id = found.id, %problem, "device management address unreadable; not polled");
                continue;
            }
        };
        monitored.push(DeviceConfig {
            id: found.id,
            data_center_id: found.data_center_id,
            name: found.name,
            kind: found.kind,
            tier: found.tier,
            address: management_address,
            credentials,
            poll_interval: Duration::from_secs(
                u64::try_from(found.poll_interval_secs.max(1)).unwrap_or(60),
            ),
        });
    }
    Ok(monitored)
}

/// Every data center's id, ascending.
pub async fn data_center_ids(db: &DatabaseConnection) -> Result<Vec<i64>, DbErr> {
    data_center::Entity::find()
        .select_only()
        .column(data_center::Column::Id)
        .order_by_asc(data_center::Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// Every link, with the devices and `ifIndex`es at its ends, by id.
pub async fn links_between_devices(db: &DatabaseConnection) -> Result<Vec<DeviceLink>, DbErr> {
    let links = link::Entity::find()
        .order_by_asc(link::Column::Id)
        .all(db)
        .await?;
    let interface_ids: Vec<i64> = links
        .iter()
        .flat_map(|found| [found.a_interface_id, found.b_interface_id])
        .collect();
    let interfaces: BTreeMap<i64, interface::Model> = interface::Entity::find()
        .filter(interface::Column::Id.is_in(interface_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found))
        .collect();
    Ok(links
        .into_iter()
        .filter_map(|found| {
            let a = interfaces.get(&found.a_interface_id)?;
            let b = interfaces.get(&found.b_interface_id)?;
            Some(DeviceLink {
                link_id: found.id,
                a_device_id: a.device_id,
                a_if_index: u32::try_from(a.if_index).ok()?,
                b_device_id: b.device_id,
                b_if_index: u32::try_from(b.if_index).ok()?,
                bandwidth_bps: found.bandwidth_bps,
            })
        })
        .collect())
}

/// What [`upsert_interfaces`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InterfaceUpsert {
    pub created: u64,
    pub updated: u64,
}

/// Records the interfaces a poll discovered on a device, as `(if_index, name, speed_bps,
/// description)`: new ones are inserted, changed names, speeds and descriptions updated, in
/// one transaction, with a system change in the history for each (none when nothing
/// changed). Interfaces the poll did not report are kept (links may refer to them).
pub async fn upsert_interfaces(
    db: &DatabaseConnection,
    device_id: i64,
    discovered: &[(i32, String, i64, String)],
) -> Result<InterfaceUpsert, DbErr> {
    let txn = crate::db::begin(db).await?;
    let existing: BTreeMap<i32, interface::Model> = interface::Entity::find()
        .filter(interface::Column::DeviceId.eq(device_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|found| (found.if_index, found))
        .collect();
    let now = chrono::Utc::now();
    let view = |found: &interface::Model| {
        json!({
            "id": found.id, "device_id": found.device_id, "if_index": found.if_index,
            "name": found.name, "speed_bps": found.speed_bps, "description": found.description,
        })
    };
    let mut outcome = InterfaceUpsert::default();
    for (if_index, name, speed_bps, description) in discovered {
        match existing.get(if_index) {
            Some(found)
                if found.name == *name
                    && found.speed_bps == *speed_bps
                    && found.description == *description => {}
            Some(found) => {
                let mut active: interface::ActiveModel = found.clone().into();
                active.name = Set(name.clone());
                active.speed_bps = Set(*speed_bps);
                active.description = Set(description.clone());
                let updated = active.update(&txn).await?;
                history::record(
                    &txn,
                    &POLLER,
                    Change {
                        object_kind: "interface",
                        object_id: updated.id,
                        action: ChangeAction::Update,
                        before_opt: Some(view(found)),
                        after_opt: Some(view(&updated)),
                    },
                    now,
                )
                .await?;
                outcome.updated += 1;
            }
            None => {
                let created = interface::ActiveModel {
                    device_id: Set(device_id),
                    if_index: Set(*if_index),
                    name: Set(name.clone()),
                    speed_bps: Set(*speed_bps),
                    description: Set(description.clone()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                history::record(
                    &txn,
                    &POLLER,
                    Change {
                        object_kind: "interface",
                        object_id: created.id,
                        action: ChangeAction::Create,
                        before_opt: None,
                        after_opt: Some(view(&created)),
                    },
                    now,
                )
                .await?;
                outcome.created += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(outcome)
}
