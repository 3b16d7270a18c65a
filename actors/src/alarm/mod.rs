//! Alarm evaluation as a pure state machine: metric observations in, alarm events out.
//!
//! Owns: alarm rules as data and the default set ([`rule`]); the lifecycle of each alarm,
//! from a condition that must hold for a while, through raised, acknowledged and cleared, to
//! a new occurrence when it comes back ([`engine`]); holding back a key that flaps
//! ([`flapping`]); and blaming an unreachable device on the upstream device or link that
//! cut it off ([`topology`]).
//!
//! Leaves to others: polling devices (SNMP, ICMP) and turning answers into [`Observation`]s,
//! storing rules, alarms and their history, notifying people (the shell should page for
//! alarms without a root cause and only record symptoms), and pushing events to WebSockets.
//! Nothing here reads a clock: time is each observation's `at_ms`, and an operator
//! command's.
//!
//! # Layout
//! - [`rule`]: [`Metric`], [`Severity`], [`AlarmRule`] and [`default_rules`].
//! - [`engine`]: [`AlarmEngine`], its [`AlarmEvent`]s and the operator commands.
//! - [`flapping`]: [`FlappingConfig`] and the per-key detector.
//! - [`topology`]: [`Topology`] (who is reached through whom) and the network state it reads.

pub mod engine;
pub mod flapping;
pub mod rule;
pub mod topology;

pub use engine::{
    Acknowledgement, ActiveAlarm, AlarmCommandError, AlarmEngine, AlarmEngineError, AlarmEvent,
    ClearReason, RecordedAlarm,
};
pub use flapping::FlappingConfig;
pub use rule::{default_rules, AlarmRule, Comparison, Metric, RuleScope, Severity};
pub use topology::{Topology, TopologyError, UpstreamLink};

/// One measurement of one metric on one device (or one of its interfaces or storage units).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub device_id: i64,
    /// The device's kind (`switch`, `router`, `server`...), for rules scoped to a kind.
    pub device_kind: String,
    /// Which interface or storage unit, for per-instance metrics (an interface index, a
    /// storage index); `None` for whole-device metrics.
    pub instance_opt: Option<String>,
    pub metric: Metric,
    /// A value that is not a finite number says nothing and is ignored.
    pub value: f64,
    /// When it was measured; the engine's only clock.
    pub at_ms: u64,
}

/// The identity of an alarm: one per rule, device and instance, so that each interface of a
/// switch has its own alarm, acknowledged and cleared on its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlarmKey {
    pub rule_id: i64,
    pub device_id: i64,
    pub instance_opt: Option<String>,
}
