//! Who is reached through whom, and which unreachable devices are only symptoms.
//!
//! A [`Topology`] is built from explicit [`UpstreamLink`]s: "device B is reached through
//! device A (leaving A by this interface)". A device with several upstream links is
//! multi-homed; a device with none is a root (a core device, or one the pollers reach
//! directly). Deriving the links from LLDP neighbours and a set of core devices is left to
//! the server crate, which knows where the pollers sit.
//!
//! A device is cut off when every one of its upstream paths is down: the upstream device is
//! unreachable, or the upstream's interface toward it is down. Its root cause is then that
//! upstream device, or, if that one is itself cut off, its root cause, and so on up; with
//! several dead paths, the lowest root cause id is named, so that the answer does not
//! depend on the order of the links.
//!
//! [`NetworkState`] is what the latest observations say about reachability and interfaces;
//! the engine keeps it and asks [`Topology::cut_off_devices`] after each change.

use std::collections::{BTreeMap, BTreeSet};

use super::{Metric, Observation};

/// "`device_id` is reached through `upstream_device_id`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamLink {
    pub device_id: i64,
    pub upstream_device_id: i64,
    /// The upstream's interface toward the device (as in [`Observation::instance_opt`]), when
    /// known: its going down cuts the path even though the upstream stays reachable.
    pub upstream_interface_opt: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopologyError {
    /// A device named as its own upstream.
    SelfLink { device_id: i64 },
    /// The links loop, so "upstream" means nothing; names one device on the loop.
    Cycle { device_id: i64 },
}

/// Upstream links per device, checked to contain no loop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topology {
    /// Each device's upstream links, for judging its paths.
    upstream_links_by_device: BTreeMap<i64, Vec<UpstreamLink>>,
    /// Every linked device, upstreams before the devices reached through them, so that one
    /// pass can work out every root cause.
    devices_upstream_first: Vec<i64>,
}

impl Topology {
    pub fn new(links: Vec<UpstreamLink>) -> Result<Topology, TopologyError> {
        let mut upstream_links_by_device: BTreeMap<i64, Vec<UpstreamLink>> = BTreeMap::new();
        let mut downstream_ids_by_device: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for link in links {
            if link.device_id == link.upstream_device_id {
                return Err(TopologyError::SelfLink {
                    device_id: link.device_id,
                });
            }
            downstream_ids_by_device
                .entry(link.upstream_device_id)
                .or_default()
                .insert(link.device_id);
            downstream_ids_by_device.entry(link.device_id).or_default();
            upstream_links_by_device
                .entry(link.device_id)
                .or_default()
                .push(link);
        }

        // Kahn's algorithm: a device is ready once all its upstreams are placed.
        let mut n_unplaced_upstreams: BTreeMap<i64, usize> = downstream_ids_by_device
            .keys()
            .map(|&device_id| {
                let upstream_ids: BTreeSet<i64> = upstream_links_by_device
                    .get(&device_id)
                    .into_iter()
                    .flatten()
                    .map(|link| link.upstream_device_id)
                    .collect();
                (device_id, upstream_ids.len())
            })
            .collect();
        let mut ready: BTreeSet<i64> = n_unplaced_upstreams
            .iter()
            .filter(|(_, &count)| count == 0)
            .map(|(&device_id, _)| device_id)
            .collect();
        let mut devices_upstream_first = Vec::with_capacity(n_unplaced_upstreams.len());
        while let Some(device_id) = ready.pop_first() {
            devices_upstream_first.push(device_id);
            for downstream_id in downstream_ids_by_device
                .get(&device_id)
                .into_iter()
                .flatten()
            {
                if let Some(count) = n_unplaced_upstreams.get_mut(downstream_id) {
                    *count -= 1;
                    if *count == 0 {
                        ready.insert(*downstream_id);
                    }
                }
            }
        }
        if let Some((&device_id, _)) = n_unplaced_upstreams.iter().find(|(_, &count)| count > 0) {
            return Err(TopologyError::Cycle { device_id });
        }
        Ok(Topology {
            upstream_links_by_device,
            devices_upstream_first,
        })
    }

