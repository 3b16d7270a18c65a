//! The alarm state machine: observations and operator commands in, [`AlarmEvent`]s out.
//!
//! Per [`AlarmKey`] (rule, device, instance):
//!
//! ```text
//!            condition holds for for_ms                 condition stops holding
//!  (nothing) ──────────────────────────► raised ─────────────────────────────────► cleared
//!      ▲                                  │  ▲ acknowledge (stays active,            │
//!      │                                  │  └ never re-raised)                      │
//!      │                                  └─ clear by an operator ─► cleared ───────┤
//!      │   (an operator's clear holds until the condition stops holding once)        │
//!      └──────────────── holds again: a new occurrence, numbered on ─────────────────┘
//! ```
//!
//! A key that raises and clears more than [`FlappingConfig::max_transitions`] times within
//! the window publishes one [`AlarmEvent::FlappingStarted`], then nothing until it has been
//! stable for a window, then [`AlarmEvent::FlappingEnded`] with its state as it is by then.
//!
//! Reachability alarms carry their root cause (see [`super::topology`]): a device cut off by
//! an unreachable upstream device or a downed upstream link is raised as its symptom. When
//! the root cause goes down later, or moves further up, the alarm gets
//! [`AlarmEvent::CauseChanged`]. When the device is no longer cut off, its alarm keeps the
//! cause and gets [`AlarmEvent::CauseRecovered`] until its own device is observed again,
//! since an observation made through a dead upstream says nothing about the device itself:
//! then it clears, or stands on its own (`CauseChanged` to none). The shell should poll such
//! devices at once.
//!
//! Leaves to the shell: storing alarms, notifying, and rebuilding after a restart.

use std::collections::{BTreeMap, BTreeSet};

use super::flapping::{FlappingConfig, FlappingDetector, TransitionVerdict};
use super::rule::{AlarmRule, Metric, Severity};
use super::topology::{NetworkState, Topology};
use super::{AlarmKey, Observation};

/// Who acknowledged an alarm, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acknowledgement {
    pub user_id: i64,
    pub at_ms: u64,
}

/// A raised alarm, as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveAlarm {
    /// Counts this key's alarms from 1: a raise after a clear is a new occurrence, and operator
    /// commands name the occurrence they mean, so that nobody acknowledges one they have not
    /// seen.
    pub occurrence: u64,
    pub severity: Severity,
    /// When the condition began to hold: the start of the problem, at least `for_ms` before
    /// the raise.
    pub condition_since_ms: u64,
    pub raised_at_ms: u64,
    pub raised_value: f64,
    /// The latest value while the condition holds, for the alarm list.
    pub last_value: f64,
    pub acknowledged_opt: Option<Acknowledgement>,
    /// The upstream device whose failure explains this one (reachability alarms only): a
    /// symptom rather than a problem of its own.
    pub caused_by_opt: Option<i64>,
    /// The device is no longer cut off but has not been observed since: its next observation
    /// clears the alarm or makes it stand on its own.
    pub awaiting_recheck: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearReason {
    ConditionEnded,
    Operator {
        user_id: i64,
    },
    /// The device left monitoring (deleted from the inventory, or no longer polled).
    DeviceRemoved,
    /// Its rule no longer exists.
    RuleRemoved,
    /// Its rule was disabled, or no longer covers the device.
    RuleChanged,
}

/// An alarm the record says was active when the engine last ran, to take back after a
/// restart.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAlarm {
    pub key: AlarmKey,
    pub alarm: ActiveAlarm,
    /// It was flapping: it stays held back until stable for a window.
    pub flapping: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlarmEvent {
    Raised {
        key: AlarmKey,
        occurrence: u64,
        severity: Severity,
        value: f64,
        at_ms: u64,
        /// Set for a symptom of an upstream failure: record it, page for the cause.
        caused_by_opt: Option<i64>,
    },
    Acknowledged {
        key: AlarmKey,
        occurrence: u64,
        user_id: i64,
        at_ms: u64,
    },
    Cleared {
        key: AlarmKey,
        occurrence: u64,
        reason: ClearReason,
        at_ms: u64,
    },
    /// A reachability alarm became a symptom, or its root cause moved, or (on its device's
    /// own observation) it now stands on its own.
    CauseChanged {
        key: AlarmKey,
        occurrence: u64,
        caused_by_opt: Option<i64>,
        at_ms: u64,
    },
    /// The alarm's device is no longer cut off; poll it now (see the module header).
    CauseRecovered {
        key: AlarmKey,
        occurrence: u64,
        former_cause_id: i64,
        at_ms: u64,
    },
    /// The key changes too often: its raises and clears are withheld from now on.
    FlappingStarted { key: AlarmKey, at_ms: u64 },
    /// The key was stable for a window. `active_opt` is its state now, which replaces
    /// whatever was last published for it (an alarm may have been raised or cleared quietly).
    FlappingEnded {
        key: AlarmKey,
        at_ms: u64,
        active_opt: Option<ActiveAlarm>,
    },
}

