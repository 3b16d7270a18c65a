//! What a user's action does to a loaded ticket: the command put to the pure workflow
//! (`yunguan_actors::ticket::workflow`), its refusal explained, and its transition carried
//! out in the unit. Each action is one step here; `Engine::act` loads and finishes.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use yunguan_actors::ticket::workflow::{
    self, Command, Decision, OpenLevel, Refusal, Signer, Transition,
};

use super::unit::{slot_of, Unit};
use super::{approvers, check_text, check_title, to_text, Action, Engine};
use crate::db::entities::ticket_approval;
use crate::identity::Principal;
use crate::mail::templates::Template;
use crate::quotas::{self, QuotaError};
use crate::tickets::TicketError;

/// What an approver decides on the open level.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    Approve,
    Reject,
}

impl Engine {
    /// Carries out `action` by `principal` in the unit.
    pub(super) async fn decide(
        &self,
        unit: &mut Unit,
        principal: &Principal,
        action: Action,
    ) -> Result<(), TicketError> {
        let by = principal.user_id;
        match action {
            Action::Approve { comment_opt } => {
                let comment_opt = comment_opt
                    .map(|c| check_text("comment", &c, 2000))
                    .transpose()?;
                self.sign(unit, principal, Verdict::Approve, comment_opt)
                    .await
            }
            Action::Reject { reason } => {
                let reason = check_text("reason", &reason, 2000)?;
                self.sign(unit, principal, Verdict::Reject, Some(reason))
                    .await
            }
            Action::Withdraw => {
                let transition = apply(unit, Command::Withdraw { by })?;
                let slots = unit.slots_of_open_level().await?;
                self.carry_out(unit, &transition, Some(&slots), json!({}))
                    .await
            }
            Action::Resubmit { title_opt, form } => self.resubmit(unit, by, title_opt, form).await,
            Action::Close => {
                let transition = apply(unit, Command::Close { by })?;
                unit.loaded.row.closed_at = Some(unit.now);
                self.carry_out(unit, &transition, None, json!({})).await
            }
            Action::Rate {
                rating,
                comment_opt,
            } => {
                let transition = apply(unit, Command::Rate { by, rating })?;
                let comment_opt = comment_opt
                    .map(|c| check_text("comment", &c, 2000))
                    .transpose()?;
                unit.loaded.row.rating = Some(rating);
                unit.loaded.row.rating_comment = comment_opt.clone();
                let detail = json!({ "rating": rating, "comment": comment_opt });
                self.carry_out(unit, &transition, None, detail).await
            }
            Action::Comment { body } => {
                let body = check_text("body", &body, 5000)?;
                let transition = apply(unit, Command::Comment)?;
                self.carry_out(unit, &transition, None, json!({ "body": body }))
                    .await
            }
        }
    }

    /// An amended request after a rejection: the form checked again against the item's
    /// current version and the quota, and a new round of the plan it makes.
    async fn resubmit(
        &self,
        unit: &mut Unit,
        by: i64,
        title_opt: Option<String>,
        form: Value,
    ) -> Result<(), TicketError> {
        let row = &unit.loaded.row;
        let item = self.versions.for_new_ticket(&unit.txn, row.item_id).await?;
        let checked = self
            .check_form(&unit.txn, &item, &form, row.tenant_id, unit.now)
            .await?;
        quotas::ledger(&unit.txn, row.tenant_id)
            .await?
            .check(checked.demand)
            .map_err(QuotaError::Exceeded)?;
        let levels = item.chain.plan(&checked.facts);
        let level_count = levels.len();
        let transition = apply(unit, Command::Resubmit { by, level_count })?;
        let row = &mut unit.loaded.row;
        if let Some(title) = title_opt {
            row.title = check_title(&title)?;
        }
        row.item_version = item.version;
        row.form = to_text(&checked.form)?;
        row.facts = to_text(&checked.facts)?;
        row.business_system = checked.business_system;
        row.reason = None;
        row.levels = to_text(&levels)?;
        unit.loaded.levels = levels;
        let detail = json!({ "item_version": item.version });
        self.carry_out(unit, &transition, None, detail).await
    }

