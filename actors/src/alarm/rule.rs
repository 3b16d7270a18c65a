//! Alarm rules as data: which metric, compared how with what threshold, for how long, how
//! severe, on which devices. Owns matching a rule to an observation and the default rule set;
//! leaves storing and editing rules to the server crate.

use serde::{Deserialize, Serialize};

use super::Observation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Whole device: 1 reachable, 0 not.
    Reachable,
    /// Per interface: 1 operationally up, 0 down. Pollers send it only for interfaces that
    /// are administratively up, so unused ports raise nothing.
    InterfaceOperUp,
    /// Per interface: the busier direction's use of the link speed, 0 to 100.
    InterfaceUtilizationPercent,
    /// Whole device, 0 to 100.
    CpuPercent,
    /// Whole device, 0 to 100.
    MemoryPercent,
    /// Whole device: its hottest part, degrees Celsius.
    TemperatureCelsius,
    /// Per storage unit (disk, volume, pool), 0 to 100.
    StoragePercent,
}

/// How bad an alarm is; ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Minor,
    Major,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Above,
    Below,
    /// Exact equality, meant for state metrics whose values are 0 and 1.
    Equals,
}

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Above => value > threshold,
            Comparison::Below => value < threshold,
            Comparison::Equals => value == threshold,
        }
    }
}

/// Which devices a rule watches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleScope {
    All,
    DeviceKind(String),
    Device(i64),
}

