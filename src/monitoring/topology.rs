//! The network's shape for alarm root causes: which device each device is reached through.
//! Links are undirected; the direction comes from the tiers: starting from the core devices,
//! a device's upstream neighbours are those one hop closer to the core. A device with two
//! such neighbours is dual-homed and is cut off only when both paths are down.

use std::collections::{BTreeMap, HashMap, VecDeque};

use yunguan_actors::alarm::UpstreamLink;

/// A link between two devices' interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLink {
    pub link_id: i64,
    pub a_device_id: i64,
    pub a_if_index: u32,
    pub b_device_id: i64,
    pub b_if_index: u32,
    pub bandwidth_bps: i64,
}

/// The upstream links of every device reachable from `core_device_ids` over `links`.
/// Devices not connected to a core device have none.
pub fn upstream_links(core_device_ids: &[i64], links: &[DeviceLink]) -> Vec<UpstreamLink> {
    // neighbour lists: device -> (neighbour, neighbour's interface on the link)
    let mut neighbours: HashMap<i64, Vec<(i64, u32)>> = HashMap::new();
    for link in links {
        if link.a_device_id == link.b_device_id {
            continue;
        }
        neighbours
            .entry(link.a_device_id)
            .or_default()
            .push((link.b_device_id, link.b_if_index));
        neighbours
            .entry(link.b_device_id)
            .or_default()
            .push((link.a_device_id, link.a_if_index));
    }
    let mut distance: BTreeMap<i64, u32> = BTreeMap::new();
    let mut queue = VecDeque::new();
    for core in core_device_ids {
        distance.insert(*core, 0);
        queue.push_back(*core);
    }
    while let Some(device) = queue.pop_front() {
        let next = distance[&device] + 1;
        for (neighbour, _) in neighbours.get(&device).into_iter().flatten() {
            if !distance.contains_key(neighbour) {
                distance.insert(*neighbour, next);
                queue.push_back(*neighbour);
            }
        }
    }
    let mut upstream = Vec::new();
    for (device, own_distance) in &distance {
        for (neighbour, neighbour_if_index) in neighbours.get(device).into_iter().flatten() {
            if distance.get(neighbour).map(|d| d + 1) == Some(*own_distance) {
                upstream.push(UpstreamLink {
                    device_id: *device,
                    upstream_device_id: *neighbour,
                    upstream_interface_opt: Some(neighbour_if_index.to_string()),
                });
            }
        }
    }
    upstream.sort_by_key(|link| (link.device_id, link.upstream_device_id));
    upstream.dedup();
    upstream
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(link_id: i64, a: (i64, u32), b: (i64, u32)) -> DeviceLink {
        DeviceLink {
            link_id,
            a_device_id: a.0,
            a_if_index: a.1,
            b_device_id: b.0,
            b_if_index: b.1,
            bandwidth_bps: 10_000_000_000,
        }
    }

    #[test]
    fn upstream_follows_the_tiers_from_the_core() {
        // core 1 — agg 2 — access 3 — server 5; server 4 linked to agg 2 and to access 3 (a
        // neighbour as far from the core as itself is not upstream).
        let links = [
            link(1, (2, 1), (1, 7)),
            link(2, (2, 2), (3, 1)),
            link(3, (3, 2), (5, 1)),
            link(4, (4, 1), (2, 3)),
            link(5, (4, 2), (3, 3)),
        ];
        let upstream = upstream_links(&[1], &links);
        let pairs: Vec<(i64, i64, Option<String>)> = upstream
            .into_iter()
            .map(|l| (l.device_id, l.upstream_device_id, l.upstream_interface_opt))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (2, 1, Some("7".into())),
                (3, 2, Some("2".into())),
                (4, 2, Some("3".into())),
                (5, 3, Some("2".into())),
            ]
        );
        assert!(upstream_links(&[], &links).is_empty());
    }
}