    /// An approver's decision on the open level: the slot they fill (their own, or a
    /// delegator's), then the transition it makes. A rejection's reason goes to the
    /// requester.
    async fn sign(
        &self,
        unit: &mut Unit,
        principal: &Principal,
        verdict: Verdict,
        remark_opt: Option<String>,
    ) -> Result<(), TicketError> {
        let slots = unit.slots_of_open_level().await?;
        let signer = self.signer(unit, principal, &slots).await?;
        let level = unit.loaded.current_level()?.clone();
        let open = OpenLevel {
            mode: level.mode,
            slots: &slots.iter().map(slot_of).collect::<Vec<_>>(),
        };
        let command = match verdict {
            Verdict::Approve => Command::Approve {
                signer: &signer,
                level: open,
            },
            Verdict::Reject => Command::Reject {
                signer: &signer,
                level: open,
            },
        };
        let applied = workflow::apply(&unit.loaded.pure(), command);
        let transition = explain_refusal(unit, &signer, applied).await?;
        unit.decide_slots(&transition, &slots, remark_opt.clone())
            .await?;
        let detail = match verdict {
            Verdict::Approve => json!({ "comment": remark_opt }),
            Verdict::Reject => {
                let requester_id = unit.loaded.row.requester_id;
                unit.loaded.row.reason = remark_opt.clone();
                let rejection = (requester_id, Template::Rejection, Some(level.name));
                unit.notices.mails.push(rejection);
                json!({ "reason": remark_opt })
            }
        };
        self.carry_out(unit, &transition, Some(&slots), detail)
            .await
    }

    /// The caller as a signer, with the delegations they hold. Nobody approves their own
    /// request, not even for someone who delegated to them. Delegations matter only where
    /// someone else's slot is pending: when every pending slot of the open level is the
    /// caller's own, they are not read.
    async fn signer(
        &self,
        unit: &Unit,
        principal: &Principal,
        slots: &[ticket_approval::Model],
    ) -> Result<Signer, TicketError> {
        let others_pending = slots.iter().any(|slot| {
            slot.approver_id != principal.user_id && slot.decision == Decision::Pending.as_str()
        });
        let acting_for = if principal.user_id == unit.loaded.row.requester_id || !others_pending {
            Vec::new()
        } else {
            approvers::acting_for(&unit.txn, principal.user_id, unit.now).await?
        };
        Ok(Signer {
            user_id: principal.user_id,
            acting_for,
        })
    }
}

/// The workflow's answer to `command` on the unit's ticket, a refusal as the API's error.
fn apply(unit: &Unit, command: Command<'_>) -> Result<Transition, TicketError> {
    workflow::apply(&unit.loaded.pure(), command).map_err(TicketError::Refused)
}

/// A signer who is no approver of the open level may have been one of an earlier level that
/// someone else decided a moment ago: tell them so (a conflict), not that they were never
/// asked.
async fn explain_refusal(
    unit: &Unit,
    signer: &Signer,
    applied: Result<Transition, Refusal>,
) -> Result<Transition, TicketError> {
    match applied {
        Err(Refusal::NotAnApprover) => {
            let mut holders = signer.acting_for.clone();
            holders.push(signer.user_id);
            let was_asked = ticket_approval::Entity::find()
                .filter(ticket_approval::Column::TicketId.eq(unit.loaded.row.id))
                .filter(ticket_approval::Column::Round.eq(unit.loaded.row.round))
                .filter(ticket_approval::Column::ApproverId.is_in(holders))
                .one(&unit.txn)
                .await?
                .is_some();
            Err(if was_asked {
                TicketError::LevelDecided
            } else {
                TicketError::Refused(Refusal::NotAnApprover)
            })
        }
        other => other.map_err(TicketError::Refused),
    }
}
