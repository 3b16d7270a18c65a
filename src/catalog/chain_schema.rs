//! The approval chain's shape in the OpenAPI document. The chain itself is
//! `yunguan_actors::ticket::chain`, which knows nothing of the wire, so these mirrors
//! describe its JSON for the document only: `ItemView.chain` and `ItemContent.chain` name
//! [`ApprovalChainSchema`] as their `value_type` and are (de)serialized as the real chain.
//! The tests keep the two in step: every chain, sent through a mirror, comes back as the
//! same JSON.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An approval chain (审批流): the levels a request goes through, in order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = ApprovalChain)]
pub struct ApprovalChainSchema {
    pub levels: Vec<ApprovalLevelSchema>,
}

/// One level of an approval chain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = ApprovalLevel)]
pub struct ApprovalLevelSchema {
    /// 1 to 100 characters.
    pub name: String,
    pub approvers: ApproversSchema,
    pub mode: SignModeSchema,
    /// The level applies only when this holds; always when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<ApprovalConditionSchema>,
    /// Seconds the level may stay open before a reminder, then escalation at twice that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_secs: Option<u64>,
    /// Who is told when the SLA is missed twice over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<ApproversSchema>,
}

/// Who approves a level, resolved to users when the level opens.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "by", rename_all = "snake_case")]
#[schema(as = Approvers)]
pub enum ApproversSchema {
    /// Every enabled user with this role; with `requester_tenant`, only those of the
    /// requester's tenant (a tenant role then).
    Role {
        role: String,
        #[serde(default)]
        requester_tenant: bool,
    },
    /// Named users (1 to 50).
    Users { user_ids: Vec<i64> },
    /// The requester's tenant administrators, whoever they are when the level opens.
    RequesterTenantAdmin,
}

/// Whether every approver of a level must sign (`all`, 会签) or the first decides (`any`,
/// 或签).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SignMode)]
pub enum SignModeSchema {
    All,
    Any,
}

/// A condition on one of the request's facts (the item's `facts` name them); a request
/// without the fact never satisfies it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = ApprovalCondition)]
pub struct ApprovalConditionSchema {
    pub fact: String,
    pub op: ComparisonSchema,
    pub value: f64,
}

/// How a condition compares the fact with its value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Comparison)]
pub enum ComparisonSchema {
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

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use yunguan_actors::ticket::chain::ApprovalChain;

    use super::*;
    use crate::catalog::kinds::ItemKind;

    /// The chain's JSON, read as the mirror and written again.
    fn through_the_mirror(chain: &ApprovalChain) -> (Value, Value) {
        let json = serde_json::to_value(chain).unwrap();
        let mirror: ApprovalChainSchema = serde_json::from_value(json.clone())
            .unwrap_or_else(|error| panic!("the mirror cannot read {json}: {error}"));
        (json, serde_json::to_value(mirror).unwrap())
    }

    #[test]
    fn every_chain_has_the_documented_shape() {
        // Every approver kind, sign mode, comparison and optional field at least once.
        let every_shape: ApprovalChain = serde_json::from_value(json!({"levels": [
            {"name": "部门审批", "approvers": {"by": "requester_tenant_admin"}, "mode": "any",
             "sla_secs": 3600, "escalate_to": {"by": "users", "user_ids": [4, 5]}},
            {"name": "运维", "approvers": {"by": "role", "role": "tenant_admin", "requester_tenant": true},
             "mode": "all", "condition": {"fact": "total_vcpu", "op": ">", "value": 16.0}},
            {"name": "a", "approvers": {"by": "users", "user_ids": [1]}, "mode": "any",
             "condition": {"fact": "count", "op": ">=", "value": 2.0}},
            {"name": "b", "approvers": {"by": "role", "role": "bureau_manager", "requester_tenant": false},
             "mode": "any", "condition": {"fact": "count", "op": "<", "value": 2.5}},
            {"name": "c", "approvers": {"by": "role", "role": "bureau_manager", "requester_tenant": false},
             "mode": "any", "condition": {"fact": "count", "op": "<=", "value": 2.0}},
            {"name": "d", "approvers": {"by": "role", "role": "bureau_manager", "requester_tenant": false},
             "mode": "any", "condition": {"fact": "count", "op": "==", "value": 1.0}},
        ]}))
        .unwrap();
        let mut chains = vec![every_shape];
        chains.extend(ItemKind::ALL.iter().map(|kind| kind.defaults().chain));
        for chain in &chains {
            let (json, again) = through_the_mirror(chain);
            assert_eq!(json, again);
        }
    }
}
