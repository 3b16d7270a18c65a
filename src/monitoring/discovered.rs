//! What polls find that the CMDB keeps: a device's interfaces and what its chassis says it is
//! (model, serial number, firmware), written in order by one writer task, each change with a
//! system entry in the history (these writes announce nothing: monitoring reads neither);
//! and the neighbours LLDP hears, matched to the inventory's links (`link_proposals`).

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde_json::json;
use tokio::sync::mpsc;

use super::device::state::Neighbor;
use super::link_proposals;
use super::messages::DiscoveredInterface;
use super::snmp::entity::Hardware;
use crate::db::entities::{device, interface};
use crate::hub::Hub;
use crate::inventory::history::{self, Change, ChangeAction, ChangeActor};
use crate::secrets::Sealer;

/// Who the poller is in the history.
pub const POLLER: ChangeActor = ChangeActor::System {
    component: "snmp-poller",
};

/// What [`upsert_interfaces`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InterfaceUpsert {
    pub created: u64,
    pub updated: u64,
}

/// What a poll found that the CMDB should know.
#[derive(Debug)]
pub enum Discovery {
    /// The device's interfaces, when they changed.
    Interfaces(Vec<DiscoveredInterface>),
    /// What the device's chassis says it is.
    Hardware(Hardware),
    /// The neighbours its LLDP hears, when they changed.
    Neighbors(Vec<Neighbor>),
}

/// Records what polls discover, in order, as long as monitoring runs: the writer that keeps
/// the CMDB current, as `rollups` keeps the metrics.
pub fn start_writer(
    db: DatabaseConnection,
    sealer: Sealer,
    hub: Hub,
) -> mpsc::UnboundedSender<(i64, Discovery)> {
    let (discovered_tx, mut discovered_rx) = mpsc::unbounded_channel::<(i64, Discovery)>();
    tokio::spawn(async move {
        let mut lldp = Lldp {
            db: &db,
            sealer: &sealer,
            hub: &hub,
            unmatched: HashMap::new(),
        };
        while let Some((device_id, discovery)) = discovered_rx.recv().await {
            let written = match &discovery {
                Discovery::Interfaces(interfaces) => {
                    match upsert_interfaces(&db, device_id, interfaces).await {
                        Ok(_) => lldp.interfaces_known(device_id).await,
                        Err(error) => Err(error),
                    }
                }
                Discovery::Hardware(hardware) => {
                    record_hardware(&db, device_id, hardware).await.map(|_| ())
                }
                Discovery::Neighbors(neighbors) => lldp.heard(device_id, neighbors.clone()).await,
            };
            if let Err(error) = written {
                tracing::warn!(device_id, %error, ?discovery, "cannot record what a poll found");
            }
        }
    });
    discovered_tx
}

/// What LLDP hears, matched to the inventory as the writer goes.
struct Lldp<'a> {
    db: &'a DatabaseConnection,
    sealer: &'a Sealer,
    hub: &'a Hub,
    /// Devices some of whose neighbours matched nothing of the inventory, with what they
    /// hear: matched again when a device of such a name has its interfaces written (it is
    /// often polled after its neighbours).
    unmatched: HashMap<i64, Vec<Neighbor>>,
}

impl Lldp<'_> {
    async fn heard(&mut self, device_id: i64, neighbors: Vec<Neighbor>) -> Result<(), DbErr> {
        let now = chrono::Utc::now();
        let reconciled =
            link_proposals::reconcile(self.db, self.sealer, self.hub, device_id, &neighbors, now)
                .await
                .map_err(|error| DbErr::Custom(error.to_string()))?;
        tracing::debug!(device_id, ?reconciled, "LLDP reconciled");
        if reconciled.unmatched > 0 {
            self.unmatched.insert(device_id, neighbors);
        } else {
            self.unmatched.remove(&device_id);
        }
        Ok(())
    }

    /// `device_id`'s interfaces are written: its neighbours' unmatched ports may match now.
    async fn interfaces_known(&mut self, device_id: i64) -> Result<(), DbErr> {
        if self.unmatched.is_empty() {
            return Ok(());
        }
        let Some(found) = device::Entity::find_by_id(device_id).one(self.db).await? else {
            return Ok(());
        };
        let waiting: Vec<(i64, Vec<Neighbor>)> = self
            .unmatched
            .iter()
            .filter(|(_, heard)| heard.iter().any(|n| n.system_name == found.name))
            .map(|(id, heard)| (*id, heard.clone()))
            .collect();
        for (neighbor_id, heard) in waiting {
            self.heard(neighbor_id, heard).await?;
        }
        Ok(())
    }
}

