//! What a data center knows and decides, with no actor, I/O or clock of its own: its devices'
//! summaries, the alarm engine, the rates at link ends, what was last told and which alarms
//! were escalated. [`DataCenterActor`](super::DataCenterActor) feeds it reports, operators'
//! commands and the time, and carries out what it answers (alarm writes, events to publish),
//! so each decision is tested here without an actor or a real clock.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use yunguan_actors::alarm::{
    AlarmCommandError, AlarmEngine, AlarmEvent, AlarmKey, AlarmRule, FlappingConfig, RecordedAlarm,
    Severity, Topology,
};

use super::{DataCenterSummary, LinkStateEvent, LinkUtilizationEvent, PoolUsage};
use crate::monitoring::device::state::{metric, Change};
use crate::monitoring::device::{DeviceReport, DeviceSummary};
use crate::monitoring::load::{
    busiest_devices, busiest_links, link_utilization_percent, utilization_changes, LinkUtilization,
};
use crate::monitoring::messages::{AlarmAction, DeviceConfig};
use crate::monitoring::topology::{upstream_links, DeviceLink};
use crate::severity;

/// The devices, links and rules a data center starts with.
pub struct Layout<'a> {
    pub data_center_id: i64,
    pub devices: &'a [std::sync::Arc<DeviceConfig>],
    pub links: &'a [DeviceLink],
    pub rules: &'a [AlarmRule],
    /// Root-cause alarms unacknowledged this long are escalated.
    pub escalate_after: Duration,
}

/// One device as its data center knows it.
struct Device {
    name: String,
    summary: DeviceSummary,
}

pub struct DataCenterState {
    data_center_id: i64,
    links: Vec<DeviceLink>,
    rule_names: HashMap<i64, String>,
    escalate_after_ms: u64,
    devices: HashMap<i64, Device>,
    engine: AlarmEngine,
    /// Links by either end, for `link.state` events when an interface goes down or up.
    links_by_end: HashMap<(i64, u32), DeviceLink>,
    /// The busier direction's rate (bits per second) at each link end, by device and
    /// ifIndex, as of its device's last poll: what link utilizations are computed from.
    link_end_rates: HashMap<i64, BTreeMap<u32, f64>>,
    /// Each link's utilization as last told in `link.utilization`.
    link_utilization_told: HashMap<i64, Option<f64>>,
    /// Something changed since the summary was last taken.
    dirty: bool,
    /// Occurrences already escalated.
    escalated: BTreeSet<(AlarmKey, u64)>,
    /// Occurrences a maintenance window holds back, with when it ends (ms since 1970): their
    /// escalation delay runs from then.
    held: BTreeMap<(AlarmKey, u64), u64>,
    pools: Vec<PoolUsage>,
}

/// What a device's report calls for.
#[derive(Debug, Default)]
pub struct Reported {
    /// For the alarm writer, in order.
    pub alarm_events: Vec<AlarmEvent>,
    /// Links whose end went down or up, for `dc/{id}` and the overview.
    pub link_states: Vec<LinkStateEvent>,
}

impl DataCenterState {
    pub fn new(layout: Layout<'_>) -> DataCenterState {
        let topology = topology_of(layout.data_center_id, layout.devices, layout.links);
        let engine = AlarmEngine::new(layout.rules.to_vec(), topology, FlappingConfig::default())
            .unwrap_or_else(|error| {
                tracing::error!(?error, "alarm rules rejected; alarms disabled");
                AlarmEngine::new(Vec::new(), Topology::default(), FlappingConfig::default())
                    .unwrap_or_else(|_| unreachable!("no rules cannot clash"))
            });
        DataCenterState {
            data_center_id: layout.data_center_id,
            links: layout.links.to_vec(),
            rule_names: layout
                .rules
                .iter()
                .map(|rule| (rule.id, rule.name.clone()))
                .collect(),
            escalate_after_ms: layout.escalate_after.as_millis() as u64,
            devices: layout
                .devices
                .iter()
                .map(|config| {
                    let device = Device {
                        name: config.name.clone(),
                        summary: DeviceSummary::default(),
                    };
                    (config.id, device)
                })
                .collect(),
            engine,
            links_by_end: links_by_end(layout.links),
            link_end_rates: HashMap::new(),
            link_utilization_told: HashMap::new(),
            dirty: true,
            escalated: BTreeSet::new(),
            held: BTreeMap::new(),
            pools: Vec::new(),
        }
    }

