//! How busy a data center's links and devices are, as plain functions: a link's utilization
//! from the rates at its two ends, the busiest links and devices that a
//! [`DataCenterSummary`](super::data_center::DataCenterSummary) carries, and which links'
//! utilization moved enough to be told in a `link.utilization` event. The data-center actor
//! owns the inputs (its devices' reports, the links it knows) and when to compute.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::topology::DeviceLink;

/// How many links and devices the summary names.
pub const BUSIEST: usize = 5;

/// A link's utilization: the busier direction at either end against the link's bandwidth,
/// percent; `None` when neither end has a rate or the bandwidth is unknown. A link carries at
/// most its bandwidth: an end whose counters claim more (a port faster than the bandwidth
/// entered for the link, as in the demo's 10G storage on 1G switch ports) reads as full,
/// 100, never as 900 %.
pub fn link_utilization_percent(
    bandwidth_bps: i64,
    busiest_bps_at_ends: [Option<f64>; 2],
) -> Option<f64> {
    let busiest_bps = busiest_bps_at_ends.into_iter().flatten().reduce(f64::max)?;
    (bandwidth_bps > 0).then(|| (busiest_bps * 100.0 / bandwidth_bps as f64).min(100.0))
}

/// The smallest move of a link's utilization, in percentage points, worth telling.
pub const MIN_UTILIZATION_CHANGE: f64 = 1.0;

/// One link's utilization in a `link.utilization` event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct LinkUtilization {
    pub link_id: i64,
    /// The busier direction at either end, against the link's bandwidth; null when it is
    /// not known (no rates yet, or its devices are unreachable).
    pub utilization_percent: Option<f64>,
}

/// The links whose utilization is worth telling, in the order of `current`: those never
/// told (`told` has every link told before, with the value told), those that became known
/// or unknown, and those that moved by at least [`MIN_UTILIZATION_CHANGE`].
pub fn utilization_changes(
    told: &HashMap<i64, Option<f64>>,
    current: &[LinkUtilization],
) -> Vec<LinkUtilization> {
    current
        .iter()
        .filter(
            |link| match (told.get(&link.link_id), link.utilization_percent) {
                (None, _) => true,
                (Some(Some(before)), Some(now)) => (now - before).abs() >= MIN_UTILIZATION_CHANGE,
                (Some(None), None) => false,
                (Some(_), _) => true,
            },
        )
        .copied()
        .collect()
}

/// One of a data center's busiest links.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BusyLink {
    pub link_id: i64,
    pub a_device_id: i64,
    pub a_device_name: String,
    pub a_if_index: u32,
    pub b_device_id: i64,
    pub b_device_name: String,
    pub b_if_index: u32,
    /// The busier direction at either end, against the link's bandwidth.
    pub utilization_percent: f64,
}

/// One of a data center's busiest devices.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BusyDevice {
    pub device_id: i64,
    pub name: String,
    pub cpu_percent: f64,
}

/// Highest first; among equals, the lowest id first, so that the answer is stable.
fn busier_first(a: (f64, i64), b: (f64, i64)) -> Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// The `BUSIEST` links with the highest utilization (links without one are left out).
/// `utilization_of` gives a link's utilization, `device_name` a device's name.
pub fn busiest_links(
    links: &[DeviceLink],
    utilization_of: impl Fn(&DeviceLink) -> Option<f64>,
    device_name: impl Fn(i64) -> String,
) -> Vec<BusyLink> {
    let mut measured: Vec<(&DeviceLink, f64)> = links
        .iter()
        .filter_map(|link| {
            let utilization = utilization_of(link)?;
            utilization.is_finite().then_some((link, utilization))
        })
        .collect();
    measured.sort_by(|a, b| busier_first((a.1, a.0.link_id), (b.1, b.0.link_id)));
    measured
        .into_iter()
        .take(BUSIEST)
        .map(|(link, utilization_percent)| BusyLink {
            link_id: link.link_id,
            a_device_id: link.a_device_id,
            a_device_name: device_name(link.a_device_id),
            a_if_index: link.a_if_index,
            b_device_id: link.b_device_id,
            b_device_name: device_name(link.b_device_id),
            b_if_index: link.b_if_index,
            utilization_percent,
        })
        .collect()
}

