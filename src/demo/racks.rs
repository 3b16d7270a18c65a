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
            if next_unit + height_u - 1 > RACK_HEIGHT_U {
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
        let rooms: Vec<Value> = data_center_codes
            .iter()
            .flat_map(|code| {
                ROOMS.iter().enumerate().map(move |(floor, room)| {
                    json!({"data_center_code": code, "name": room, "floor": floor + 1})
                })
            })
            .collect();
        let racks: Vec<Value> = self
            .racks
            .iter()
            .map(|rack| {
                json!({"data_center_code": rack.data_center_code, "room": rack.room,
                    "name": rack.name, "height_u": RACK_HEIGHT_U})
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
            assert!(
                place.rack_unit + place.height_u - 1 <= RACK_HEIGHT_U,
                "{place:?}"
            );
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
    fn racks_fill_bottom_up_network_gear_first() {
        let device = |name: &str, kind: &str| DemoDevice {
            data_center_code: "dc-1".to_owned(),
            name: name.to_owned(),
            kind: kind.to_owned(),
        };
        let mut devices = vec![device("srv-1", "server"), device("st-1", "storage_array")];
        devices.extend((0..40).map(|n| device(&format!("sw-{n:02}"), "switch")));
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
        assert_eq!(place_of("sw-39"), ("A01", 42, 1));
        assert_eq!(place_of("st-1"), ("B01", 1, 4));
        assert_eq!(place_of("srv-1"), ("B01", 5, 2));
        let rack_names: Vec<&str> = plan.racks.iter().map(|rack| rack.name.as_str()).collect();
        assert_eq!(rack_names, ["A01", "B01"]);
    }
}