    /// Takes back, at `at_ms`, the alarms an earlier run left open (and which of them were
    /// already escalated), before any report: they stay active as recorded until the first
    /// polls confirm or clear them. Those of devices no longer here are cleared; the events
    /// for the alarm writer are returned.
    pub fn restore(
        &mut self,
        recorded: Vec<RecordedAlarm>,
        escalated: Vec<(AlarmKey, u64)>,
        at_ms: u64,
    ) -> Vec<AlarmEvent> {
        let gone: BTreeSet<i64> = recorded
            .iter()
            .map(|alarm| alarm.key.device_id)
            .filter(|device_id| !self.devices.contains_key(device_id))
            .collect();
        let mut events = self.engine.restore(recorded, at_ms);
        for device_id in gone {
            events.extend(self.engine.forget_device(device_id, at_ms));
        }
        self.escalated.extend(escalated);
        self.dirty = true;
        events
    }

    /// Takes in a new inventory at `at_ms`: devices that left are forgotten (their active
    /// alarms cleared, the events returned for the alarm writer), new ones start unknown,
    /// the others keep what they reported; links and the topology are replaced, and root
    /// causes reconsidered under it.
    pub fn relayout(
        &mut self,
        devices: &[std::sync::Arc<DeviceConfig>],
        links: &[DeviceLink],
        at_ms: u64,
    ) -> Vec<AlarmEvent> {
        let mut kept = HashMap::with_capacity(devices.len());
        for config in devices {
            let summary = self
                .devices
                .remove(&config.id)
                .map(|device| device.summary)
                .unwrap_or_default();
            let device = Device {
                name: config.name.clone(),
                summary,
            };
            kept.insert(config.id, device);
        }
        let mut events = Vec::new();
        for (device_id, _) in std::mem::replace(&mut self.devices, kept) {
            events.extend(self.engine.forget_device(device_id, at_ms));
            self.link_end_rates.remove(&device_id);
        }
        self.links = links.to_vec();
        self.links_by_end = links_by_end(links);
        let link_ids: BTreeSet<i64> = links.iter().map(|link| link.link_id).collect();
        self.link_utilization_told
            .retain(|link_id, _| link_ids.contains(link_id));
        let topology = topology_of(self.data_center_id, devices, links);
        events.extend(self.engine.set_topology(topology, at_ms));
        self.dirty = true;
        events
    }

    /// Takes in what a device's poll or trap found; a report of a device not here is ignored.
    pub fn on_report(&mut self, report: &DeviceReport) -> Reported {
        let Some(device) = self.devices.get_mut(&report.device_id) else {
            return Reported::default();
        };
        if device.summary != report.summary || !report.changes.is_empty() {
            self.dirty = true;
        }
        device.summary = report.summary;
        if self.note_link_end_rates(report) {
            self.dirty = true;
        }
        let mut alarm_events = Vec::new();
        for observation in &report.observations {
            alarm_events.extend(self.engine.observe(observation));
        }
        if !alarm_events.is_empty() {
            self.dirty = true;
        }
        Reported {
            alarm_events,
            link_states: self.link_states(report.device_id, &report.changes),
        }
    }

    /// An operator's acknowledgement or clearing, at `at_ms`.
    pub fn on_command(
        &mut self,
        action: AlarmAction,
        key: &AlarmKey,
        occurrence: u64,
        by: (i64, u64),
    ) -> Result<AlarmEvent, AlarmCommandError> {
        let (user_id, at_ms) = by;
        let event = match action {
            AlarmAction::Acknowledge => self.engine.acknowledge(key, occurrence, user_id, at_ms),
            AlarmAction::Clear => self.engine.clear(key, occurrence, user_id, at_ms),
        }?;
        self.dirty = true;
        Ok(event)
    }

    /// Judges by `rules` from `at_ms` on; the alarms they end are returned for the writer.
    pub fn set_rules(&mut self, rules: &[AlarmRule], at_ms: u64) -> Vec<AlarmEvent> {
        match self.engine.set_rules(rules.to_vec(), at_ms) {
            Ok(events) => {
                self.rule_names = rules
                    .iter()
                    .map(|rule| (rule.id, rule.name.clone()))
                    .collect();
                self.dirty = true;
                events
            }
            Err(error) => {
                tracing::error!(?error, "alarm rules rejected; the former ones stay");
                Vec::new()
            }
        }
    }

    pub fn set_pools(&mut self, pools: Vec<PoolUsage>) {
        if pools != self.pools {
            self.pools = pools;
            self.dirty = true;
        }
    }

