//! The demo's machine rooms and racks, and a place in them for every simulated device: each
//! data center has two rooms, `A` and `B`, of 42U racks; its devices, network gear first
//! (routers, firewalls, load balancers, switches), then storage and servers, fill the racks
//! bottom up, one rack after another, alternating rooms (`A01`, `B01`, `A02`, ...). Heights
//! follow the kind. Pure: the same devices always get the same places, so the plan can be
//! imported again and again.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// The height of every demo rack.
pub const RACK_HEIGHT_U: i32 = 42;
/// The demo's machine rooms, in every data center.
pub const ROOMS: [&str; 2] = ["A", "B"];
/// Devices fill a rack up to this unit; the units above are left for growth.
pub const FILL_U: i32 = 12;
/// Rows of racks in every demo room; their fronts face each other across a cold aisle.
pub const ROOM_ROWS: i32 = 2;
/// The fewest rack positions in a row.
const MIN_ROOM_COLUMNS: i32 = 8;

/// A room's grid for `racks` racks: [`ROOM_ROWS`] rows, long enough for them all.
pub fn room_grid(racks: usize) -> (i32, i32) {
    let racks = i32::try_from(racks).unwrap_or(i32::MAX);
    let columns = (racks + ROOM_ROWS - 1) / ROOM_ROWS;
    (ROOM_ROWS, columns.max(MIN_ROOM_COLUMNS))
}

/// Where the `n`-th rack of a room (from 0) stands on a grid `columns` wide: row by row,
/// rows facing each other in pairs (odd rows face south, even rows north).
pub fn grid_place(n: usize, columns: i32) -> (i32, i32, &'static str) {
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    let row = n / columns + 1;
    let facing = if row % 2 == 1 { "south" } else { "north" };
    (row, n % columns + 1, facing)
}

/// A plausible height for a device of this kind, in rack units.
pub fn height_of_kind(kind: &str) -> i32 {
    match kind {
        "server" | "router" => 2,
        "storage_array" => 4,
        _ => 1,
    }
}

/// Network gear first, so that it shares the first racks; then storage, then servers.
fn rack_order_of_kind(kind: &str) -> usize {
    [
        "router",
        "firewall",
        "load_balancer",
        "switch",
        "storage_array",
        "server",
    ]
    .iter()
    .position(|candidate| *candidate == kind)
    .unwrap_or(usize::MAX)
}

/// A device to be placed: its data center's code, its name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDevice {
    pub data_center_code: String,
    pub name: String,
    pub kind: String,
}

/// A rack of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRack {
    pub data_center_code: String,
    pub room: &'static str,
    pub name: String,
}

/// Where a device goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePlace {
    pub data_center_code: String,
    pub device_name: String,
    pub rack: String,
    pub rack_unit: i32,
    pub height_u: i32,
}

/// Every data center's racks, and a place for each device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RackPlan {
    pub racks: Vec<PlannedRack>,
    pub places: Vec<DevicePlace>,
}

/// The `n`-th rack of a data center (from 0): rooms alternate, and each room counts its own.
fn nth_rack(data_center_code: &str, n: usize) -> PlannedRack {
    let room = ROOMS[n % ROOMS.len()];
    PlannedRack {
        data_center_code: data_center_code.to_owned(),
        room,
        name: format!("{room}{:02}", n / ROOMS.len() + 1),
    }
}

pub fn plan(devices: &[DemoDevice]) -> RackPlan {
    let mut by_data_center: BTreeMap<&str, Vec<&DemoDevice>> = BTreeMap::new();
    for device in devices {
        by_data_center
            .entry(device.data_center_code.as_str())
            .or_default()
            .push(device);
    }
    let mut racks = Vec::new();
    let mut places = Vec::new();
    for (data_center_code, mut devices) in by_data_center {
        devices.sort_by(|a, b| {
            (rack_order_of_kind(&a.kind), &a.name).cmp(&(rack_order_of_kind(&b.kind), &b.name))
        });
        let mut rack_index = 0;
        let mut next_unit = 1;
        racks.push(nth_rack(data_center_code, rack_index));
        for device in devices {
            let height_u = height_of_kind(&device.kind);
            if next_unit + height_u - 1 > FILL_U {
                rack_index += 1;
                next_unit = 1;
                racks.push(nth_rack(data_center_code, rack_index));
            }
            places.push(DevicePlace {
                data_center_code: data_center_code.to_owned(),
                device_name: device.name.clone(),
                rack: nth_rack(data_center_code, rack_index).name,
                rack_unit: next_unit,
                height_u,
            });
            next_unit += height_u;
        }
        // As many racks in each room.
        while (rack_index + 1) % ROOMS.len() != 0 {
            rack_index += 1;
            racks.push(nth_rack(data_center_code, rack_index));
        }
        // Every position of the rooms' grids holds a rack; those after the equipped ones
        // are empty, capacity for what comes next.
        let equipped_per_room = (rack_index + 1) / ROOMS.len();
        let (rows, columns) = room_grid(equipped_per_room);
        let positions = usize::try_from(rows * columns).unwrap_or_default();
        for n in equipped_per_room..positions {
            for room in ROOMS {
                racks.push(PlannedRack {
                    data_center_code: data_center_code.to_owned(),
                    room,
                    name: format!("{room}{:02}", n + 1),
                });
            }
        }
    }
    RackPlan { racks, places }
}