    /// Every cut-off device, with its root cause.
    pub fn cut_off_devices(&self, network: &NetworkState) -> BTreeMap<i64, i64> {
        let mut root_cause_by_device: BTreeMap<i64, i64> = BTreeMap::new();
        for &device_id in &self.devices_upstream_first {
            let Some(links) = self.upstream_links_by_device.get(&device_id) else {
                continue;
            };
            let mut root_cause_opt: Option<i64> = None;
            let mut every_path_down = true;
            for link in links {
                let upstream_id = link.upstream_device_id;
                let path_root_cause = if network.is_unreachable(upstream_id) {
                    root_cause_by_device
                        .get(&upstream_id)
                        .copied()
                        .unwrap_or(upstream_id)
                } else if link
                    .upstream_interface_opt
                    .as_deref()
                    .is_some_and(|interface| network.is_interface_down(upstream_id, interface))
                {
                    upstream_id
                } else {
                    every_path_down = false;
                    break;
                };
                root_cause_opt = Some(
                    root_cause_opt.map_or(path_root_cause, |lowest| lowest.min(path_root_cause)),
                );
            }
            if let (true, Some(root_cause)) = (every_path_down, root_cause_opt) {
                root_cause_by_device.insert(device_id, root_cause);
            }
        }
        root_cause_by_device
    }
}

/// What the latest observations say about reachability and interfaces. A device or interface
/// never observed counts as up: no news blames nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkState {
    unreachable_device_ids: BTreeSet<i64>,
    /// Interfaces last seen operationally down, by device.
    down_interfaces_by_device: BTreeMap<i64, BTreeSet<String>>,
}

impl NetworkState {
    pub fn is_unreachable(&self, device_id: i64) -> bool {
        self.unreachable_device_ids.contains(&device_id)
    }

    pub fn is_interface_down(&self, device_id: i64, interface: &str) -> bool {
        self.down_interfaces_by_device
            .get(&device_id)
            .is_some_and(|interfaces| interfaces.contains(interface))
    }

    /// Forgets what was observed of a device that is no longer monitored; true when it was
    /// down in some way (what is up changed).
    pub fn forget(&mut self, device_id: i64) -> bool {
        let was_unreachable = self.unreachable_device_ids.remove(&device_id);
        let had_down_interfaces = self.down_interfaces_by_device.remove(&device_id).is_some();
        was_unreachable || had_down_interfaces
    }