impl AlarmEvent {
    /// The alarm the event is about.
    pub fn key(&self) -> &AlarmKey {
        match self {
            AlarmEvent::Raised { key, .. }
            | AlarmEvent::Acknowledged { key, .. }
            | AlarmEvent::Cleared { key, .. }
            | AlarmEvent::CauseChanged { key, .. }
            | AlarmEvent::CauseRecovered { key, .. }
            | AlarmEvent::FlappingStarted { key, .. }
            | AlarmEvent::FlappingEnded { key, .. } => key,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmCommandError {
    /// That occurrence is not active on that key: it cleared, or a newer one replaced it.
    NotActive {
        active_occurrence_opt: Option<u64>,
    },
    AlreadyAcknowledged(Acknowledgement),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmEngineError {
    /// Two rules share an id, so their alarms would share keys.
    DuplicateRuleId(i64),
}

/// One key's state. Created when its condition first holds; kept after, for its occurrence
/// count and flapping history.
#[derive(Debug, Clone, Default)]
struct KeyState {
    /// When the condition began to hold, while it holds and no alarm is raised yet.
    condition_since_opt: Option<u64>,
    /// The raised alarm; while flapping, possibly raised quietly.
    active_opt: Option<ActiveAlarm>,
    /// An operator cleared the alarm while its condition held: no new raise until the
    /// condition has stopped holding once, or the clear would be undone at the next poll.
    cleared_by_operator_while_holding: bool,
    /// How many alarms this key has raised, to number the next.
    occurrences_raised: u64,
    flapping: FlappingDetector,
}

/// One rule's judgement of one observation.
struct Judgement<'a> {
    key: &'a AlarmKey,
    rule: &'a AlarmRule,
    holds: bool,
    value: f64,
    at_ms: u64,
    /// The device's root cause, for a reachability rule.
    caused_by_opt: Option<i64>,
}

impl KeyState {
    fn judge(
        &mut self,
        judgement: Judgement<'_>,
        flapping_config: FlappingConfig,
        events: &mut Vec<AlarmEvent>,
    ) {
        let Judgement {
            key,
            rule,
            holds,
            value,
            at_ms,
            caused_by_opt,
        } = judgement;
        let flapping = self.flapping.is_flapping();
        if holds {
            if let Some(alarm) = self.active_opt.as_mut() {
                alarm.last_value = value;
                if rule.metric == Metric::Reachable {
                    alarm.awaiting_recheck = false;
                    if alarm.caused_by_opt != caused_by_opt {
                        alarm.caused_by_opt = caused_by_opt;
                        if !flapping {
                            events.push(AlarmEvent::CauseChanged {
                                key: key.clone(),
                                occurrence: alarm.occurrence,
                                caused_by_opt,
                                at_ms,
                            });
                        }
                    }
                }
            } else if !self.cleared_by_operator_while_holding {
                let since_ms = *self.condition_since_opt.get_or_insert(at_ms);
                if at_ms.saturating_sub(since_ms) >= rule.for_ms {
                    self.condition_since_opt = None;
                    self.occurrences_raised += 1;
                    self.active_opt = Some(ActiveAlarm {
                        occurrence: self.occurrences_raised,
                        severity: rule.severity,
                        condition_since_ms: since_ms,
                        raised_at_ms: at_ms,
                        raised_value: value,
                        last_value: value,
                        acknowledged_opt: None,
                        caused_by_opt,
                        awaiting_recheck: false,
                    });
                    let raised = AlarmEvent::Raised {
                        key: key.clone(),
                        occurrence: self.occurrences_raised,
                        severity: rule.severity,
                        value,
                        at_ms,
                        caused_by_opt,
                    };
                    self.transition(raised, key, at_ms, flapping_config, events);
                }
            }
        } else {
            self.condition_since_opt = None;
            self.cleared_by_operator_while_holding = false;
            if let Some(alarm) = self.active_opt.take() {
                let cleared = AlarmEvent::Cleared {
                    key: key.clone(),
                    occurrence: alarm.occurrence,
                    reason: ClearReason::ConditionEnded,
                    at_ms,
                };
                self.transition(cleared, key, at_ms, flapping_config, events);
            }
        }
        if self.flapping.end_if_stable(flapping_config, at_ms) {
            events.push(AlarmEvent::FlappingEnded {
                key: key.clone(),
                at_ms,
                active_opt: self.active_opt.clone(),
            });
        }
    }

    /// Publishes a raise or clear, unless the key flaps.
    fn transition(
        &mut self,
        event: AlarmEvent,
        key: &AlarmKey,
        at_ms: u64,
        flapping_config: FlappingConfig,
        events: &mut Vec<AlarmEvent>,
    ) {
        match self.flapping.record_transition(flapping_config, at_ms) {
            TransitionVerdict::Publish => events.push(event),
            TransitionVerdict::FlappingStarted => events.push(AlarmEvent::FlappingStarted {
                key: key.clone(),
                at_ms,
            }),
            TransitionVerdict::Withhold => {}
        }
    }

    /// The active alarm of that occurrence.
    fn active_occurrence(
        &mut self,
        occurrence: u64,
    ) -> Result<&mut ActiveAlarm, AlarmCommandError> {
        match self.active_opt.as_mut() {
            Some(alarm) if alarm.occurrence == occurrence => Ok(alarm),
            other => Err(AlarmCommandError::NotActive {
                active_occurrence_opt: other.map(|alarm| alarm.occurrence),
            }),
        }
    }
}

/// Every alarm's state, fed by observations in time order.
#[derive(Debug, Clone)]
pub struct AlarmEngine {
    /// The rules in force; disabled ones match nothing.
    rules: Vec<AlarmRule>,
    /// Rules on [`Metric::Reachable`], whose alarms carry root causes.
    reachability_rule_ids: BTreeSet<i64>,
    topology: Topology,
    flapping_config: FlappingConfig,
    /// What the latest observations say is down, for root causes.
    network: NetworkState,
    /// Each observed device's kind, for rules scoped to a kind.
    device_kinds: BTreeMap<i64, String>,
    states_by_key: BTreeMap<AlarmKey, KeyState>,
}

impl AlarmEngine {
    pub fn new(
        rules: Vec<AlarmRule>,
        topology: Topology,
        flapping_config: FlappingConfig,
    ) -> Result<AlarmEngine, AlarmEngineError> {
        let mut rule_ids = BTreeSet::new();
        for rule in &rules {
            if !rule_ids.insert(rule.id) {
                return Err(AlarmEngineError::DuplicateRuleId(rule.id));
            }
        }
        let reachability_rule_ids = rules
            .iter()
            .filter(|rule| rule.metric == Metric::Reachable)
            .map(|rule| rule.id)
            .collect();
        Ok(AlarmEngine {
            rules,
            reachability_rule_ids,
            topology,
            flapping_config,
            network: NetworkState::default(),
            device_kinds: BTreeMap::new(),
            states_by_key: BTreeMap::new(),
        })
    }

    /// Replaces the rules (an operator changed them). The active alarms of a rule that is
    /// gone clear (`RuleRemoved`), as do those of a rule now disabled or no longer covering
    /// their device (`RuleChanged`); the others stay, judged by their rule as it now reads
    /// from the next observation on (a threshold their value no longer crosses clears them
    /// then; a new severity applies to the next raise).
    pub fn set_rules(
        &mut self,
        rules: Vec<AlarmRule>,
        at_ms: u64,
    ) -> Result<Vec<AlarmEvent>, AlarmEngineError> {
        let replacement = AlarmEngine::new(rules, Topology::default(), self.flapping_config)?;
        self.rules = replacement.rules;
        self.reachability_rule_ids = replacement.reachability_rule_ids;
        let mut events = Vec::new();
        let rules = &self.rules;
        let device_kinds = &self.device_kinds;
        self.states_by_key.retain(|key, state| {
            let reason_opt = match rules.iter().find(|rule| rule.id == key.rule_id) {
                None => Some(ClearReason::RuleRemoved),
                Some(rule) => {
                    let uncovered = device_kinds
                        .get(&key.device_id)
                        .is_some_and(|kind| !rule.scope.covers(key.device_id, kind));
                    (!rule.enabled || uncovered).then_some(ClearReason::RuleChanged)
                }
            };
            let Some(reason) = reason_opt else {
                return true;
            };
            if let Some(alarm) = state.active_opt.take() {
                events.push(AlarmEvent::Cleared {
                    key: key.clone(),
                    occurrence: alarm.occurrence,
                    reason,
                    at_ms,
                });
            }
            // A disabled rule keeps its count, so that enabling it again numbers on.
            reason == ClearReason::RuleChanged
        });
        Ok(events)
    }

    /// Judges one observation by every rule that applies to it; then, if it changed what is
    /// up in the network, reconsiders the root cause of every reachability alarm.
    pub fn observe(&mut self, observation: &Observation) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        if !observation.value.is_finite() {
            return events;
        }
        if self.device_kinds.get(&observation.device_id) != Some(&observation.device_kind) {
            self.device_kinds
                .insert(observation.device_id, observation.device_kind.clone());
        }
        let network_changed = self.network.record(observation);
        let root_cause_by_device = if network_changed || observation.metric == Metric::Reachable {
            self.topology.cut_off_devices(&self.network)
        } else {
            BTreeMap::new()
        };
        for rule in self
            .rules
            .iter()
            .filter(|rule| rule.applies_to(observation))
        {
            let key = AlarmKey {
                rule_id: rule.id,
                device_id: observation.device_id,
                instance_opt: observation.instance_opt.clone(),
            };
            let holds = rule.condition_holds(observation.value);
            let state_opt = if holds {
                Some(self.states_by_key.entry(key.clone()).or_default())
            } else {
                self.states_by_key.get_mut(&key)
            };
            let Some(state) = state_opt else {
                continue;
            };
            let caused_by_opt = match rule.metric {
                Metric::Reachable => root_cause_by_device.get(&observation.device_id).copied(),
                _ => None,
            };
            let judgement = Judgement {
                key: &key,
                rule,
                holds,
                value: observation.value,
                at_ms: observation.at_ms,
                caused_by_opt,
            };
            state.judge(judgement, self.flapping_config, &mut events);
        }
        if network_changed {
            self.reconsider_root_causes(&root_cause_by_device, observation.at_ms, &mut events);
        }
        events
    }

    fn reconsider_root_causes(
        &mut self,
        root_cause_by_device: &BTreeMap<i64, i64>,
        at_ms: u64,
        events: &mut Vec<AlarmEvent>,
    ) {
        let reachability_keys = self
            .states_by_key
            .iter_mut()
            .filter(|(key, _)| self.reachability_rule_ids.contains(&key.rule_id));
        for (key, state) in reachability_keys {
            let flapping = state.flapping.is_flapping();
            let Some(alarm) = state.active_opt.as_mut() else {
                continue;
            };
            let root_cause_opt = root_cause_by_device.get(&key.device_id).copied();
            match (alarm.caused_by_opt, root_cause_opt) {
                (current_opt, Some(root_cause)) if current_opt != Some(root_cause) => {
                    alarm.caused_by_opt = Some(root_cause);
                    alarm.awaiting_recheck = false;
                    if !flapping {
                        events.push(AlarmEvent::CauseChanged {
                            key: key.clone(),
                            occurrence: alarm.occurrence,
                            caused_by_opt: Some(root_cause),
                            at_ms,
                        });
                    }
                }
                (Some(_), Some(_)) => alarm.awaiting_recheck = false,
                (Some(former_cause_id), None) if !alarm.awaiting_recheck => {
                    alarm.awaiting_recheck = true;
                    if !flapping {
                        events.push(AlarmEvent::CauseRecovered {
                            key: key.clone(),
                            occurrence: alarm.occurrence,
                            former_cause_id,
                            at_ms,
                        });
                    }
                }
                _ => {}
            }
        }
    }

    /// Takes back the alarms that were active when the engine last ran (after a restart): each
    /// stays active as recorded (its occurrence, raise, acknowledgement and root cause) until
    /// observations clear it, and what it says is down counts for root causes meanwhile. An
    /// alarm whose rule is gone is cleared (its event returned), as is the older of two
    /// occurrences of one key.
    pub fn restore(&mut self, recorded: Vec<RecordedAlarm>, at_ms: u64) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        for RecordedAlarm {
            key,
            alarm,
            flapping,
        } in recorded
        {
            let Some(rule) = self.rules.iter().find(|rule| rule.id == key.rule_id) else {
                events.push(AlarmEvent::Cleared {
                    key,
                    occurrence: alarm.occurrence,
                    reason: ClearReason::RuleRemoved,
                    at_ms,
                });
                continue;
            };
            self.network.record(&Observation {
                device_id: key.device_id,
                device_kind: String::new(),
                instance_opt: key.instance_opt.clone(),
                metric: rule.metric,
                value: 0.0,
                at_ms,
            });
            let state = self.states_by_key.entry(key.clone()).or_default();
            if let Some(older) = state.active_opt.take() {
                let (older, newer) = if older.occurrence < alarm.occurrence {
                    (older, alarm)
                } else {
                    (alarm, older)
                };
                events.push(AlarmEvent::Cleared {
                    key: key.clone(),
                    occurrence: older.occurrence,
                    reason: ClearReason::ConditionEnded,
                    at_ms,
                });
                state.active_opt = Some(newer);
            } else {
                state.active_opt = Some(alarm);
            }
            let occurrence = state
                .active_opt
                .as_ref()
                .map_or(0, |alarm| alarm.occurrence);
            state.occurrences_raised = state.occurrences_raised.max(occurrence);
            if flapping {
                state.flapping.restore_flapping(at_ms);
            }
        }
        events
    }

    /// Forgets a device that is no longer monitored: each of its active alarms is cleared
    /// (announced even while its key flaps, since nothing will clear it later), its keys and
    /// what was observed of it are dropped, and, if it was down, the root causes of the
    /// remaining reachability alarms are reconsidered.
    pub fn forget_device(&mut self, device_id: i64, at_ms: u64) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        self.states_by_key.retain(|key, state| {
            if key.device_id != device_id {
                return true;
            }
            if let Some(alarm) = state.active_opt.take() {
                events.push(AlarmEvent::Cleared {
                    key: key.clone(),
                    occurrence: alarm.occurrence,
                    reason: ClearReason::DeviceRemoved,
                    at_ms,
                });
            }
            false
        });
        self.device_kinds.remove(&device_id);
        if self.network.forget(device_id) {
            let root_cause_by_device = self.topology.cut_off_devices(&self.network);
            self.reconsider_root_causes(&root_cause_by_device, at_ms, &mut events);
        }
        events
    }