    /// The rule's and the device's names, for an alarm's record.
    pub fn names_of(&self, key: &AlarmKey) -> (String, String) {
        let rule_name = self.rule_names.get(&key.rule_id).cloned();
        let device_name = self.devices.get(&key.device_id).map(|d| d.name.clone());
        (
            rule_name.unwrap_or_default(),
            device_name.unwrap_or_default(),
        )
    }

    /// The summary, if anything changed since it was last taken.
    pub fn take_summary(&mut self) -> Option<DataCenterSummary> {
        std::mem::take(&mut self.dirty).then(|| self.summary())
    }

    /// The links whose utilization moved enough since it was last told, if any (they count
    /// as told from now on).
    pub fn take_link_utilization(&mut self) -> Option<LinkUtilizationEvent> {
        let current: Vec<LinkUtilization> = self
            .links
            .iter()
            .map(|link| LinkUtilization {
                link_id: link.link_id,
                utilization_percent: self.link_utilization_percent(link),
            })
            .collect();
        let links = utilization_changes(&self.link_utilization_told, &current);
        if links.is_empty() {
            return None;
        }
        for link in &links {
            self.link_utilization_told
                .insert(link.link_id, link.utilization_percent);
        }
        Some(LinkUtilizationEvent {
            data_center_id: self.data_center_id,
            links,
        })
    }

    /// The major and critical root-cause alarms nobody acknowledged within the escalation
    /// delay as of `now_ms`, each occurrence once (unless it is then [held](Self::hold)).
    pub fn overdue(&mut self, now_ms: u64) -> Vec<(AlarmKey, u64)> {
        let mut still_active = BTreeSet::new();
        let mut due = Vec::new();
        for (key, active) in self.engine.active_alarms() {
            let id = (key.clone(), active.occurrence);
            still_active.insert(id.clone());
            let told_at_ms = self.held.get(&id).map_or(active.raised_at_ms, |until_ms| {
                active.raised_at_ms.max(*until_ms)
            });
            let overdue = active.acknowledged_opt.is_none()
                && active.caused_by_opt.is_none()
                && active.severity >= Severity::Major
                && now_ms >= told_at_ms.saturating_add(self.escalate_after_ms);
            if overdue && !self.escalated.contains(&id) {
                due.push(id);
            }
        }
        self.escalated.retain(|id| still_active.contains(id));
        self.held.retain(|id, _| still_active.contains(id));
        self.escalated.extend(due.iter().cloned());
        due
    }

    /// The writer did not escalate an occurrence: a maintenance window holds it back until
    /// `until_ms`. It is due again once nobody has acknowledged it for the escalation delay
    /// after that.
    pub fn hold(&mut self, key: AlarmKey, occurrence: u64, until_ms: u64) {
        let id = (key, occurrence);
        self.escalated.remove(&id);
        self.held.insert(id, until_ms);
    }

    fn summary(&self) -> DataCenterSummary {
        let mut summary = DataCenterSummary {
            data_center_id: self.data_center_id,
            devices: self.devices.len() as u32,
            ..DataCenterSummary::default()
        };
        let mut cpu_total = 0.0;
        let mut cpu_count = 0u32;
        for device in self.devices.values().map(|device| &device.summary) {
            match device.reachable_opt {
                Some(true) => summary.devices_up += 1,
                Some(false) => summary.devices_down += 1,
                None => summary.devices_unknown += 1,
            }
            summary.interfaces_down += u32::from(device.interfaces_down);
            if let Some(cpu) = device.cpu_percent_opt {
                cpu_total += f64::from(cpu);
                cpu_count += 1;
            }
            if let Some(utilization) = device.max_utilization_percent_opt {
                let max = summary.max_utilization_percent.get_or_insert(0.0);
                *max = max.max(f64::from(utilization));
            }
        }
        summary.average_cpu_percent = (cpu_count > 0).then(|| cpu_total / f64::from(cpu_count));
        summary.pools.clone_from(&self.pools);
        summary.busiest_links = busiest_links(
            &self.links,
            |link| self.link_utilization_percent(link),
            |device_id| {
                self.devices
                    .get(&device_id)
                    .map(|device| device.name.clone())
                    .unwrap_or_default()
            },
        );
        summary.busiest_devices = busiest_devices(
            self.devices
                .iter()
                .filter(|(_, device)| device.summary.reachable_opt == Some(true))
                .map(|(id, device)| {
                    (
                        *id,
                        device.name.as_str(),
                        device.summary.cpu_percent_opt.map(f64::from),
                    )
                }),
        );
        for severity in [
            Severity::Critical,
            Severity::Major,
            Severity::Minor,
            Severity::Info,
        ] {
            summary
                .alarms
                .insert(severity::name(severity).to_owned(), 0);
        }
        for (_, active) in self.engine.active_alarms() {
            *summary
                .alarms
                .entry(severity::name(active.severity).to_owned())
                .or_default() += 1;
        }
        summary
    }

