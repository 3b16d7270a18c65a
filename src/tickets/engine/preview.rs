//! What a request would be before it is submitted: the same checks as submission (the form
//! field by field, the item's cross-field rules, the tenant's quota), and the approval levels
//! its facts select, each with the condition that brought it in or left it out. The portals
//! call it as the requester types, so that the form shows the server's own verdict and the
//! chain is explained before anyone presses submit. Nothing is written.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use yunguan_actors::ticket::chain::{Facts, Level};

use super::Engine;
use crate::catalog::chain_schema::{ApproversSchema, ComparisonSchema, SignModeSchema};
use crate::catalog::CatalogError;
use crate::error::FieldError;
use crate::identity::Principal;
use crate::quotas::{self, Amounts};
use crate::tickets::TicketError;

/// The verdict on a draft request.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPreview {
    /// Every problem with the form, by field; empty when it may be submitted.
    pub fields: Vec<FieldError>,
    /// The chain's levels in order, each marked whether this request goes through it. Known
    /// only for a valid form (a level's condition reads the form's facts); empty otherwise.
    pub levels: Vec<PlannedLevel>,
    /// What the request would hold of the tenant's quota once approved, for a valid form.
    pub demand: Option<Amounts>,
    /// The first resource the demand exceeds, when it does: the request would be refused.
    pub quota_shortfall: Option<QuotaShortfall>,
}

/// One level of the item's chain, for this request.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannedLevel {
    pub name: String,
    #[schema(value_type = ApproversSchema)]
    pub approvers: Value,
    #[schema(value_type = SignModeSchema)]
    pub mode: Value,
    /// Whether this request goes through the level.
    pub applies: bool,
    /// The condition that decides it; absent when the level always applies.
    pub condition: Option<ConditionOutcome>,
}

/// A level's condition and how this request fares against it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionOutcome {
    /// The fact compared (`total_vcpu`, `duration_days`, ...).
    pub fact: String,
    #[schema(value_type = ComparisonSchema)]
    pub op: Value,
    pub value: f64,
    /// The request's value of the fact (absent when the request has no such fact).
    pub actual: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaShortfall {
    /// `vcpu`, `memory_gb`, `storage_gb`, `hosts` or `public_ips`.
    pub resource: String,
    pub requested: i64,
    pub available: i64,
}

impl Engine {
    /// Checks `form` for `item_id` as a submission by `principal` would, and plans its chain.
    pub async fn preview(
        &self,
        principal: &Principal,
        item_id: i64,
        form: &Value,
    ) -> Result<RequestPreview, TicketError> {
        let tenant_id = super::requesting_tenant(principal)?;
        // The item is the address here, not a field of the body: one not in service is absent.
        let item = self
            .versions
            .for_new_ticket(&self.db, item_id)
            .await
            .map_err(|error| match error {
                CatalogError::NotInCatalog | CatalogError::Retired => {
                    TicketError::NotFound("catalog item")
                }
                error => error.into(),
            })?;
        let checked = match self
            .check_form(&self.db, &item, form, tenant_id, self.clock.now())
            .await
        {
            Ok(checked) => checked,
            Err(TicketError::Invalid { problems, .. }) => {
                return Ok(RequestPreview {
                    fields: problems,
                    levels: Vec::new(),
                    demand: None,
                    quota_shortfall: None,
                })
            }
            Err(error) => return Err(error),
        };
        let quota_shortfall = quotas::ledger(&self.db, tenant_id)
            .await?
            .check(checked.demand)
            .err()
            .map(|shortfall| QuotaShortfall {
                resource: shortfall.resource.to_owned(),
                requested: shortfall.requested,
                available: shortfall.available,
            });
        Ok(RequestPreview {
            fields: Vec::new(),
            levels: item
                .chain
                .levels
                .iter()
                .map(|level| planned(level, &checked.facts))
                .collect::<Result<_, _>>()?,
            demand: Some(checked.demand.into()),
            quota_shortfall,
        })
    }
}

fn planned(level: &Level, facts: &Facts) -> Result<PlannedLevel, TicketError> {
    Ok(PlannedLevel {
        name: level.name.clone(),
        approvers: json(&level.approvers)?,
        mode: json(&level.mode)?,
        applies: level.condition.as_ref().is_none_or(|c| c.holds(facts)),
        condition: match &level.condition {
            None => None,
            Some(condition) => Some(ConditionOutcome {
                fact: condition.fact.clone(),
                op: json(&condition.op)?,
                value: condition.value,
                actual: facts.get(&condition.fact).copied(),
            }),
        },
    })
}

/// A part of the chain as JSON, in the shape `chain_schema` documents for it.
fn json(value: &impl Serialize) -> Result<Value, TicketError> {
    serde_json::to_value(value).map_err(|error| TicketError::Internal(error.into()))
}
