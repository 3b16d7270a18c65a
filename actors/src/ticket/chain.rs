//! Approval chains (审批流) as data: an ordered list of levels, each naming its approvers,
//! whether all must sign (会签) or any one (或签), an optional condition on the request's
//! facts, and an optional SLA with escalation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Numbers derived from a request's form (`total_vcpu`, `duration_days`, ...), which level
/// conditions compare against.
pub type Facts = BTreeMap<String, f64>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalChain {
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    pub name: String,
    pub approvers: Approvers,
    pub mode: SignMode,
    /// The level applies only when this holds; always when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Seconds the level may stay open before a reminder, then escalation at twice that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_secs: Option<u64>,
    /// Who is told when the SLA is missed twice over; the approvers themselves get reminders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<Approvers>,
}

/// Who approves a level. Resolved to users when the level opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Approvers {
    /// Every enabled user with this role; with `requester_tenant`, only those of the
    /// requester's tenant (a tenant role then).
    Role {
        role: String,
        #[serde(default)]
        requester_tenant: bool,
    },
    /// Named users.
    Users { user_ids: Vec<i64> },
    /// The requester's tenant administrators, whoever they are when the level opens.
    RequesterTenantAdmin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignMode {
    /// 会签: every approver must sign.
    All,
    /// 或签: the first signature decides.
    Any,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub fact: String,
    pub op: Comparison,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    #[serde(rename = ">")]
    Greater,
    #[serde(rename = ">=")]
    GreaterOrEqual,
    #[serde(rename = "<")]
    Less,
    #[serde(rename = "<=")]
    LessOrEqual,
    #[serde(rename = "==")]
    Equal,
}

impl Condition {
    /// A fact the request does not have never satisfies a condition.
    pub fn holds(&self, facts: &Facts) -> bool {
        let Some(&actual) = facts.get(&self.fact) else {
            return false;
        };
        match self.op {
            Comparison::Greater => actual > self.value,
            Comparison::GreaterOrEqual => actual >= self.value,
            Comparison::Less => actual < self.value,
            Comparison::LessOrEqual => actual <= self.value,
            Comparison::Equal => actual == self.value,
        }
    }
}

impl ApprovalChain {
    /// The levels a request with these facts goes through, in order.
    pub fn plan(&self, facts: &Facts) -> Vec<Level> {
        self.levels
            .iter()
            .filter(|level| level.condition.as_ref().is_none_or(|c| c.holds(facts)))
            .cloned()
            .collect()
    }

    /// What is wrong with this chain as a definition, if anything.
    pub fn problems(&self, known_roles: &[&str], known_facts: &[&str]) -> Vec<String> {
        let mut problems = Vec::new();
        if self.levels.len() > 10 {
            problems.push("a chain has at most 10 levels".to_owned());
        }
        for (index, level) in self.levels.iter().enumerate() {
            let at = format!("levels[{index}]");
            if level.name.trim().is_empty() || level.name.chars().count() > 100 {
                problems.push(format!("{at}.name must be 1 to 100 characters"));
            }
            for (field, approvers) in [
                ("approvers", Some(&level.approvers)),
                ("escalate_to", level.escalate_to.as_ref()),
            ] {
                match approvers {
                    Some(Approvers::Role { role, .. }) if !known_roles.contains(&role.as_str()) => {
                        problems.push(format!("{at}.{field}.role {role:?} is not a role"))
                    }
                    Some(Approvers::Users { user_ids })
                        if user_ids.is_empty() || user_ids.len() > 50 =>
                    {
                        problems.push(format!("{at}.{field}.user_ids must name 1 to 50 users"))
                    }
                    _ => {}
                }
            }
            if let Some(condition) = &level.condition {
                if !known_facts.contains(&condition.fact.as_str()) {
                    problems.push(format!(
                        "{at}.condition.fact {:?} is not a fact of this item (known: {})",
                        condition.fact,
                        known_facts.join(", ")
                    ));
                }
                if !condition.value.is_finite() {
                    problems.push(format!("{at}.condition.value must be a finite number"));
                }
            }
            if let Some(sla) = level.sla_secs {
                if !(60..=90 * 86_400).contains(&sla) {
                    problems.push(format!("{at}.sla_secs must be between 60 and 7776000"));
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(name: &str, condition: Option<Condition>) -> Level {
        Level {
            name: name.to_owned(),
            approvers: Approvers::RequesterTenantAdmin,
            mode: SignMode::Any,
            condition,
            sla_secs: None,
            escalate_to: None,
        }
    }

    fn over(fact: &str, value: f64) -> Option<Condition> {
        Some(Condition {
            fact: fact.to_owned(),
            op: Comparison::Greater,
            value,
        })
    }

    #[test]
    fn conditional_levels_apply_only_when_their_condition_holds() {
        let chain = ApprovalChain {
            levels: vec![
                level("tenant", None),
                level("bureau", over("total_vcpu", 32.0)),
                level("long lease", over("duration_days", 30.0)),
            ],
        };
        type Row<'a> = (&'a [(&'a str, f64)], &'a [&'a str]);
        let table: [Row; 5] = [
            (&[("total_vcpu", 8.0)], &["tenant"]),
            (&[("total_vcpu", 32.0)], &["tenant"]),
            (&[("total_vcpu", 33.0)], &["tenant", "bureau"]),
            (
                &[("total_vcpu", 64.0), ("duration_days", 90.0)],
                &["tenant", "bureau", "long lease"],
            ),
            (&[], &["tenant"]),
        ];
        for (facts, expected) in table {
            let facts: Facts = facts.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
            let names: Vec<String> = chain.plan(&facts).into_iter().map(|l| l.name).collect();
            assert_eq!(names, expected, "{facts:?}");
        }
    }

    #[test]
    fn comparisons() {
        let facts: Facts = [("x".to_owned(), 5.0)].into();
        let table = [
            (Comparison::Greater, 5.0, false),
            (Comparison::GreaterOrEqual, 5.0, true),
            (Comparison::Less, 6.0, true),
            (Comparison::LessOrEqual, 4.0, false),
            (Comparison::Equal, 5.0, true),
        ];
        for (op, value, expected) in table {
            let condition = Condition {
                fact: "x".into(),
                op,
                value,
            };
            assert_eq!(condition.holds(&facts), expected, "{op:?} {value}");
        }
    }

    #[test]
    fn problems_name_the_field() {
        let mut bad = level("", over("nonsense", f64::NAN));
        bad.approvers = Approvers::Role {
            role: "king".into(),
            requester_tenant: false,
        };
        bad.sla_secs = Some(1);
        let chain = ApprovalChain {
            levels: vec![level("ok", None), bad],
        };
        let problems = chain.problems(&["tenant_admin"], &["total_vcpu"]);
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(
            problems.iter().all(|p| p.starts_with("levels[1].")),
            "{problems:?}"
        );
        assert!(ApprovalChain {
            levels: vec![level("ok", None)]
        }
        .problems(&[], &[])
        .is_empty());
    }

    #[test]
    fn chains_are_stored_as_plain_json() {
        let text = r#"{"levels":[{"name":"bureau","approvers":{"by":"role","role":"bureau_manager","requester_tenant":false},"mode":"all","condition":{"fact":"total_vcpu","op":">","value":32.0},"sla_secs":3600}]}"#;
        let chain: ApprovalChain = serde_json::from_str(text).unwrap();
        assert_eq!(chain.levels[0].mode, SignMode::All);
        assert_eq!(serde_json::to_string(&chain).unwrap(), text);
    }
}