    /// Replaces the network's shape (links or tiers changed) and reconsiders the root cause
    /// of every reachability alarm under the new one.
    pub fn set_topology(&mut self, topology: Topology, at_ms: u64) -> Vec<AlarmEvent> {
        self.topology = topology;
        let root_cause_by_device = self.topology.cut_off_devices(&self.network);
        let mut events = Vec::new();
        self.reconsider_root_causes(&root_cause_by_device, at_ms, &mut events);
        events
    }

    /// A user takes an active alarm on: it stays active, and is not raised again while its
    /// condition holds.
    pub fn acknowledge(
        &mut self,
        key: &AlarmKey,
        occurrence: u64,
        user_id: i64,
        at_ms: u64,
    ) -> Result<AlarmEvent, AlarmCommandError> {
        let alarm = self.active_occurrence(key, occurrence)?;
        if let Some(acknowledgement) = alarm.acknowledged_opt {
            return Err(AlarmCommandError::AlreadyAcknowledged(acknowledgement));
        }
        alarm.acknowledged_opt = Some(Acknowledgement { user_id, at_ms });
        Ok(AlarmEvent::Acknowledged {
            key: key.clone(),
            occurrence,
            user_id,
            at_ms,
        })
    }

    /// An operator clears an active alarm by hand. It is not raised again until its
    /// condition has stopped holding once.
    pub fn clear(
        &mut self,
        key: &AlarmKey,
        occurrence: u64,
        user_id: i64,
        at_ms: u64,
    ) -> Result<AlarmEvent, AlarmCommandError> {
        self.active_occurrence(key, occurrence)?;
        if let Some(state) = self.states_by_key.get_mut(key) {
            state.active_opt = None;
            state.cleared_by_operator_while_holding = true;
        }
        Ok(AlarmEvent::Cleared {
            key: key.clone(),
            occurrence,
            reason: ClearReason::Operator { user_id },
            at_ms,
        })
    }

