//! Carrying out a transition the workflow decided: its effects (slots closed, a level opened
//! with its approvers, quota reserved, released or consumed), its timeline entry and the
//! ticket row, all in the unit's transaction.

use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Map, Value};
use yunguan_actors::ticket::workflow::{Decision, Effect, Transition};

use super::unit::Unit;
use super::{approvers, demand_of, Engine};
use crate::db::entities::ticket_approval;
use crate::mail::templates::Template;
use crate::quotas;
use crate::tickets::TicketError;

impl Engine {
    /// Carries out a transition's effects other than deciding slots, records it on the
    /// timeline and saves the ticket. `open_slots_opt` are the open level's slots, for the
    /// effects that close them.
    pub(super) async fn carry_out(
        &self,
        unit: &mut Unit,
        transition: &Transition,
        open_slots_opt: Option<&[ticket_approval::Model]>,
        detail: Value,
    ) -> Result<(), TicketError> {
        let mut entry = unit.entry(transition.kind, detail);
        if !transition.is_remark() {
            // A new ticket comes from nowhere.
            entry.from_state_opt =
                (transition.kind != "submitted").then(|| unit.loaded.row.state.clone());
            entry.to_state_opt = Some(transition.next.state.as_str().to_owned());
        }
        unit.record(entry);
        for effect in &transition.effects {
            match *effect {
                // The slots a signer fills are decided before (`Unit::decide_slots`).
                Effect::DecideSlot { .. } => {}
                Effect::CancelPendingSlots => {
                    unit.cancel_pending(open_slots_opt.unwrap_or_default())
                        .await?;
                }
                Effect::OpenLevel(level_index) => {
                    self.open_level(unit, transition.next.round, level_index)
                        .await?;
                }
                Effect::ReserveQuota => self.reserve_quota(unit).await?,
                Effect::ReleaseQuota => {
                    quotas::release(&unit.txn, unit.loaded.row.id, unit.now).await?
                }
                Effect::ConsumeQuota => {
                    quotas::consume(&unit.txn, unit.loaded.row.id, unit.now).await?
                }
                // Fulfilment is driven after the commit; the approved state is its trigger.
                Effect::StartFulfilment => {}
            }
        }
        let (loaded, next) = (&mut unit.loaded, &transition.next);
        loaded.state = next.state;
        loaded.row.state = next.state.as_str().to_owned();
        loaded.row.round = next.round as i32;
        loaded.row.level_index = next.level_index_opt.map(|i| i as i32);
        if loaded.row.level_index.is_none() {
            loaded.row.level_opened_at = None;
        }
        unit.save().await
    }

    /// Reserves what the ticket asks of its tenant's quota, once per ticket.
    async fn reserve_quota(&self, unit: &mut Unit) -> Result<(), TicketError> {
        let row = &unit.loaded.row;
        let item = self
            .versions
            .get(&unit.txn, row.item_id, row.item_version)
            .await?;
        let form: Map<String, Value> =
            serde_json::from_str(&row.form).map_err(|e| TicketError::Internal(e.into()))?;
        let (tenant_id, ticket_id) = (row.tenant_id, row.id);
        let demand = demand_of(&unit.txn, item.kind, &form, tenant_id).await?;
        if demand.is_zero() {
            return Ok(());
        }
        let existing_opt = quotas::reservation_of(&unit.txn, ticket_id).await?;
        if !quotas::holds(existing_opt.as_ref()) {
            // The tenant's actor refuses what cannot fit before the database is asked; its
            // hold lasts until this transaction ends.
            let ledger = quotas::ledger(&unit.txn, tenant_id).await?;
            let admission = self
                .tenants
                .admit(tenant_id, ticket_id, demand, ledger)
                .await?;
            unit.notices.admissions.push(admission);
        }
        let ask = quotas::Ask {
            tenant_id,
            ticket_id,
            demand,
        };
        quotas::reserve(&unit.txn, ask, existing_opt.as_ref(), unit.now).await?;
        Ok(())
    }

    /// Resolves a level's approvers, creates their slots and restarts the SLA clock.
    async fn open_level(
        &self,
        unit: &mut Unit,
        round: u32,
        level_index: usize,
    ) -> Result<(), TicketError> {
        let level = unit.loaded.levels[level_index].clone();
        let (approver_ids, unstaffed) = self.approvers_of(unit, level_index).await?;
        for approver_id in &approver_ids {
            let slot = ticket_approval::ActiveModel {
                ticket_id: Set(unit.loaded.row.id),
                round: Set(round as i32),
                level_index: Set(level_index as i32),
                approver_id: Set(*approver_id),
                decision: Set(Decision::Pending.as_str().to_owned()),
                decided_by: Set(None),
                comment: Set(None),
                opened_at: Set(unit.now),
                decided_at: Set(None),
                ..Default::default()
            }
            .insert(&unit.txn)
            .await?;
            unit.notices.opened.push(slot);
            unit.notices.mails.push((
                *approver_id,
                Template::NewApproval,
                Some(level.name.clone()),
            ));
        }
        let delegates = approvers::delegates_of(&unit.txn, &approver_ids, unit.now).await?;
        unit.notices.delegates.extend(delegates);
        unit.loaded.row.level_opened_at = Some(unit.now);
        unit.loaded.row.reminded_at = None;
        unit.loaded.row.escalated_at = None;
        let detail = json!({ "level": level_index, "name": level.name, "approvers": approver_ids, "unstaffed": unstaffed });
        unit.record(unit.system_entry("level_opened", detail));
        Ok(())
    }

    /// Who decides a level, and whether it has nobody of its own. Nobody approves their own
    /// request: without the requester, a level falls back to its escalation approvers, then
    /// to the bureau admins.
    async fn approvers_of(
        &self,
        unit: &Unit,
        level_index: usize,
    ) -> Result<(Vec<i64>, bool), TicketError> {
        let level = &unit.loaded.levels[level_index];
        let (requester_id, tenant_id) = (unit.loaded.row.requester_id, unit.loaded.row.tenant_id);
        let without_requester = |ids: Vec<i64>| -> Vec<i64> {
            ids.into_iter().filter(|id| *id != requester_id).collect()
        };
        let mut approver_ids =
            without_requester(approvers::resolve(&unit.txn, &level.approvers, tenant_id).await?);
        let unstaffed = approver_ids.is_empty();
        if unstaffed {
            if let Some(escalate_to) = &level.escalate_to {
                approver_ids =
                    without_requester(approvers::resolve(&unit.txn, escalate_to, tenant_id).await?);
            }
        }
        if approver_ids.is_empty() {
            approver_ids = without_requester(approvers::fallback(&unit.txn).await?);
        }
        if unstaffed {
            tracing::warn!(ticket_id = unit.loaded.row.id, level = %level.name, "level has no approver of its own; falling back");
        }
        Ok((approver_ids, unstaffed))
    }
}