    fn link_utilization_percent(&self, link: &DeviceLink) -> Option<f64> {
        let rate_at = |device_id: i64, if_index: u32| {
            self.link_end_rates
                .get(&device_id)
                .and_then(|rates| rates.get(&if_index))
                .copied()
        };
        link_utilization_percent(
            link.bandwidth_bps,
            [
                rate_at(link.a_device_id, link.a_if_index),
                rate_at(link.b_device_id, link.b_if_index),
            ],
        )
    }

    /// Keeps the rates at the device's link ends from its report: replaced after a poll,
    /// forgotten when the device is unreachable, kept after a trap (which measures nothing).
    /// Whether they changed.
    fn note_link_end_rates(&mut self, report: &DeviceReport) -> bool {
        let polled = report.summary.reachable_opt == Some(false) || !report.points.is_empty();
        if !polled {
            return false;
        }
        let mut rates: BTreeMap<u32, f64> = BTreeMap::new();
        for point in &report.points {
            let is_rate =
                [metric::INTERFACE_IN_BPS, metric::INTERFACE_OUT_BPS].contains(&point.metric);
            if is_rate
                && self
                    .links_by_end
                    .contains_key(&(report.device_id, point.instance))
            {
                let rate = rates.entry(point.instance).or_insert(point.value);
                *rate = rate.max(point.value);
            }
        }
        let before = if rates.is_empty() {
            self.link_end_rates.remove(&report.device_id)
        } else {
            self.link_end_rates.insert(report.device_id, rates.clone())
        };
        before.unwrap_or_default() != rates
    }

    /// The `link.state` events of a device's interface changes that are link ends.
    fn link_states(&self, device_id: i64, changes: &[Change]) -> Vec<LinkStateEvent> {
        changes
            .iter()
            .filter_map(|change| match change {
                Change::InterfaceDown { if_index } => Some((*if_index, false)),
                Change::InterfaceUp { if_index } => Some((*if_index, true)),
                _ => None,
            })
            .filter_map(|(if_index, up)| {
                let device_link = self.links_by_end.get(&(device_id, if_index))?;
                Some(LinkStateEvent {
                    link_id: device_link.link_id,
                    up,
                    device_id,
                    if_index,
                })
            })
            .collect()
    }
}

/// The network's shape for root causes: upstream from the core devices over the links (none,
/// with a warning, should the links form a loop the tiers cannot direct).
fn topology_of(
    data_center_id: i64,
    devices: &[std::sync::Arc<DeviceConfig>],
    links: &[DeviceLink],
) -> Topology {
    let core: Vec<i64> = devices
        .iter()
        .filter(|device| device.tier == "core")
        .map(|device| device.id)
        .collect();
    Topology::new(upstream_links(&core, links)).unwrap_or_else(|error| {
        tracing::warn!(data_center_id, ?error, "topology ignored");
        Topology::default()
    })
}