impl RackPlan {
    /// The rooms and racks as an import document: `{"machine_rooms": […], "racks": […]}`.
    pub fn rooms_and_racks(&self) -> Value {
        let mut data_center_codes: Vec<&str> = self
            .racks
            .iter()
            .map(|rack| rack.data_center_code.as_str())
            .collect();
        data_center_codes.dedup();
        let racks_in = |code: &str, room: &str| {
            self.racks
                .iter()
                .filter(|rack| rack.data_center_code == code && rack.room == room)
                .count()
        };
        let rooms: Vec<Value> = data_center_codes
            .iter()
            .flat_map(|code| {
                ROOMS.iter().enumerate().map(move |(floor, room)| {
                    let (rows, columns) = room_grid(racks_in(code, room));
                    json!({"data_center_code": code, "name": room, "floor": floor + 1,
                        "grid_rows": rows, "grid_columns": columns})
                })
            })
            .collect();
        let mut placed_in_room: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let racks: Vec<Value> = self
            .racks
            .iter()
            .map(|rack| {
                let key = (rack.data_center_code.as_str(), rack.room);
                let n = placed_in_room.entry(key).or_default();
                let (_, columns) = room_grid(racks_in(key.0, key.1));
                let (row, column, facing) = grid_place(*n, columns);
                *n += 1;
                json!({"data_center_code": rack.data_center_code, "room": rack.room,
                    "name": rack.name, "height_u": RACK_HEIGHT_U,
                    "grid_row": row, "grid_column": column, "facing": facing})
            })
            .collect();
        json!({"machine_rooms": rooms, "racks": racks})
    }

