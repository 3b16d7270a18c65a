//! Sites and machine rooms as the wall draws them.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::entities::{alarm, data_center, device, machine_room, rack};
use crate::monitoring::alarms::{AlarmView, CLEARED};
use crate::monitoring::Monitoring;

/// A data center with its rooms.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenSite {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub region: String,
    pub rooms: Vec<ScreenRoomSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenRoomSummary {
    pub id: i64,
    pub name: String,
    pub floor: i32,
    pub racks: u32,
    pub devices: u32,
}

/// Every data center and its rooms, with how many racks and devices each room holds.
pub async fn sites(db: &DatabaseConnection) -> Result<Vec<ScreenSite>, DbErr> {
    let data_centers = data_center::Entity::find()
        .order_by_asc(data_center::Column::Id)
        .all(db)
        .await?;
    let rooms = machine_room::Entity::find()
        .order_by_asc(machine_room::Column::Name)
        .all(db)
        .await?;
    let racks = rack::Entity::find().all(db).await?;
    let room_of_rack: HashMap<i64, i64> = racks.iter().map(|r| (r.id, r.room_id)).collect();
    let mut racks_in_room: HashMap<i64, u32> = HashMap::new();
    for rack in &racks {
        *racks_in_room.entry(rack.room_id).or_default() += 1;
    }
    let mut devices_in_room: HashMap<i64, u32> = HashMap::new();
    let rack_ids: Vec<Option<i64>> = device::Entity::find()
        .select_only()
        .column(device::Column::RackId)
        .into_tuple()
        .all(db)
        .await?;
    for room_id in rack_ids
        .iter()
        .flatten()
        .filter_map(|id| room_of_rack.get(id))
    {
        *devices_in_room.entry(*room_id).or_default() += 1;
    }
    Ok(data_centers
        .into_iter()
        .map(|dc| ScreenSite {
            rooms: rooms
                .iter()
                .filter(|room| room.data_center_id == dc.id)
                .map(|room| ScreenRoomSummary {
                    id: room.id,
                    name: room.name.clone(),
                    floor: room.floor,
                    racks: racks_in_room.get(&room.id).copied().unwrap_or_default(),
                    devices: devices_in_room.get(&room.id).copied().unwrap_or_default(),
                })
                .collect(),
            id: dc.id,
            code: dc.code,
            name: dc.name,
            region: dc.region,
        })
        .collect())
}

/// A machine room to draw: its grid, its racks where they stand, its devices where they sit,
/// and their active alarms.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomScene {
    pub id: i64,
    pub name: String,
    pub data_center_id: i64,
    pub data_center_name: String,
    pub floor: i32,
    /// The floor's grid of rack positions; empty when the room has not been drawn.
    pub grid_rows: Option<i32>,
    pub grid_columns: Option<i32>,
    pub racks: Vec<SceneRack>,
    pub devices: Vec<SceneDevice>,
    /// The active alarms of its devices, newest first: a device shows its worst.
    pub alarms: Vec<AlarmView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SceneRack {
    pub id: i64,
    pub name: String,
    pub height_u: i32,
    /// Empty when the rack has no position on the grid.
    pub grid_row: Option<i32>,
    pub grid_column: Option<i32>,
    pub facing: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SceneDevice {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub rack_id: i64,
    /// The lowest unit it occupies; empty when it is in the rack without a place.
    pub rack_unit: Option<i32>,
    pub height_u: i32,
    /// `up`, `down` or `unknown`, as its poller sees it now.
    pub status: String,
}

/// Why a room's scene could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("machine room not found")]
    NoSuchRoom,
    #[error("data center not found")]
    NoSuchDataCenter,
    #[error(transparent)]
    Store(#[from] DbErr),
}

pub async fn room(
    db: &DatabaseConnection,
    monitoring: &Monitoring,
    room_id: i64,
) -> Result<RoomScene, RoomError> {
    let room = machine_room::Entity::find_by_id(room_id)
        .one(db)
        .await?
        .ok_or(RoomError::NoSuchRoom)?;
    let data_center = data_center::Entity::find_by_id(room.data_center_id)
        .one(db)
        .await?
        .ok_or(RoomError::NoSuchDataCenter)?;
    let racks = rack::Entity::find()
        .filter(rack::Column::RoomId.eq(room_id))
        .order_by_asc(rack::Column::Name)
        .all(db)
        .await?;
    let rack_ids: Vec<i64> = racks.iter().map(|r| r.id).collect();
    let devices = device::Entity::find()
        .filter(device::Column::RackId.is_in(rack_ids))
        .order_by_asc(device::Column::Id)
        .all(db)
        .await?;
    let device_ids: Vec<i64> = devices.iter().map(|d| d.id).collect();
    let alarms = alarm::Entity::find()
        .filter(alarm::Column::DeviceId.is_in(device_ids.clone()))
        .filter(alarm::Column::State.ne(CLEARED))
        .order_by_desc(alarm::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(AlarmView::from)
        .collect();
    let statuses: BTreeMap<i64, String> = futures_util::future::join_all(
        device_ids
            .iter()
            .map(|id| async move { (*id, monitoring.device_state_view(*id).await) }),
    )
    .await
    .into_iter()
    .map(|(id, view_opt)| {
        (
            id,
            view_opt.map_or_else(|| "unknown".to_owned(), |view| view.status),
        )
    })
    .collect();
    Ok(RoomScene {
        id: room.id,
        name: room.name,
        data_center_id: data_center.id,
        data_center_name: data_center.name,
        floor: room.floor,
        grid_rows: room.grid_rows,
        grid_columns: room.grid_columns,
        racks: racks
            .into_iter()
            .map(|rack| SceneRack {
                id: rack.id,
                name: rack.name,
                height_u: rack.height_u,
                grid_row: rack.grid_row,
                grid_column: rack.grid_column,
                facing: rack.facing,
            })
            .collect(),
        devices: devices
            .into_iter()
            .filter_map(|device| {
                Some(SceneDevice {
                    rack_id: device.rack_id?,
                    status: statuses
                        .get(&device.id)
                        .cloned()
                        .unwrap_or_else(|| "unknown".to_owned()),
                    id: device.id,
                    name: device.name,
                    kind: device.kind,
                    rack_unit: device.rack_unit,
                    height_u: device.height_u,
                })
            })
            .collect(),
        alarms,
    })
}