/// Links by either end, for `link.state` events.
fn links_by_end(links: &[DeviceLink]) -> HashMap<(i64, u32), DeviceLink> {
    let mut by_end = HashMap::new();
    for link in links {
        by_end.insert((link.a_device_id, link.a_if_index), link.clone());
        by_end.insert((link.b_device_id, link.b_if_index), link.clone());
    }
    by_end
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use yunguan_actors::alarm::{ClearReason, Comparison, Metric, Observation, RuleScope};

    use super::*;
    use crate::inventory::credentials::Credentials;

    const MINUTE_MS: u64 = 60_000;

    fn device(id: i64, tier: &str) -> Arc<DeviceConfig> {
        Arc::new(DeviceConfig {
            id,
            data_center_id: 1,
            name: format!("device-{id}"),
            kind: "switch".to_owned(),
            tier: tier.to_owned(),
            address: "127.0.0.1:161".parse().unwrap(),
            credentials: Credentials::V2c {
                community: "public".to_owned().into(),
            },
            poll_interval: Duration::from_secs(60),
        })
    }

    /// Two devices joined by link 7 (device 1's ifIndex 3 to device 2's ifIndex 5), and a
    /// major CPU rule, escalated after 10 minutes.
    fn state() -> DataCenterState {
        let devices = [device(1, "core"), device(2, "access")];
        let links = [DeviceLink {
            link_id: 7,
            a_device_id: 1,
            a_if_index: 3,
            b_device_id: 2,
            b_if_index: 5,
            bandwidth_bps: 1_000_000_000,
        }];
        let rules = [AlarmRule {
            id: 11,
            name: "cpu high".to_owned(),
            metric: Metric::CpuPercent,
            comparison: Comparison::Above,
            threshold: 90.0,
            for_ms: 0,
            severity: Severity::Major,
            scope: RuleScope::All,
            enabled: true,
        }];
        DataCenterState::new(Layout {
            data_center_id: 1,
            devices: &devices,
            links: &links,
            rules: &rules,
            escalate_after: Duration::from_secs(600),
        })
    }

    fn report(device_id: i64, cpu: f32, at_ms: u64) -> DeviceReport {
        DeviceReport {
            device_id,
            summary: DeviceSummary {
                reachable_opt: Some(true),
                cpu_percent_opt: Some(cpu),
                ..DeviceSummary::default()
            },
            changes: Vec::new(),
            observations: vec![Observation {
                device_id,
                device_kind: "switch".to_owned(),
                instance_opt: None,
                metric: Metric::CpuPercent,
                value: f64::from(cpu),
                at_ms,
            }],
            points: Vec::new(),
            at_ms,
            found: Default::default(),
        }
    }

    #[test]
    fn the_summary_goes_out_once_per_change() {
        let mut state = state();
        let first = state
            .take_summary()
            .expect("a new data center tells its summary");
        assert_eq!((first.devices, first.devices_unknown), (2, 2));
        assert!(state.take_summary().is_none(), "nothing changed");
        state.on_report(&report(1, 40.0, MINUTE_MS));
        let summary = state.take_summary().expect("a device came up");
        assert_eq!((summary.devices_up, summary.devices_unknown), (1, 1));
        assert_eq!(summary.average_cpu_percent, Some(40.0));
        assert_eq!(summary.alarms["major"], 0);
        state.on_report(&report(1, 40.0, 2 * MINUTE_MS));
        assert!(
            state.take_summary().is_none(),
            "the same reading changes nothing"
        );
    }

    #[test]
    fn an_interface_at_a_link_end_tells_the_link_state() {
        let mut state = state();
        let mut down = report(2, 10.0, MINUTE_MS);
        down.changes = vec![
            Change::InterfaceDown { if_index: 5 },
            // Not a link end: no event.
            Change::InterfaceDown { if_index: 6 },
        ];
        let reported = state.on_report(&down);
        assert_eq!(
            reported.link_states,
            [LinkStateEvent {
                link_id: 7,
                up: false,
                device_id: 2,
                if_index: 5,
            }]
        );
        // Another data center's device is not this one's to judge.
        assert!(state
            .on_report(&report(3, 99.0, MINUTE_MS))
            .alarm_events
            .is_empty());
    }

    #[test]
    fn a_new_inventory_keeps_what_stays_and_clears_what_left() {
        let mut state = state();
        state.on_report(&report(1, 95.0, MINUTE_MS));
        state.on_report(&report(2, 97.0, MINUTE_MS));
        state.take_summary();
        // Device 2 leaves, device 3 arrives, and the link goes with device 2.
        let events = state.relayout(
            &[device(1, "core"), device(3, "access")],
            &[],
            2 * MINUTE_MS,
        );
        let cleared: Vec<(i64, ClearReason)> = events
            .iter()
            .filter_map(|event| match event {
                AlarmEvent::Cleared { key, reason, .. } => Some((key.device_id, *reason)),
                _ => None,
            })
            .collect();
        assert_eq!(cleared, [(2, ClearReason::DeviceRemoved)], "{events:?}");
        let summary = state.take_summary().expect("the inventory changed");
        assert_eq!(
            (summary.devices, summary.devices_up, summary.devices_unknown),
            (2, 1, 1),
            "device 1 keeps its report, device 3 is not polled yet"
        );
        assert_eq!(summary.alarms["major"], 1, "device 1's alarm stays");
        // Device 2 is no longer this data center's, and the link no longer a link.
        assert!(state
            .on_report(&report(2, 99.0, 3 * MINUTE_MS))
            .alarm_events
            .is_empty());
        let mut down = report(1, 10.0, 3 * MINUTE_MS);
        down.changes = vec![Change::InterfaceDown { if_index: 3 }];
        assert!(state.on_report(&down).link_states.is_empty());
        assert_eq!(
            state.take_link_utilization().map(|event| event.links.len()),
            None
        );
    }

    #[test]
    fn open_alarms_come_back_escalated_as_they_were_and_those_of_gone_devices_clear() {
        use yunguan_actors::alarm::{ActiveAlarm, RecordedAlarm};
        let recorded = |device_id| RecordedAlarm {
            key: AlarmKey {
                rule_id: 11,
                device_id,
                instance_opt: None,
            },
            alarm: ActiveAlarm {
                occurrence: 4,
                severity: Severity::Major,
                condition_since_ms: 0,
                raised_at_ms: 0,
                raised_value: 95.0,
                last_value: 95.0,
                acknowledged_opt: None,
                caused_by_opt: None,
                awaiting_recheck: false,
            },
            flapping: false,
        };
        let mut state = state();
        let escalated = vec![(recorded(1).key, 4)];
        let events = state.restore(vec![recorded(1), recorded(9)], escalated, MINUTE_MS);
        assert!(
            matches!(
                events.as_slice(),
                [AlarmEvent::Cleared { key, reason: ClearReason::DeviceRemoved, .. }] if key.device_id == 9
            ),
            "{events:?}"
        );
        assert_eq!(state.take_summary().unwrap().alarms["major"], 1);
        // Overdue long since, but escalated before the restart.
        assert!(state.overdue(60 * MINUTE_MS).is_empty());
        // Still high at the first poll: the same occurrence, nothing raised.
        assert!(state
            .on_report(&report(1, 97.0, 2 * MINUTE_MS))
            .alarm_events
            .is_empty());
    }

    #[test]
    fn an_unacknowledged_root_cause_is_escalated_once_when_overdue() {
        let mut state = state();
        let raised = state.on_report(&report(1, 95.0, MINUTE_MS));
        assert!(matches!(
            raised.alarm_events.as_slice(),
            [AlarmEvent::Raised { .. }]
        ));
        assert_eq!(state.take_summary().unwrap().alarms["major"], 1);
        assert!(
            state.overdue(MINUTE_MS + 9 * MINUTE_MS).is_empty(),
            "not yet"
        );
        let due = state.overdue(MINUTE_MS + 10 * MINUTE_MS);
        let key = AlarmKey {
            rule_id: 11,
            device_id: 1,
            instance_opt: None,
        };
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].0, key);
        assert!(
            state.overdue(MINUTE_MS + 20 * MINUTE_MS).is_empty(),
            "only once"
        );
        assert_eq!(
            state.names_of(&key),
            ("cpu high".to_owned(), "device-1".to_owned())
        );
    }

    #[test]
    fn an_alarm_a_window_held_back_is_escalated_the_delay_after_the_window() {
        let mut state = state();
        state.on_report(&report(1, 95.0, MINUTE_MS));
        let due = state.overdue(11 * MINUTE_MS);
        assert_eq!(due.len(), 1);
        let (key, occurrence) = due[0].clone();
        // The writer declines: a window holds it back until minute 30.
        state.hold(key.clone(), occurrence, 30 * MINUTE_MS);
        assert!(
            state.overdue(31 * MINUTE_MS).is_empty(),
            "told at minute 30"
        );
        assert!(state.overdue(39 * MINUTE_MS).is_empty());
        assert_eq!(state.overdue(40 * MINUTE_MS), [(key, occurrence)]);
        assert!(state.overdue(50 * MINUTE_MS).is_empty(), "only once");
    }

    #[test]
    fn an_acknowledged_alarm_is_not_escalated() {
        let mut state = state();
        let raised = state.on_report(&report(1, 95.0, MINUTE_MS)).alarm_events;
        let [AlarmEvent::Raised {
            key, occurrence, ..
        }] = raised.as_slice()
        else {
            panic!("expected one raised alarm, got {raised:?}");
        };
        let (key, occurrence) = (key.clone(), *occurrence);
        let acknowledged = state.on_command(
            AlarmAction::Acknowledge,
            &key,
            occurrence,
            (5, 2 * MINUTE_MS),
        );
        assert!(
            matches!(acknowledged, Ok(AlarmEvent::Acknowledged { .. })),
            "{acknowledged:?}"
        );
        assert!(state.overdue(60 * MINUTE_MS).is_empty());
        assert!(state
            .on_command(
                AlarmAction::Acknowledge,
                &key,
                occurrence,
                (5, 3 * MINUTE_MS)
            )
            .is_err());
    }
}