    /// The places as an import document of devices that names only what it changes.
    pub fn device_places(&self) -> Value {
        let devices: Vec<Value> = self
            .places
            .iter()
            .map(|place| {
                json!({"data_center_code": place.data_center_code, "name": place.device_name,
                    "rack": place.rack, "rack_unit": place.rack_unit, "height_u": place.height_u})
            })
            .collect();
        json!({ "devices": devices })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use super::*;

    fn demo_devices() -> Vec<DemoDevice> {
        let kinds = [
            "router",
            "firewall",
            "firewall",
            "load_balancer",
            "storage_array",
            "switch",
            "switch",
            "switch",
            "server",
            "server",
            "server",
            "server",
        ];
        (0..300)
            .map(|idx| DemoDevice {
                data_center_code: format!("dc-{}", idx % 3 + 1),
                name: format!("device-{idx:05}"),
                kind: kinds[idx % kinds.len()].to_owned(),
            })
            .collect()
    }

    #[test]
    fn every_device_has_a_place_that_fits_and_overlaps_none() {
        let devices = demo_devices();
        let plan = plan(&devices);
        assert_eq!(plan.places.len(), devices.len());
        let racks: BTreeSet<(&str, &str)> = plan
            .racks
            .iter()
            .map(|rack| (rack.data_center_code.as_str(), rack.name.as_str()))
            .collect();
        assert_eq!(racks.len(), plan.racks.len(), "rack names are unique");
        let kinds: HashMap<&str, &str> = devices
            .iter()
            .map(|device| (device.name.as_str(), device.kind.as_str()))
            .collect();
        let mut taken: BTreeSet<(&str, &str, i32)> = BTreeSet::new();
        for place in &plan.places {
            assert!(
                racks.contains(&(place.data_center_code.as_str(), place.rack.as_str())),
                "{place:?}"
            );
            assert_eq!(
                place.height_u,
                height_of_kind(kinds[place.device_name.as_str()])
            );
            assert!(place.rack_unit >= 1);
            assert!(place.rack_unit + place.height_u - 1 <= FILL_U, "{place:?}");
            for unit in place.rack_unit..place.rack_unit + place.height_u {
                let new = taken.insert((&place.data_center_code, &place.rack, unit));
                assert!(new, "{place:?} overlaps at U{unit}");
            }
        }
        // Both rooms of every data center hold equipment and as many racks.
        for code in ["dc-1", "dc-2", "dc-3"] {
            for room in ROOMS {
                let racks_in_room = plan
                    .racks
                    .iter()
                    .filter(|rack| rack.data_center_code == code && rack.room == room)
                    .count();
                assert!(racks_in_room >= 2, "{code} {room}: {racks_in_room}");
            }
        }
        assert_eq!(
            plan,
            super::plan(&devices),
            "the same devices, the same places"
        );
    }

    #[test]
    fn racks_stand_row_by_row_in_facing_pairs_inside_their_room() {
        assert_eq!(room_grid(3), (ROOM_ROWS, MIN_ROOM_COLUMNS));
        assert_eq!(room_grid(40), (ROOM_ROWS, 20));
        assert_eq!(room_grid(41), (ROOM_ROWS, 21));
        let (rows, columns) = room_grid(40);
        let places: Vec<_> = (0..40).map(|n| grid_place(n, columns)).collect();
        assert_eq!(places[0], (1, 1, "south"));
        assert_eq!(places[19], (1, 20, "south"));
        assert_eq!(places[20], (2, 1, "north"));
        assert_eq!(places[39], (2, 20, "north"));
        let distinct: BTreeSet<(i32, i32)> = places.iter().map(|(r, c, _)| (*r, *c)).collect();
        assert_eq!(distinct.len(), 40);
        assert!(places.iter().all(|(r, c, _)| *r <= rows && *c <= columns));
        // Every position of every demo room holds a rack, and the import document places
        // each one inside its room's grid.
        let document = plan(&demo_devices()).rooms_and_racks();
        for room in document["machine_rooms"].as_array().unwrap() {
            let positions =
                room["grid_rows"].as_i64().unwrap() * room["grid_columns"].as_i64().unwrap();
            let racks: Vec<&Value> = document["racks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|rack| {
                    rack["data_center_code"] == room["data_center_code"]
                        && rack["room"] == room["name"]
                })
                .collect();
            assert_eq!(racks.len() as i64, positions, "{room}");
            let cells: BTreeSet<(i64, i64)> = racks
                .iter()
                .map(|rack| {
                    (
                        rack["grid_row"].as_i64().unwrap(),
                        rack["grid_column"].as_i64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(cells.len() as i64, positions, "{room}");
        }
    }

    #[test]
    fn racks_fill_bottom_up_network_gear_first() {
        let device = |name: &str, kind: &str| DemoDevice {
            data_center_code: "dc-1".to_owned(),
            name: name.to_owned(),
            kind: kind.to_owned(),
        };
        let mut devices = vec![device("srv-1", "server"), device("st-1", "storage_array")];
        devices.extend((0..10).map(|n| device(&format!("sw-{n:02}"), "switch")));
        devices.push(device("core-1", "router"));
        let plan = plan(&devices);
        let place_of = |name: &str| {
            let place = plan
                .places
                .iter()
                .find(|place| place.device_name == name)
                .unwrap();
            (place.rack.as_str(), place.rack_unit, place.height_u)
        };
        assert_eq!(place_of("core-1"), ("A01", 1, 2));
        assert_eq!(place_of("sw-00"), ("A01", 3, 1));
        assert_eq!(place_of("sw-09"), ("A01", FILL_U, 1));
        assert_eq!(place_of("st-1"), ("B01", 1, 4));
        assert_eq!(place_of("srv-1"), ("B01", 5, 2));
        let rack_names: Vec<&str> = plan
            .racks
            .iter()
            .map(|rack| rack.name.as_str())
            .take(4)
            .collect();
        assert_eq!(rack_names, ["A01", "B01", "A02", "B02"]);
        assert_eq!(plan.racks.len(), 2 * 16, "two rooms of 2 × 8 racks");
    }
}