impl RuleScope {
    pub fn covers(&self, device_id: i64, device_kind: &str) -> bool {
        match self {
            RuleScope::All => true,
            RuleScope::DeviceKind(kind) => kind == device_kind,
            RuleScope::Device(id) => *id == device_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRule {
    /// Stable across edits: part of every alarm's identity.
    pub id: i64,
    /// What operators read in the alarm list.
    pub name: String,
    pub metric: Metric,
    pub comparison: Comparison,
    pub threshold: f64,
    /// How long the condition must hold without a break before the alarm is raised, so that
    /// a short spike raises nothing; 0 raises at once.
    pub for_ms: u64,
    pub severity: Severity,
    pub scope: RuleScope,
    /// A disabled rule matches nothing, but keeps its id and history.
    pub enabled: bool,
}

impl AlarmRule {
    /// Whether this rule judges this observation.
    pub fn applies_to(&self, observation: &Observation) -> bool {
        self.enabled
            && self.metric == observation.metric
            && self
                .scope
                .covers(observation.device_id, &observation.device_kind)
    }

    pub fn condition_holds(&self, value: f64) -> bool {
        self.comparison.holds(value, self.threshold)
    }
}

const MINUTE_MS: u64 = 60_000;

/// The rules a fresh installation starts with, ids 1 to 5.
pub fn default_rules() -> Vec<AlarmRule> {
    let rule = |id: i64,
                name: &str,
                metric: Metric,
                comparison: Comparison,
                threshold: f64,
                for_ms: u64,
                severity: Severity| AlarmRule {
        id,
        name: name.to_owned(),
        metric,
        comparison,
        threshold,
        for_ms,
        severity,
        scope: RuleScope::All,
        enabled: true,
    };
    vec![
        rule(
            1,
            "device unreachable",
            Metric::Reachable,
            Comparison::Equals,
            0.0,
            0,
            Severity::Critical,
        ),
        rule(
            2,
            "interface down",
            Metric::InterfaceOperUp,
            Comparison::Equals,
            0.0,
            0,
            Severity::Major,
        ),
        rule(
            3,
            "link utilization above 80%",
            Metric::InterfaceUtilizationPercent,
            Comparison::Above,
            80.0,
            5 * MINUTE_MS,
            Severity::Minor,
        ),
        rule(
            4,
            "cpu above 90%",
            Metric::CpuPercent,
            Comparison::Above,
            90.0,
            5 * MINUTE_MS,
            Severity::Major,
        ),
        rule(
            5,
            "storage above 90%",
            Metric::StoragePercent,
            Comparison::Above,
            90.0,
            10 * MINUTE_MS,
            Severity::Major,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(device_id: i64, device_kind: &str, metric: Metric, value: f64) -> Observation {
        Observation {
            device_id,
            device_kind: device_kind.to_owned(),
            instance_opt: None,
            metric,
            value,
            at_ms: 0,
        }
    }

    fn cpu_rule(scope: RuleScope, enabled: bool) -> AlarmRule {
        AlarmRule {
            scope,
            enabled,
            ..default_rules()[3].clone()
        }
    }

    #[test]
    fn scope_metric_and_enabled_decide_whether_a_rule_applies() {
        let switch_cpu = observation(7, "switch", Metric::CpuPercent, 95.0);
        let table = [
            (
                "all devices",
                cpu_rule(RuleScope::All, true),
                &switch_cpu,
                true,
            ),
            (
                "disabled",
                cpu_rule(RuleScope::All, false),
                &switch_cpu,
                false,
            ),
            (
                "its kind",
                cpu_rule(RuleScope::DeviceKind("switch".into()), true),
                &switch_cpu,
                true,
            ),
            (
                "another kind",
                cpu_rule(RuleScope::DeviceKind("router".into()), true),
                &switch_cpu,
                false,
            ),
            (
                "its device",
                cpu_rule(RuleScope::Device(7), true),
                &switch_cpu,
                true,
            ),
            (
                "another device",
                cpu_rule(RuleScope::Device(8), true),
                &switch_cpu,
                false,
            ),
            (
                "another metric",
                cpu_rule(RuleScope::All, true),
                &observation(7, "switch", Metric::StoragePercent, 95.0),
                false,
            ),
        ];
        for (name, rule, observation, applies) in table {
            assert_eq!(rule.applies_to(observation), applies, "{name}");
        }
    }

    #[test]
    fn comparisons() {
        let table = [
            (Comparison::Above, 90.0, 90.0, false),
            (Comparison::Above, 90.5, 90.0, true),
            (Comparison::Below, 0.0, 1.0, true),
            (Comparison::Below, 1.0, 1.0, false),
            (Comparison::Equals, 0.0, 0.0, true),
            (Comparison::Equals, 1.0, 0.0, false),
        ];
        for (comparison, value, threshold, holds) in table {
            assert_eq!(
                comparison.holds(value, threshold),
                holds,
                "{value} {comparison:?} {threshold}"
            );
        }
    }

    #[test]
    fn severities_are_ordered() {
        let mut shuffled = [
            Severity::Major,
            Severity::Info,
            Severity::Critical,
            Severity::Minor,
        ];
        shuffled.sort();
        assert_eq!(
            shuffled,
            [
                Severity::Info,
                Severity::Minor,
                Severity::Major,
                Severity::Critical
            ]
        );
        assert!(Severity::Critical > Severity::Major);
    }

    #[test]
    fn default_rules_cover_the_usual_problems() {
        let summary: Vec<(i64, Metric, Comparison, f64, u64, Severity)> = default_rules()
            .into_iter()
            .map(|rule| {
                assert!(
                    rule.enabled && rule.scope == RuleScope::All,
                    "{}",
                    rule.name
                );
                (
                    rule.id,
                    rule.metric,
                    rule.comparison,
                    rule.threshold,
                    rule.for_ms,
                    rule.severity,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    1,
                    Metric::Reachable,
                    Comparison::Equals,
                    0.0,
                    0,
                    Severity::Critical
                ),
                (
                    2,
                    Metric::InterfaceOperUp,
                    Comparison::Equals,
                    0.0,
                    0,
                    Severity::Major
                ),
                (
                    3,
                    Metric::InterfaceUtilizationPercent,
                    Comparison::Above,
                    80.0,
                    300_000,
                    Severity::Minor
                ),
                (
                    4,
                    Metric::CpuPercent,
                    Comparison::Above,
                    90.0,
                    300_000,
                    Severity::Major
                ),
                (
                    5,
                    Metric::StoragePercent,
                    Comparison::Above,
                    90.0,
                    600_000,
                    Severity::Major
                ),
            ]
        );
    }

    #[test]
    fn names_are_snake_case() {
        let rule = AlarmRule {
            scope: RuleScope::DeviceKind("switch".into()),
            ..default_rules()[2].clone()
        };
        let value = serde_json::to_value(&rule).unwrap();
        assert_eq!(value["metric"], "interface_utilization_percent");
        assert_eq!(value["comparison"], "above");
        assert_eq!(value["severity"], "minor");
        assert_eq!(value["scope"]["device_kind"], "switch");
        let back: AlarmRule = serde_json::from_value(value).unwrap();
        assert_eq!(back, rule);
    }
}