/// Keeps the device's model, serial number and firmware as its chassis says, with a system
/// change in the history when any differs (an upgrade, a swapped chassis). Answers whether
/// the device changed; a device deleted meanwhile is left alone.
pub async fn record_hardware(
    db: &DatabaseConnection,
    device_id: i64,
    hardware: &Hardware,
) -> Result<bool, DbErr> {
    let txn = crate::db::begin(db).await?;
    let Some(found) = device::Entity::find_by_id(device_id).one(&txn).await? else {
        return Ok(false);
    };
    // The columns hold 200 characters; no real chassis says more.
    let fit = |text: &str| text.chars().take(200).collect::<String>();
    let (model, serial_number, firmware) = (
        fit(&hardware.model),
        fit(&hardware.serial_number),
        fit(&hardware.firmware),
    );
    if found.model == model && found.serial_number == serial_number && found.firmware == firmware {
        return Ok(false);
    }
    let view = |row: &device::Model| {
        json!({
            "id": row.id, "name": row.name, "model": row.model,
            "serial_number": row.serial_number, "firmware": row.firmware,
        })
    };
    let now = chrono::Utc::now();
    let mut active: device::ActiveModel = found.clone().into();
    active.model = Set(model);
    active.serial_number = Set(serial_number);
    active.firmware = Set(firmware);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    history::record(
        &txn,
        &POLLER,
        Change {
            object_kind: "device",
            object_id: device_id,
            action: ChangeAction::Update,
            before_opt: Some(view(&found)),
            after_opt: Some(view(&updated)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Records the interfaces a poll discovered on a device: new ones are inserted, changed
/// names, speeds and descriptions updated, in one transaction, with a system change in the
/// history for each (none when nothing changed). Interfaces the poll did not report are kept
/// (links may refer to them).
pub async fn upsert_interfaces(
    db: &DatabaseConnection,
    device_id: i64,
    discovered: &[DiscoveredInterface],
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
    let mut changes = Vec::new();
    let mut new_interfaces = Vec::new();
    for discovered in discovered {
        // The columns are signed; no real agent reports more.
        let if_index = i32::try_from(discovered.if_index).unwrap_or(i32::MAX);
        let speed_bps = i64::try_from(discovered.speed_bps).unwrap_or(i64::MAX);
        let (name, description) = (&discovered.name, &discovered.description);
        match existing.get(&if_index) {
            Some(found)
                if found.name == *name
                    && found.speed_bps == speed_bps
                    && found.description == *description => {}
            Some(found) => {
                let mut active: interface::ActiveModel = found.clone().into();
                active.name = Set(name.clone());
                active.speed_bps = Set(speed_bps);
                active.description = Set(description.clone());
                let updated = active.update(&txn).await?;
                changes.push(Change {
                    object_kind: "interface",
                    object_id: updated.id,
                    action: ChangeAction::Update,
                    before_opt: Some(view(found)),
                    after_opt: Some(view(&updated)),
                });
                outcome.updated += 1;
            }
            None => {
                new_interfaces.push(interface::ActiveModel {
                    device_id: Set(device_id),
                    if_index: Set(if_index),
                    name: Set(name.clone()),
                    speed_bps: Set(speed_bps),
                    description: Set(description.clone()),
                    ..Default::default()
                });
                outcome.created += 1;
            }
        }
    }
    // A device's first poll finds all its interfaces at once: one statement for them, and
    // one for their history (a switch has dozens; a fleet imported at once, thousands).
    if !new_interfaces.is_empty() {
        interface::Entity::insert_many(new_interfaces)
            .exec(&txn)
            .await?;
        let created = interface::Entity::find()
            .filter(interface::Column::DeviceId.eq(device_id))
            .order_by_asc(interface::Column::IfIndex)
            .all(&txn)
            .await?
            .into_iter()
            .filter(|found| !existing.contains_key(&found.if_index));
        changes.extend(created.map(|found| Change {
            object_kind: "interface",
            object_id: found.id,
            action: ChangeAction::Create,
            before_opt: None,
            after_opt: Some(view(&found)),
        }));
    }
    history::record_all(&txn, &POLLER, changes, now).await?;
    txn.commit().await?;
    Ok(outcome)
}