    fn active_occurrence(
        &mut self,
        key: &AlarmKey,
        occurrence: u64,
    ) -> Result<&mut ActiveAlarm, AlarmCommandError> {
        match self.states_by_key.get_mut(key) {
            Some(state) => state.active_occurrence(occurrence),
            None => Err(AlarmCommandError::NotActive {
                active_occurrence_opt: None,
            }),
        }
    }

    pub fn active_alarm(&self, key: &AlarmKey) -> Option<&ActiveAlarm> {
        self.states_by_key
            .get(key)
            .and_then(|state| state.active_opt.as_ref())
    }

    /// Every active alarm, most severe first, then by key. While a key flaps this is its
    /// real state, which may differ from what was last published.
    pub fn active_alarms(&self) -> Vec<(&AlarmKey, &ActiveAlarm)> {
        let mut alarms: Vec<(&AlarmKey, &ActiveAlarm)> = self
            .states_by_key
            .iter()
            .filter_map(|(key, state)| state.active_opt.as_ref().map(|alarm| (key, alarm)))
            .collect();
        alarms.sort_by(|(left_key, left), (right_key, right)| {
            right
                .severity
                .cmp(&left.severity)
                .then_with(|| left_key.cmp(right_key))
        });
        alarms
    }

    pub fn is_flapping(&self, key: &AlarmKey) -> bool {
        self.states_by_key
            .get(key)
            .is_some_and(|state| state.flapping.is_flapping())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::rule::{default_rules, Comparison, RuleScope};
    use crate::alarm::topology::UpstreamLink;

    const MINUTE_MS: u64 = 60_000;
    const OPERATOR: i64 = 9;

    /// One step of a scenario; its outcome is described in one line per event (or per active
    /// alarm), so that tables read like a log.
    #[derive(Debug)]
    enum Step {
        See(Observation),
        Acknowledge(AlarmKey, u64, u64),
        Clear(AlarmKey, u64, u64),
        /// The device leaves monitoring at the minute.
        Forget(i64, u64),
        /// The engine starts again at the minute, with what was recorded active.
        Restore(Vec<RecordedAlarm>, u64),
        /// An operator changes the rules at the minute.
        SetRules(Vec<AlarmRule>, u64),
        /// The network takes a new shape at the minute.
        Reshape(Topology, u64),
        ActiveAlarms,
    }

    fn seen(
        device_id: i64,
        device_kind: &str,
        metric: Metric,
        instance: Option<&str>,
        value: f64,
        minute: u64,
    ) -> Step {
        Step::See(Observation {
            device_id,
            device_kind: device_kind.to_owned(),
            instance_opt: instance.map(str::to_owned),
            metric,
            value,
            at_ms: minute * MINUTE_MS,
        })
    }

    fn reachable(device_id: i64, up: bool, minute: u64) -> Step {
        let value = if up { 1.0 } else { 0.0 };
        seen(device_id, "switch", Metric::Reachable, None, value, minute)
    }

    fn port(device_id: i64, interface: &str, up: bool, minute: u64) -> Step {
        let value = if up { 1.0 } else { 0.0 };
        seen(
            device_id,
            "switch",
            Metric::InterfaceOperUp,
            Some(interface),
            value,
            minute,
        )
    }

    fn cpu(device_id: i64, percent: f64, minute: u64) -> Step {
        seen(
            device_id,
            "switch",
            Metric::CpuPercent,
            None,
            percent,
            minute,
        )
    }

    fn key(rule_id: i64, device_id: i64, instance: Option<&str>) -> AlarmKey {
        AlarmKey {
            rule_id,
            device_id,
            instance_opt: instance.map(str::to_owned),
        }
    }

    fn name(key: &AlarmKey) -> String {
        let instance = key.instance_opt.as_deref().unwrap_or("-");
        format!("{}/{}/{instance}", key.rule_id, key.device_id)
    }

    fn cause(caused_by_opt: Option<i64>) -> String {
        caused_by_opt.map_or(String::new(), |id| format!(" caused by {id}"))
    }

    fn describe(event: &AlarmEvent) -> String {
        match event {
            AlarmEvent::Raised {
                key,
                occurrence,
                severity,
                caused_by_opt,
                ..
            } => format!(
                "raised {} #{occurrence} {severity:?}{}",
                name(key),
                cause(*caused_by_opt)
            ),
            AlarmEvent::Acknowledged {
                key,
                occurrence,
                user_id,
                ..
            } => format!("acknowledged {} #{occurrence} by {user_id}", name(key)),
            AlarmEvent::Cleared {
                key,
                occurrence,
                reason,
                ..
            } => match reason {
                ClearReason::ConditionEnded => format!("cleared {} #{occurrence}", name(key)),
                ClearReason::Operator { user_id } => {
                    format!("cleared {} #{occurrence} by {user_id}", name(key))
                }
                ClearReason::DeviceRemoved => {
                    format!("cleared {} #{occurrence}, device removed", name(key))
                }
                ClearReason::RuleRemoved => {
                    format!("cleared {} #{occurrence}, rule removed", name(key))
                }
                ClearReason::RuleChanged => {
                    format!("cleared {} #{occurrence}, rule changed", name(key))
                }
            },
            AlarmEvent::CauseChanged {
                key,
                occurrence,
                caused_by_opt,
                ..
            } => match caused_by_opt {
                Some(id) => format!("{} #{occurrence} now caused by {id}", name(key)),
                None => format!("{} #{occurrence} stands on its own", name(key)),
            },
            AlarmEvent::CauseRecovered {
                key,
                occurrence,
                former_cause_id,
                ..
            } => format!(
                "{} #{occurrence} recheck, {former_cause_id} recovered",
                name(key)
            ),
            AlarmEvent::FlappingStarted { key, .. } => format!("{} flapping", name(key)),
            AlarmEvent::FlappingEnded {
                key, active_opt, ..
            } => match active_opt {
                Some(alarm) => format!("{} stable, active #{}", name(key), alarm.occurrence),
                None => format!("{} stable, clear", name(key)),
            },
        }
    }

    fn describe_active(key: &AlarmKey, alarm: &ActiveAlarm) -> String {
        let acknowledged = match alarm.acknowledged_opt {
            Some(acknowledgement) => format!(" acknowledged by {}", acknowledgement.user_id),
            None => String::new(),
        };
        let recheck = if alarm.awaiting_recheck {
            " awaiting recheck"
        } else {
            ""
        };
        format!(
            "{} #{} {:?}{acknowledged}{}{recheck}",
            name(key),
            alarm.occurrence,
            alarm.severity,
            cause(alarm.caused_by_opt)
        )
    }

    fn describe_command(outcome: Result<AlarmEvent, AlarmCommandError>) -> String {
        match outcome {
            Ok(event) => describe(&event),
            Err(refusal) => format!("refused: {refusal:?}"),
        }
    }

    fn run(
        scenario: &str,
        rules: Vec<AlarmRule>,
        topology: Topology,
        steps: Vec<(Step, &[&str])>,
    ) -> AlarmEngine {
        let mut engine = AlarmEngine::new(rules, topology, FlappingConfig::default()).unwrap();
        for (step_index, (step, expected)) in steps.into_iter().enumerate() {
            let outcome: Vec<String> = match &step {
                Step::See(observation) => {
                    engine.observe(observation).iter().map(describe).collect()
                }
                Step::Acknowledge(key, occurrence, minute) => vec![describe_command(
                    engine.acknowledge(key, *occurrence, OPERATOR, minute * MINUTE_MS),
                )],
                Step::Clear(key, occurrence, minute) => vec![describe_command(engine.clear(
                    key,
                    *occurrence,
                    OPERATOR,
                    minute * MINUTE_MS,
                ))],
                Step::SetRules(rules, minute) => engine
                    .set_rules(rules.clone(), minute * MINUTE_MS)
                    .unwrap()
                    .iter()
                    .map(describe)
                    .collect(),
                Step::Restore(recorded, minute) => engine
                    .restore(recorded.clone(), minute * MINUTE_MS)
                    .iter()
                    .map(describe)
                    .collect(),
                Step::Forget(device_id, minute) => engine
                    .forget_device(*device_id, minute * MINUTE_MS)
                    .iter()
                    .map(describe)
                    .collect(),
                Step::Reshape(topology, minute) => engine
                    .set_topology(topology.clone(), minute * MINUTE_MS)
                    .iter()
                    .map(describe)
                    .collect(),
                Step::ActiveAlarms => engine
                    .active_alarms()
                    .into_iter()
                    .map(|(key, alarm)| describe_active(key, alarm))
                    .collect(),
            };
            assert_eq!(outcome, expected, "{scenario}, step {step_index}: {step:?}");
        }
        engine
    }

    fn defaults(scenario: &str, steps: Vec<(Step, &[&str])>) -> AlarmEngine {
        run(scenario, default_rules(), Topology::default(), steps)
    }

    #[test]
    fn a_condition_must_hold_for_the_rules_duration() {
        defaults(
            "cpu above 90% for 4 minutes, then a dip, then 5 minutes",
            vec![
                (cpu(1, 95.0, 0), &[]),
                (cpu(1, 97.0, 2), &[]),
                (cpu(1, 95.0, 4), &[]),
                (cpu(1, 60.0, 5), &[]),
                (cpu(1, 95.0, 6), &[]),
                (cpu(1, 95.0, 10), &[]),
                (cpu(1, 96.0, 11), &["raised 4/1/- #1 Major"]),
                (cpu(1, 99.0, 12), &[]),
                (cpu(1, 40.0, 13), &["cleared 4/1/- #1"]),
            ],
        );
        defaults(
            "storage waits 10 minutes, per storage unit",
            vec![
                (
                    seen(2, "server", Metric::StoragePercent, Some("disk0"), 95.0, 0),
                    &[],
                ),
                (
                    seen(2, "server", Metric::StoragePercent, Some("disk1"), 95.0, 5),
                    &[],
                ),
                (
                    seen(2, "server", Metric::StoragePercent, Some("disk0"), 95.0, 9),
                    &[],
                ),
                (
                    seen(2, "server", Metric::StoragePercent, Some("disk0"), 95.0, 10),
                    &["raised 5/2/disk0 #1 Major"],
                ),
                (
                    seen(2, "server", Metric::StoragePercent, Some("disk1"), 95.0, 10),
                    &[],
                ),
                (
                    seen(2, "server", Metric::StoragePercent, Some("disk1"), 95.0, 15),
                    &["raised 5/2/disk1 #1 Major"],
                ),
            ],
        );
        defaults(
            "down and unreachable raise at once",
            vec![
                (reachable(3, false, 0), &["raised 1/3/- #1 Critical"]),
                (port(4, "1", false, 0), &["raised 2/4/1 #1 Major"]),
                (
                    seen(
                        4,
                        "switch",
                        Metric::InterfaceUtilizationPercent,
                        Some("1"),
                        85.0,
                        0,
                    ),
                    &[],
                ),
                (
                    seen(
                        4,
                        "switch",
                        Metric::InterfaceUtilizationPercent,
                        Some("1"),
                        85.0,
                        5,
                    ),
                    &["raised 3/4/1 #1 Minor"],
                ),
            ],
        );
        defaults(
            "a value that is not a number changes nothing",
            vec![
                (cpu(1, 95.0, 0), &[]),
                (cpu(1, f64::NAN, 3), &[]),
                (cpu(1, 95.0, 5), &["raised 4/1/- #1 Major"]),
                (cpu(1, f64::INFINITY, 6), &[]),
                (Step::ActiveAlarms, &["4/1/- #1 Major"]),
            ],
        );
    }

    #[test]
    fn each_interface_has_its_own_alarm() {
        defaults(
            "two ports down on one switch",
            vec![
                (port(1, "1", false, 0), &["raised 2/1/1 #1 Major"]),
                (port(1, "2", false, 0), &["raised 2/1/2 #1 Major"]),
                (port(1, "1", false, 1), &[]),
                (
                    Step::Acknowledge(key(2, 1, Some("1")), 1, 2),
                    &["acknowledged 2/1/1 #1 by 9"],
                ),
                (
                    Step::ActiveAlarms,
                    &["2/1/1 #1 Major acknowledged by 9", "2/1/2 #1 Major"],
                ),
                (port(1, "1", true, 3), &["cleared 2/1/1 #1"]),
                (Step::ActiveAlarms, &["2/1/2 #1 Major"]),
                (
                    Step::Clear(key(2, 1, Some("2")), 1, 4),
                    &["cleared 2/1/2 #1 by 9"],
                ),
                (Step::ActiveAlarms, &[]),
                (port(1, "2", false, 5), &[]),
                (port(1, "2", true, 6), &[]),
                (port(1, "2", false, 7), &["raised 2/1/2 #2 Major"]),
            ],
        );
    }

    #[test]
    fn acknowledge_then_clear_then_raise_again() {
        let unreachable = key(1, 5, None);
        defaults(
            "one device's reachability",
            vec![
                (reachable(5, false, 0), &["raised 1/5/- #1 Critical"]),
                (
                    Step::Acknowledge(unreachable.clone(), 1, 1),
                    &["acknowledged 1/5/- #1 by 9"],
                ),
                (
                    Step::Acknowledge(unreachable.clone(), 1, 2),
                    &["refused: AlreadyAcknowledged(Acknowledgement { user_id: 9, at_ms: 60000 })"],
                ),
                (reachable(5, false, 2), &[]),
                (Step::ActiveAlarms, &["1/5/- #1 Critical acknowledged by 9"]),
                (reachable(5, true, 3), &["cleared 1/5/- #1"]),
                (
                    Step::Acknowledge(unreachable.clone(), 1, 4),
                    &["refused: NotActive { active_occurrence_opt: None }"],
                ),
                (reachable(5, false, 5), &["raised 1/5/- #2 Critical"]),
                (Step::ActiveAlarms, &["1/5/- #2 Critical"]),
                (
                    Step::Clear(unreachable.clone(), 1, 6),
                    &["refused: NotActive { active_occurrence_opt: Some(2) }"],
                ),
                (
                    Step::Acknowledge(key(1, 6, None), 1, 6),
                    &["refused: NotActive { active_occurrence_opt: None }"],
                ),
            ],
        );
    }

    #[test]
    fn a_flapping_key_is_held_back_until_stable() {
        let engine = defaults(
            "a port going up and down every minute, then staying down",
            vec![
                (port(1, "1", false, 0), &["raised 2/1/1 #1 Major"]),
                (port(1, "1", true, 1), &["cleared 2/1/1 #1"]),
                (port(1, "1", false, 2), &["raised 2/1/1 #2 Major"]),
                (port(1, "1", true, 3), &["cleared 2/1/1 #2"]),
                (port(1, "1", false, 4), &["raised 2/1/1 #3 Major"]),
                (port(1, "1", true, 5), &["2/1/1 flapping"]),
                (port(1, "1", false, 6), &[]),
                (port(1, "1", true, 7), &[]),
                (port(1, "1", false, 8), &[]),
                (port(1, "2", false, 8), &["raised 2/1/2 #1 Major"]),
                (port(1, "1", false, 12), &[]),
                (port(1, "1", false, 17), &[]),
                (port(1, "1", false, 18), &["2/1/1 stable, active #5"]),
                (port(1, "1", true, 19), &["cleared 2/1/1 #5"]),
            ],
        );
        assert!(!engine.is_flapping(&key(2, 1, Some("1"))));

        defaults(
            "flapping that settles cleared",
            vec![
                (port(1, "1", false, 0), &["raised 2/1/1 #1 Major"]),
                (port(1, "1", true, 0), &["cleared 2/1/1 #1"]),
                (port(1, "1", false, 0), &["raised 2/1/1 #2 Major"]),
                (port(1, "1", true, 0), &["cleared 2/1/1 #2"]),
                (port(1, "1", false, 0), &["raised 2/1/1 #3 Major"]),
                (port(1, "1", true, 0), &["2/1/1 flapping"]),
                (port(1, "1", true, 9), &[]),
                (port(1, "1", true, 10), &["2/1/1 stable, clear"]),
                (port(1, "1", true, 11), &[]),
            ],
        );
    }

    const CORE: i64 = 1;
    const AGG_1: i64 = 10;
    const AGG_2: i64 = 11;
    const ACCESS: i64 = 100;
    const DUAL_HOMED: i64 = 200;

    /// core → agg-1 (port 3) → access; core → agg-2; dual-homed under agg-1 and agg-2.
    fn campus() -> Topology {
        let link = |device_id: i64, upstream_device_id: i64, interface: &str| UpstreamLink {
            device_id,
            upstream_device_id,
            upstream_interface_opt: Some(interface.to_owned()),
        };
        Topology::new(vec![
            link(AGG_1, CORE, "1"),
            link(AGG_2, CORE, "2"),
            link(ACCESS, AGG_1, "3"),
            link(DUAL_HOMED, AGG_1, "7"),
            link(DUAL_HOMED, AGG_2, "7"),
        ])
        .unwrap()
    }

    #[test]
    fn unreachable_devices_behind_a_failure_are_its_symptoms() {
        run(
            "an outage spreading up to the core, then recovering",
            default_rules(),
            campus(),
            vec![
                (reachable(AGG_1, false, 0), &["raised 1/10/- #1 Critical"]),
                (
                    reachable(ACCESS, false, 0),
                    &["raised 1/100/- #1 Critical caused by 10"],
                ),
                // Its other path, through agg-2, is up: a problem of its own.
                (
                    reachable(DUAL_HOMED, false, 0),
                    &["raised 1/200/- #1 Critical"],
                ),
                (
                    reachable(AGG_2, false, 1),
                    &["raised 1/11/- #1 Critical", "1/200/- #1 now caused by 10"],
                ),
                (
                    reachable(CORE, false, 2),
                    &[
                        "raised 1/1/- #1 Critical",
                        "1/10/- #1 now caused by 1",
                        "1/11/- #1 now caused by 1",
                        "1/100/- #1 now caused by 1",
                        "1/200/- #1 now caused by 1",
                    ],
                ),
                (
                    Step::ActiveAlarms,
                    &[
                        "1/1/- #1 Critical",
                        "1/10/- #1 Critical caused by 1",
                        "1/11/- #1 Critical caused by 1",
                        "1/100/- #1 Critical caused by 1",
                        "1/200/- #1 Critical caused by 1",
                    ],
                ),
                (
                    reachable(CORE, true, 3),
                    &[
                        "cleared 1/1/- #1",
                        "1/10/- #1 recheck, 1 recovered",
                        "1/11/- #1 recheck, 1 recovered",
                        "1/100/- #1 now caused by 10",
                        "1/200/- #1 now caused by 10",
                    ],
                ),
                (
                    reachable(AGG_1, true, 4),
                    &[
                        "cleared 1/10/- #1",
                        "1/100/- #1 recheck, 10 recovered",
                        "1/200/- #1 recheck, 10 recovered",
                    ],
                ),
                (
                    Step::ActiveAlarms,
                    &[
                        "1/11/- #1 Critical caused by 1 awaiting recheck",
                        "1/100/- #1 Critical caused by 10 awaiting recheck",
                        "1/200/- #1 Critical caused by 10 awaiting recheck",
                    ],
                ),
                (reachable(ACCESS, true, 5), &["cleared 1/100/- #1"]),
                (
                    reachable(DUAL_HOMED, false, 5),
                    &["1/200/- #1 stands on its own"],
                ),
                (reachable(AGG_2, false, 6), &["1/11/- #1 stands on its own"]),
                (
                    Step::ActiveAlarms,
                    &["1/11/- #1 Critical", "1/200/- #1 Critical"],
                ),
            ],
        );
    }

    #[test]
    fn rules_changed_while_running_take_effect_at_once_or_at_the_next_observation() {
        // The defaults without the CPU rule, and rule 6: CPU above `threshold`, at once.
        let with_rule_6 = |threshold: f64, scope: RuleScope, enabled: bool| {
            let mut rules: Vec<AlarmRule> = default_rules()
                .into_iter()
                .filter(|rule| rule.id != 4)
                .collect();
            rules.push(AlarmRule {
                id: 6,
                name: "cpu busy".to_owned(),
                metric: Metric::CpuPercent,
                comparison: Comparison::Above,
                threshold,
                for_ms: 0,
                severity: Severity::Major,
                scope,
                enabled,
            });
            rules
        };
        let without_rule_6: Vec<AlarmRule> = default_rules()
            .into_iter()
            .filter(|rule| rule.id != 4)
            .collect();
        run(
            "an operator raises a threshold, narrows a scope, widens it again, then deletes the rule",
            with_rule_6(50.0, RuleScope::All, true),
            Topology::default(),
            vec![
                (cpu(AGG_1, 95.0, 0), &["raised 6/10/- #1 Major"]),
                // Judged by the new threshold from the next observation.
                (Step::SetRules(with_rule_6(99.0, RuleScope::All, true), 1), &[]),
                (cpu(AGG_1, 95.0, 2), &["cleared 6/10/- #1"]),
                (cpu(AGG_1, 100.0, 3), &["raised 6/10/- #2 Major"]),
                (
                    Step::SetRules(
                        with_rule_6(99.0, RuleScope::DeviceKind("router".to_owned()), true),
                        4,
                    ),
                    &["cleared 6/10/- #2, rule changed"],
                ),
                (cpu(AGG_1, 100.0, 5), &[]),
                (
                    Step::SetRules(with_rule_6(99.0, RuleScope::All, false), 6),
                    &[],
                ),
                (cpu(AGG_1, 100.0, 7), &[]),
                (Step::SetRules(with_rule_6(99.0, RuleScope::All, true), 8), &[]),
                (cpu(AGG_1, 100.0, 9), &["raised 6/10/- #3 Major"]),
                (
                    Step::SetRules(without_rule_6, 10),
                    &["cleared 6/10/- #3, rule removed"],
                ),
                (Step::ActiveAlarms, &[]),
            ],
        );
    }

    /// An alarm as the record holds it: raised at minute 0.
    fn recorded(
        key: AlarmKey,
        occurrence: u64,
        acknowledged_by_opt: Option<i64>,
        caused_by_opt: Option<i64>,
        flapping: bool,
    ) -> RecordedAlarm {
        RecordedAlarm {
            key,
            alarm: ActiveAlarm {
                occurrence,
                severity: Severity::Critical,
                condition_since_ms: 0,
                raised_at_ms: 0,
                raised_value: 0.0,
                last_value: 0.0,
                acknowledged_opt: acknowledged_by_opt
                    .map(|user_id| Acknowledgement { user_id, at_ms: 0 }),
                caused_by_opt,
                awaiting_recheck: false,
            },
            flapping,
        }
    }

    #[test]
    fn a_restart_takes_back_what_was_active() {
        run(
            "the engine restarts with agg-1 down (acknowledged), the access switch its symptom",
            default_rules(),
            campus(),
            vec![
                (
                    Step::Restore(
                        vec![
                            recorded(key(1, AGG_1, None), 3, Some(OPERATOR), None, false),
                            recorded(key(1, ACCESS, None), 2, None, Some(AGG_1), false),
                            recorded(key(2, AGG_1, Some("3")), 1, None, None, true),
                            recorded(key(99, ACCESS, None), 1, None, None, false),
                        ],
                        1,
                    ),
                    &["cleared 99/100/- #1, rule removed"],
                ),
                (
                    Step::ActiveAlarms,
                    &[
                        "1/10/- #3 Critical acknowledged by 9",
                        "1/100/- #2 Critical caused by 10",
                        "2/10/3 #1 Critical",
                    ],
                ),
                (
                    Step::Acknowledge(key(1, AGG_1, None), 3, 2),
                    &["refused: AlreadyAcknowledged(Acknowledgement { user_id: 9, at_ms: 0 })"],
                ),
                // The first polls confirm them: nothing new is raised.
                (reachable(AGG_1, false, 2), &[]),
                (reachable(ACCESS, false, 2), &[]),
                // Still flapping: its clear is held back.
                (port(AGG_1, "3", true, 2), &[]),
                (
                    reachable(AGG_1, true, 3),
                    &["cleared 1/10/- #3", "1/100/- #2 recheck, 10 recovered"],
                ),
                // Numbered on from the recorded occurrence.
                (reachable(AGG_1, false, 4), &["raised 1/10/- #4 Critical"]),
                (port(AGG_1, "3", true, 13), &["2/10/3 stable, clear"]),
            ],
        );
    }

    #[test]
    fn a_removed_device_takes_its_alarms_and_its_blame_with_it() {
        let engine = run(
            "agg-1 fails, then leaves the inventory; the network is rewired",
            default_rules(),
            campus(),
            vec![
                (reachable(AGG_1, false, 0), &["raised 1/10/- #1 Critical"]),
                (cpu(AGG_1, 99.0, 0), &[]),
                (cpu(AGG_1, 99.0, 6), &["raised 4/10/- #1 Major"]),
                (
                    reachable(ACCESS, false, 6),
                    &["raised 1/100/- #1 Critical caused by 10"],
                ),
                (
                    Step::Forget(AGG_1, 7),
                    &[
                        "cleared 1/10/- #1, device removed",
                        "cleared 4/10/- #1, device removed",
                        "1/100/- #1 recheck, 10 recovered",
                    ],
                ),
                (Step::Forget(AGG_1, 7), &[]),
                (
                    reachable(ACCESS, false, 8),
                    &["1/100/- #1 stands on its own"],
                ),
                // The access switch is recabled under agg-2, which is down: its symptom.
                (reachable(AGG_2, false, 9), &["raised 1/11/- #1 Critical"]),
                (
                    Step::Reshape(
                        Topology::new(vec![
                            UpstreamLink {
                                device_id: AGG_2,
                                upstream_device_id: CORE,
                                upstream_interface_opt: None,
                            },
                            UpstreamLink {
                                device_id: ACCESS,
                                upstream_device_id: AGG_2,
                                upstream_interface_opt: None,
                            },
                        ])
                        .unwrap(),
                        10,
                    ),
                    &["1/100/- #1 now caused by 11"],
                ),
                (
                    Step::ActiveAlarms,
                    &["1/11/- #1 Critical", "1/100/- #1 Critical caused by 11"],
                ),
            ],
        );
        // Its keys are gone: a device of the same id starts from its first occurrence.
        assert!(engine
            .active_alarms()
            .iter()
            .all(|(key, _)| key.device_id != AGG_1));
    }

    #[test]
    fn a_downed_upstream_link_is_the_root_cause() {
        run(
            "agg-1's port toward the access switch goes down",
            default_rules(),
            campus(),
            vec![
                (port(AGG_1, "3", false, 0), &["raised 2/10/3 #1 Major"]),
                (
                    reachable(ACCESS, false, 0),
                    &["raised 1/100/- #1 Critical caused by 10"],
                ),
                // Another port of agg-1 changes nothing for the access switch.
                (port(AGG_1, "4", false, 1), &["raised 2/10/4 #1 Major"]),
                (
                    port(AGG_1, "3", true, 2),
                    &["cleared 2/10/3 #1", "1/100/- #1 recheck, 10 recovered"],
                ),
                (reachable(ACCESS, true, 3), &["cleared 1/100/- #1"]),
            ],
        );
        run(
            "a device first seen down stands alone until its upstream is seen down",
            default_rules(),
            campus(),
            vec![
                (reachable(ACCESS, false, 0), &["raised 1/100/- #1 Critical"]),
                (
                    reachable(AGG_1, false, 1),
                    &["raised 1/10/- #1 Critical", "1/100/- #1 now caused by 10"],
                ),
            ],
        );
    }

    #[test]
    fn rules_apply_by_scope_and_only_when_enabled() {
        let cpu_rule = |id: i64, scope: RuleScope, enabled: bool, severity: Severity| AlarmRule {
            id,
            name: format!("cpu rule {id}"),
            metric: Metric::CpuPercent,
            comparison: Comparison::Above,
            threshold: 80.0,
            for_ms: 0,
            severity,
            scope,
            enabled,
        };
        let rules = vec![
            cpu_rule(1, RuleScope::All, false, Severity::Critical),
            cpu_rule(
                2,
                RuleScope::DeviceKind("router".into()),
                true,
                Severity::Major,
            ),
            cpu_rule(3, RuleScope::Device(7), true, Severity::Info),
        ];
        run(
            "scoped and disabled rules",
            rules,
            Topology::default(),
            vec![
                (seen(5, "switch", Metric::CpuPercent, None, 99.0, 0), &[]),
                (
                    seen(6, "router", Metric::CpuPercent, None, 99.0, 0),
                    &["raised 2/6/- #1 Major"],
                ),
                (
                    seen(7, "switch", Metric::CpuPercent, None, 99.0, 0),
                    &["raised 3/7/- #1 Info"],
                ),
                (
                    seen(7, "router", Metric::CpuPercent, None, 99.0, 1),
                    &["raised 2/7/- #1 Major"],
                ),
                (
                    Step::ActiveAlarms,
                    &["2/6/- #1 Major", "2/7/- #1 Major", "3/7/- #1 Info"],
                ),
            ],
        );
    }

    #[test]
    fn active_alarms_list_the_most_severe_first() {
        defaults(
            "one alarm of each default severity",
            vec![
                (
                    seen(
                        1,
                        "switch",
                        Metric::InterfaceUtilizationPercent,
                        Some("1"),
                        90.0,
                        0,
                    ),
                    &[],
                ),
                (
                    seen(
                        1,
                        "switch",
                        Metric::InterfaceUtilizationPercent,
                        Some("1"),
                        90.0,
                        5,
                    ),
                    &["raised 3/1/1 #1 Minor"],
                ),
                (cpu(2, 95.0, 0), &[]),
                (cpu(2, 95.0, 5), &["raised 4/2/- #1 Major"]),
                (reachable(3, false, 5), &["raised 1/3/- #1 Critical"]),
                (
                    Step::ActiveAlarms,
                    &["1/3/- #1 Critical", "4/2/- #1 Major", "3/1/1 #1 Minor"],
                ),
            ],
        );
    }

    #[test]
    fn duplicate_rule_ids_are_refused() {
        let mut rules = default_rules();
        rules.push(default_rules()[0].clone());
        assert_eq!(
            AlarmEngine::new(rules, Topology::default(), FlappingConfig::default()).map(|_| ()),
            Err(AlarmEngineError::DuplicateRuleId(1))
        );
    }
}