/// The `BUSIEST` devices with the highest CPU, from `(device_id, name, cpu_percent)`
/// (devices without a reading are left out).
pub fn busiest_devices<'a>(
    devices: impl IntoIterator<Item = (i64, &'a str, Option<f64>)>,
) -> Vec<BusyDevice> {
    let mut measured: Vec<(i64, &str, f64)> = devices
        .into_iter()
        .filter_map(|(device_id, name, cpu_opt)| {
            let cpu = cpu_opt?;
            cpu.is_finite().then_some((device_id, name, cpu))
        })
        .collect();
    measured.sort_by(|a, b| busier_first((a.2, a.0), (b.2, b.0)));
    measured
        .into_iter()
        .take(BUSIEST)
        .map(|(device_id, name, cpu_percent)| BusyDevice {
            device_id,
            name: name.to_owned(),
            cpu_percent,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_as_busy_as_the_busier_direction_at_either_end() {
        let table: [(i64, [Option<f64>; 2], Option<f64>); 7] = [
            (1_000, [Some(100.0), Some(250.0)], Some(25.0)),
            (1_000, [Some(9_000.0), Some(250.0)], Some(100.0)),
            (1_000, [Some(500.0), None], Some(50.0)),
            (1_000, [None, Some(10.0)], Some(1.0)),
            (1_000, [None, None], None),
            (0, [Some(100.0), Some(100.0)], None),
            (-1, [Some(100.0), None], None),
        ];
        for (bandwidth_bps, ends, expected) in table {
            assert_eq!(
                link_utilization_percent(bandwidth_bps, ends),
                expected,
                "{bandwidth_bps} {ends:?}"
            );
        }
    }

    #[test]
    fn a_link_is_told_when_new_when_it_moved_a_point_or_when_it_became_known_or_unknown() {
        let told: HashMap<i64, Option<f64>> = [
            (1, Some(10.0)),
            (2, Some(10.0)),
            (3, Some(10.0)),
            (4, None),
            (5, None),
            (6, Some(50.0)),
        ]
        .into_iter()
        .collect();
        let table: [(i64, Option<f64>, bool); 9] = [
            (1, Some(10.9), false),
            (2, Some(11.0), true),
            (3, Some(8.5), true),
            (4, None, false),
            (5, Some(0.0), true),
            (6, None, true),
            (7, None, true),
            (8, Some(3.0), true),
            (1, Some(9.1), false),
        ];
        for (link_id, utilization_percent, expected) in table {
            let current = [LinkUtilization {
                link_id,
                utilization_percent,
            }];
            assert_eq!(
                utilization_changes(&told, &current).len() == 1,
                expected,
                "{link_id} {utilization_percent:?}"
            );
        }
        // Nothing told yet: every link, in order.
        let current: Vec<LinkUtilization> = [(3, Some(1.0)), (1, None), (2, Some(2.0))]
            .into_iter()
            .map(|(link_id, utilization_percent)| LinkUtilization {
                link_id,
                utilization_percent,
            })
            .collect();
        assert_eq!(utilization_changes(&HashMap::new(), &current), current);
    }

    fn link(link_id: i64) -> DeviceLink {
        DeviceLink {
            link_id,
            a_device_id: link_id * 10,
            a_if_index: 1,
            b_device_id: link_id * 10 + 1,
            b_if_index: 2,
            bandwidth_bps: 1_000,
        }
    }

    #[test]
    fn the_busiest_links_are_the_five_highest_with_ties_by_id() {
        let links: Vec<DeviceLink> = (1..=8).map(link).collect();
        let utilization: HashMap<i64, f64> = [
            (1, 10.0),
            (2, 90.0),
            (3, 40.0),
            (4, 40.0),
            (5, f64::NAN),
            (6, 70.0),
            (8, 5.0),
        ]
        .into_iter()
        .collect();
        let busiest = busiest_links(
            &links,
            |link| utilization.get(&link.link_id).copied(),
            |device_id| format!("dev-{device_id}"),
        );
        let ids: Vec<(i64, f64)> = busiest
            .iter()
            .map(|busy| (busy.link_id, busy.utilization_percent))
            .collect();
        assert_eq!(ids, [(2, 90.0), (6, 70.0), (3, 40.0), (4, 40.0), (1, 10.0)]);
        assert_eq!(
            busiest[0],
            BusyLink {
                link_id: 2,
                a_device_id: 20,
                a_device_name: "dev-20".to_owned(),
                a_if_index: 1,
                b_device_id: 21,
                b_device_name: "dev-21".to_owned(),
                b_if_index: 2,
                utilization_percent: 90.0,
            }
        );
        assert!(busiest_links(&links, |_| None, |_| String::new()).is_empty());
    }

    #[test]
    fn the_busiest_devices_are_the_five_highest_cpus_with_ties_by_id() {
        let devices = [
            (1, "a", Some(20.0)),
            (2, "b", None),
            (3, "c", Some(99.5)),
            (4, "d", Some(20.0)),
            (5, "e", Some(f64::INFINITY)),
            (6, "f", Some(0.0)),
            (7, "g", Some(55.0)),
            (8, "h", Some(1.0)),
        ];
        let busiest: Vec<(i64, String, f64)> = busiest_devices(devices)
            .into_iter()
            .map(|busy| (busy.device_id, busy.name, busy.cpu_percent))
            .collect();
        assert_eq!(
            busiest,
            [
                (3, "c".to_owned(), 99.5),
                (7, "g".to_owned(), 55.0),
                (1, "a".to_owned(), 20.0),
                (4, "d".to_owned(), 20.0),
                (8, "h".to_owned(), 1.0),
            ]
        );
        assert!(busiest_devices([(1, "a", None)]).is_empty());
    }
}