    /// Takes in a reachability or interface observation (others are not about the network);
    /// true when it changed what is up. A value of 0 means down, anything else up.
    pub fn record(&mut self, observation: &Observation) -> bool {
        let down = observation.value == 0.0;
        match (observation.metric, &observation.instance_opt) {
            (Metric::Reachable, _) => {
                if down {
                    self.unreachable_device_ids.insert(observation.device_id)
                } else {
                    self.unreachable_device_ids.remove(&observation.device_id)
                }
            }
            (Metric::InterfaceOperUp, Some(interface)) => {
                if down {
                    self.down_interfaces_by_device
                        .entry(observation.device_id)
                        .or_default()
                        .insert(interface.clone())
                } else {
                    let Some(interfaces) = self
                        .down_interfaces_by_device
                        .get_mut(&observation.device_id)
                    else {
                        return false;
                    };
                    let removed = interfaces.remove(interface);
                    if interfaces.is_empty() {
                        self.down_interfaces_by_device
                            .remove(&observation.device_id);
                    }
                    removed
                }
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORE: i64 = 1;
    const AGG_1: i64 = 10;
    const AGG_2: i64 = 11;
    const ACCESS: i64 = 100;
    const DUAL_HOMED: i64 = 200;

    fn link(device_id: i64, upstream_device_id: i64, interface: &str) -> UpstreamLink {
        UpstreamLink {
            device_id,
            upstream_device_id,
            upstream_interface_opt: Some(interface.to_owned()),
        }
    }

    /// core → agg-1 → access; core → agg-2; dual-homed under agg-1 (port 7) and agg-2.
    fn campus() -> Topology {
        Topology::new(vec![
            link(ACCESS, AGG_1, "3"),
            link(AGG_1, CORE, "1"),
            link(AGG_2, CORE, "2"),
            link(DUAL_HOMED, AGG_1, "7"),
            link(DUAL_HOMED, AGG_2, "7"),
        ])
        .unwrap()
    }

    fn network(unreachable: &[i64], down_interfaces: &[(i64, &str)]) -> NetworkState {
        NetworkState {
            unreachable_device_ids: unreachable.iter().copied().collect(),
            down_interfaces_by_device: down_interfaces.iter().fold(
                BTreeMap::new(),
                |mut by_device, (device_id, interface)| {
                    by_device
                        .entry(*device_id)
                        .or_insert_with(BTreeSet::new)
                        .insert((*interface).to_owned());
                    by_device
                },
            ),
        }
    }

    /// A cut-off device and its root cause.
    type CutOff = (i64, i64);

    #[test]
    fn root_causes() {
        let topology = campus();
        let table: &[(&str, NetworkState, &[CutOff])] = &[
            ("all up", network(&[], &[]), &[]),
            (
                "agg-1 down cuts off access, not the dual-homed device",
                network(&[AGG_1], &[]),
                &[(ACCESS, AGG_1)],
            ),
            (
                "both aggregation switches down cut off the dual-homed device too",
                network(&[AGG_1, AGG_2], &[]),
                &[(ACCESS, AGG_1), (DUAL_HOMED, AGG_1)],
            ),
            (
                "core down is the root cause of everything below it",
                network(&[CORE, AGG_1, AGG_2], &[]),
                &[
                    (AGG_1, CORE),
                    (AGG_2, CORE),
                    (ACCESS, CORE),
                    (DUAL_HOMED, CORE),
                ],
            ),
            (
                "a downed upstream interface cuts the path though the upstream is reachable",
                network(&[], &[(AGG_1, "3")]),
                &[(ACCESS, AGG_1)],
            ),
            (
                "another interface of the upstream cuts nothing",
                network(&[], &[(AGG_1, "4")]),
                &[],
            ),
            (
                "one path by a dead link, the other by a dead switch",
                network(&[AGG_2], &[(AGG_1, "7")]),
                &[(DUAL_HOMED, AGG_1)],
            ),
            (
                "a device that is cut off may itself be the one unreachable",
                network(&[ACCESS], &[]),
                &[],
            ),
        ];
        for (name, network, expected) in table {
            let expected: BTreeMap<i64, i64> = expected.iter().copied().collect();
            assert_eq!(topology.cut_off_devices(network), expected, "{name}");
        }
    }

    #[test]
    fn loops_and_self_links_are_refused() {
        let table = [
            (
                vec![link(1, 2, "1"), link(2, 3, "1"), link(3, 1, "1")],
                Err(TopologyError::Cycle { device_id: 1 }),
            ),
            (
                vec![link(5, 5, "1")],
                Err(TopologyError::SelfLink { device_id: 5 }),
            ),
        ];
        for (links, expected) in table {
            assert_eq!(Topology::new(links).map(|_| ()), expected);
        }
        assert!(Topology::new(vec![]).is_ok());
    }

    #[test]
    fn network_state_follows_observations() {
        let observe = |metric: Metric, instance: Option<&str>, value: f64| Observation {
            device_id: 4,
            device_kind: "switch".into(),
            instance_opt: instance.map(str::to_owned),
            metric,
            value,
            at_ms: 0,
        };
        let mut state = NetworkState::default();
        let table = [
            (observe(Metric::Reachable, None, 0.0), true, true, false),
            (observe(Metric::Reachable, None, 0.0), false, true, false),
            (
                observe(Metric::InterfaceOperUp, Some("2"), 0.0),
                true,
                true,
                true,
            ),
            (
                observe(Metric::InterfaceOperUp, None, 0.0),
                false,
                true,
                true,
            ),
            (observe(Metric::CpuPercent, None, 0.0), false, true, true),
            (observe(Metric::Reachable, None, 1.0), true, false, true),
            (
                observe(Metric::InterfaceOperUp, Some("2"), 1.0),
                true,
                false,
                false,
            ),
        ];
        for (observation, changed, unreachable, interface_down) in table {
            assert_eq!(state.record(&observation), changed, "{observation:?}");
            assert_eq!(state.is_unreachable(4), unreachable, "{observation:?}");
            assert_eq!(
                state.is_interface_down(4, "2"),
                interface_down,
                "{observation:?}"
            );
        }
    }
}
