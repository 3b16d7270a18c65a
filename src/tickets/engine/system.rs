//! What the system does to tickets, as opposed to users: the SLA clock of an open level
//! (reminders, escalation), fulfilment (start, progress, success, failure) and the manual
//! tasks people complete. Each step is one transaction like a user's action, audited as the
//! system (or as the user completing a task), and pushed after commit.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::{json, Map, Value};
use yunguan_actors::quota::Resources;
use yunguan_actors::ticket::chain::Level;
use yunguan_actors::ticket::sla::{self, SlaStep};
use yunguan_actors::ticket::workflow::{self, Command, Decision, TicketState};

use super::unit::{Entry, InboxNotice, Loaded, Unit};
use super::{approvers, Caller, Closing, Engine, Executed};
use crate::catalog::kinds::{self, Fulfilment, ItemKind};
use crate::catalog::ItemVersion;
use crate::db::entities::{inventory_record, manual_task, ticket};
use crate::fulfilment::provider::HostSize;
use crate::fulfilment::{self, ExistingHost, Hosts, InventoryChange, Progress, Step};
use crate::hub::{EventKind, Topic};
use crate::identity::Role;
use crate::mail::templates::Template;
use crate::placement::{self, PlaceError};
use crate::tickets::views::{ApprovalOverdueEvent, TaskAssignedEvent, TicketProgressEvent};
use crate::tickets::TicketError;

/// A step the system takes on a ticket.
#[derive(Debug, Clone)]
pub enum SystemStep {
    /// Remind or escalate the open level, if its SLA says so now.
    Sla,
    StartFulfilment,
    Succeeded(Vec<InventoryChange>),
    Failed(String),
}

/// Where a ticket stands, for the actor that drives it.
#[derive(Debug, Clone)]
pub struct Status {
    pub state: TicketState,
    pub tenant_id: i64,
    /// When the open level's next SLA step falls due.
    pub sla_deadline_opt: Option<DateTime<Utc>>,
    /// What fulfilling it takes, while fulfilling.
    pub work_opt: Option<Work>,
}

#[derive(Debug, Clone)]
pub enum Work {
    Provider(Vec<Step>),
    /// A person completes a task; nothing for the actor to run.
    Manual,
    /// It cannot be done (the host it names is gone): the ticket fails with this reason.
    Impossible(String),
}

impl Engine {
    /// The ticket's state, its next SLA deadline and its fulfilment work.
    pub async fn status(&self, ticket_id: i64) -> Result<Option<Status>, TicketError> {
        let Some(row) = ticket::Entity::find_by_id(ticket_id).one(&self.db).await? else {
            return Ok(None);
        };
        self.status_of(row).await.map(Some)
    }

    /// The status of a ticket row as a change committed it.
    pub async fn status_of(&self, row: ticket::Model) -> Result<Status, TicketError> {
        let loaded = Loaded::parse(row)?;
        let sla_deadline_opt = sla_deadline(&loaded);
        let work_opt = match loaded.state {
            TicketState::Fulfilling => Some(self.work_of(&self.db, &loaded).await?),
            _ => None,
        };
        Ok(Status {
            state: loaded.state,
            tenant_id: loaded.row.tenant_id,
            sla_deadline_opt,
            work_opt,
        })
    }

    async fn work_of(
        &self,
        db: &impl ConnectionTrait,
        loaded: &Loaded,
    ) -> Result<Work, TicketError> {
        let item = self
            .versions
            .get(db, loaded.row.item_id, loaded.row.item_version)
            .await?;
        if let Fulfilment::Manual { .. } = item.fulfilment {
            return Ok(Work::Manual);
        }
        let form = form_of(loaded)?;
        let plan = |hosts| fulfilment::plan(loaded.row.id, item.kind, &form, hosts);
        let steps = match item.kind {
            ItemKind::VmChange | ItemKind::VmDecommission => {
                match existing_host(db, &form, loaded.row.tenant_id).await? {
                    Some(host) => plan(Hosts::Existing(&host)),
                    None => {
                        return Ok(Work::Impossible(
                            "the host is no longer an active cloud host of the tenant".to_owned(),
                        ))
                    }
                }
            }
            ItemKind::VmRequest => {
                let placed_on: Vec<String> = placement::of_ticket(db, loaded.row.id)
                    .await?
                    .into_iter()
                    .map(|placed| placed.host)
                    .collect();
                if placed_on.len() != host_count(&form) {
                    return Ok(Work::Impossible(
                        "its hosts were not placed (or a placed host left the inventory)"
                            .to_owned(),
                    ));
                }
                plan(Hosts::Placed(&placed_on))
            }
            _ => plan(Hosts::None),
        };
        Ok(Work::Provider(steps))
    }

    /// Takes `step` if it still applies; `None` when the ticket moved on (another node, a
    /// user) and there is nothing to do.
    #[tracing::instrument(skip(self, step), fields(step = step_name(&step)))]
    pub async fn advance(
        &self,
        ticket_id: i64,
        step: SystemStep,
    ) -> Result<Option<Executed>, TicketError> {
        let txn = crate::db::begin(&self.db).await?;
        let Some(row) = lock(&txn, ticket_id).await? else {
            return Ok(None);
        };
        let loaded = Loaded::parse(row)?;
        let before = loaded.view();
        let mut unit = Unit::new(txn, loaded, self.clock.now(), None);
        let taken = match step {
            SystemStep::Sla => self.sla_step(&mut unit).await?,
            SystemStep::StartFulfilment => self.start_fulfilment(&mut unit).await?,
            SystemStep::Succeeded(changes) => self.fulfilled(&mut unit, &changes).await?,
            SystemStep::Failed(reason) => self.failed(&mut unit, reason).await?,
        };
        let Some(action) = taken else {
            return Ok(None);
        };
        self.finish(unit, Closing::system(action, before))
            .await
            .map(Some)
    }

    /// Applies a system command if the ticket's state still takes it; answers whether it did.
    async fn system_transition(
        &self,
        unit: &mut Unit,
        command: Command<'_>,
        detail: Value,
    ) -> Result<bool, TicketError> {
        let Ok(transition) = workflow::apply(&unit.loaded.pure(), command) else {
            return Ok(false);
        };
        self.carry_out(unit, &transition, None, detail).await?;
        Ok(true)
    }

    /// An approved ticket starts fulfilment: a manual task opened, or its hosts placed; hosts
    /// that fit nowhere fail it at once.
    async fn start_fulfilment(&self, unit: &mut Unit) -> Result<Option<&'static str>, TicketError> {
        if !self
            .system_transition(unit, Command::StartFulfilment, json!({}))
            .await?
        {
            return Ok(None);
        }
        match self.prepare_fulfilment(unit).await? {
            Prepared::Ready => Ok(Some("ticket.fulfilment_started")),
            Prepared::NoRoom(reason) => {
                let detail = json!({ "reason": reason });
                unit.loaded.row.reason = Some(reason);
                self.system_transition(unit, Command::FulfilmentFailed, detail)
                    .await?;
                Ok(Some("ticket.failed"))
            }
        }
    }

    /// What fulfilment made becomes inventory, and the ticket is fulfilled.
    async fn fulfilled(
        &self,
        unit: &mut Unit,
        changes: &[InventoryChange],
    ) -> Result<Option<&'static str>, TicketError> {
        if unit.loaded.state != TicketState::Fulfilling {
            return Ok(None);
        }
        let records = self.apply_inventory(unit, changes).await?;
        let detail = json!({ "inventory_records": records });
        self.system_transition(unit, Command::FulfilmentSucceeded, detail)
            .await?;
        let requester_id = unit.loaded.row.requester_id;
        unit.notices
            .mails
            .push((requester_id, Template::Done, None));
        Ok(Some("ticket.fulfilled"))
    }

    /// Fulfilment failed with `reason`; what it made was removed (or is named in the reason),
    /// so its room is given up.
    async fn failed(
        &self,
        unit: &mut Unit,
        reason: String,
    ) -> Result<Option<&'static str>, TicketError> {
        if unit.loaded.state != TicketState::Fulfilling {
            return Ok(None);
        }
        placement::released(&unit.txn, unit.loaded.row.id).await?;
        let detail = json!({ "reason": reason });
        unit.loaded.row.reason = Some(reason);
        self.system_transition(unit, Command::FulfilmentFailed, detail)
            .await?;
        Ok(Some("ticket.failed"))
    }

    /// Reminds or escalates the open level when its SLA says so.
    async fn sla_step(&self, unit: &mut Unit) -> Result<Option<&'static str>, TicketError> {
        let Some((level, elapsed, due)) = sla_due(unit) else {
            return Ok(None);
        };
        let pending: Vec<i64> = unit
            .slots_of_open_level()
            .await?
            .into_iter()
            .filter(|slot| slot.decision == Decision::Pending.as_str())
            .map(|slot| slot.approver_id)
            .collect();
        let (kind, push_kind, template, recipients, action) = match due {
            SlaStep::Remind => {
                unit.loaded.row.reminded_at = Some(unit.now);
                let (kind, push) = ("reminded", EventKind::ApprovalReminder);
                (
                    kind,
                    push,
                    Template::Reminder,
                    pending.clone(),
                    "ticket.reminded",
                )
            }
            SlaStep::Escalate => {
                unit.loaded.row.escalated_at = Some(unit.now);
                let escalated_to = escalation_of(unit, &level).await?;
                let (kind, push) = ("escalated", EventKind::ApprovalEscalated);
                (
                    kind,
                    push,
                    Template::Escalation,
                    escalated_to,
                    "ticket.escalated",
                )
            }
        };
        let detail = json!({ "level": unit.loaded.row.level_index, "name": level.name, "overdue_secs": elapsed.as_secs(), "pending": pending, "notified": recipients });
        unit.record(unit.system_entry(kind, detail));
        unit.save().await?;
        let data = Box::new(ApprovalOverdueEvent {
            ticket: unit.loaded.view(),
            level_name: level.name.clone(),
            pending_approvers: pending,
        });
        for user_id in recipients {
            let notice = InboxNotice::Overdue(push_kind, data.clone());
            unit.notices.inbox.push((user_id, notice));
            let mail = (user_id, template, Some(level.name.clone()));
            unit.notices.mails.push(mail);
        }
        Ok(Some(action))
    }

    /// What starting fulfilment takes besides the transition: a manual task opened, or the
    /// hosts a VM request makes placed.
    async fn prepare_fulfilment(&self, unit: &mut Unit) -> Result<Prepared, TicketError> {
        let row = &unit.loaded.row;
        let item = self
            .versions
            .get(&unit.txn, row.item_id, row.item_version)
            .await?;
        match (&item.fulfilment, item.kind) {
            (Fulfilment::Manual { .. }, _) => {
                self.open_manual_task(unit, &item).await?;
                Ok(Prepared::Ready)
            }
            (Fulfilment::Provider, ItemKind::VmRequest) => {
                let form = form_of(&unit.loaded)?;
                let host = kinds::vm_request_host(&form);
                let ask = placement::Ask {
                    ticket_id: row.id,
                    tenant_id: row.tenant_id,
                    size: HostSize {
                        vcpu: host.vcpu,
                        memory_gb: host.memory_gb,
                        disk_gb: host.storage_gb,
                    },
                    count: host_count(&form),
                };
                match placement::place(&unit.txn, ask, unit.now).await {
                    Ok(()) => Ok(Prepared::Ready),
                    Err(PlaceError::NoRoom(reason)) => Ok(Prepared::NoRoom(reason)),
                    Err(PlaceError::Database(error)) => Err(error.into()),
                }
            }
            (Fulfilment::Provider, _) => Ok(Prepared::Ready),
        }
    }

    /// For tickets a person fulfils: the task, due within the item's SLA, told to the role.
    async fn open_manual_task(
        &self,
        unit: &mut Unit,
        item: &ItemVersion,
    ) -> Result<(), TicketError> {
        let Fulfilment::Manual {
            assignee_role,
            sla_secs,
        } = &item.fulfilment
        else {
            return Ok(());
        };
        let (row, now) = (&unit.loaded.row, unit.now);
        let task = manual_task::ActiveModel {
            ticket_id: Set(row.id),
            title: Set(format!("{}: {}", item.name, row.title)
                .chars()
                .take(200)
                .collect()),
            assignee_role: Set(assignee_role.clone()),
            assignee_id: Set(None),
            state: Set("open".to_owned()),
            due_at: Set(now + chrono::Duration::seconds(*sla_secs as i64)),
            note: Set(None),
            completed_by: Set(None),
            created_at: Set(now),
            completed_at: Set(None),
            ..Default::default()
        }
        .insert(&unit.txn)
        .await?;
        let assignees = approvers::resolve(
            &unit.txn,
            &yunguan_actors::ticket::chain::Approvers::Role {
                role: assignee_role.clone(),
                requester_tenant: false,
            },
            row.tenant_id,
        )
        .await?;
        let data = TaskAssignedEvent {
            task_id: task.id,
            ticket_id: row.id,
            title: task.title.clone(),
            due_at: task.due_at,
        };
        for user_id in assignees {
            let notice = InboxNotice::TaskAssigned(data.clone());
            unit.notices.inbox.push((user_id, notice));
            let mail = (user_id, Template::TaskAssigned, Some(task.title.clone()));
            unit.notices.mails.push(mail);
        }
        Ok(())
    }

    /// Pushes a fulfilment step's progress on the ticket's topic and records it.
    pub async fn progress(&self, ticket_id: i64, tenant_id: i64, progress: Progress) {
        let data = TicketProgressEvent {
            step: progress.step,
            of: progress.of,
            message: progress.message,
        };
        let entry = Entry {
            ticket_id,
            at: self.clock.now(),
            actor_id_opt: None,
            kind: "progress",
            from_state_opt: None,
            to_state_opt: None,
            detail: serde_json::to_value(&data).unwrap_or_default(),
        };
        if let Err(error) = entry.insert(&self.db).await {
            tracing::warn!(%error, ticket_id, "fulfilment progress not recorded");
        }
        let topic = Topic::Ticket {
            tenant_id,
            ticket_id,
        };
        if let Err(error) = self
            .hub
            .publish(&topic, EventKind::TicketProgress, &data)
            .await
        {
            tracing::warn!(error = ?error, ticket_id, "fulfilment progress not pushed");
        }
    }

    /// The ticket a manual task belongs to, for routing its completion to the ticket's actor.
    pub async fn ticket_of_task(&self, task_id: i64) -> Result<i64, TicketError> {
        manual_task::Entity::find_by_id(task_id)
            .one(&self.db)
            .await?
            .map(|task| task.ticket_id)
            .ok_or_else(|| TicketError::NotFound("task"))
    }

    /// Completes a manual task: the ticket it fulfils is fulfilled. Only the task's role
    /// (or a bureau admin) completes it.
    pub async fn complete_task(
        &self,
        task_id: i64,
        caller: &Caller,
        note_opt: Option<String>,
    ) -> Result<Executed, TicketError> {
        let now = self.clock.now();
        let txn = crate::db::begin(&self.db).await?;
        let mut query = manual_task::Entity::find_by_id(task_id);
        if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            query = query.lock_exclusive();
        }
        let task = query
            .one(&txn)
            .await?
            .ok_or_else(|| TicketError::NotFound("task"))?;
        let role = caller.principal.role;
        if role.as_str() != task.assignee_role && role != Role::BureauAdmin {
            return Err(TicketError::NotFound("task"));
        }
        if task.state != "open" {
            return Err(TicketError::TaskDone);
        }
        let note_opt = note_opt
            .map(|note| super::check_text("note", &note, 2000))
            .transpose()?;
        let row = lock(&txn, task.ticket_id)
            .await?
            .ok_or_else(|| TicketError::NotFound("ticket"))?;
        let loaded = Loaded::parse(row)?;
        let before = loaded.view();
        let transition = workflow::apply(&loaded.pure(), Command::FulfilmentSucceeded)
            .map_err(TicketError::Refused)?;
        let mut active: manual_task::ActiveModel = task.into();
        active.state = Set("done".to_owned());
        active.note = Set(note_opt.clone());
        active.completed_by = Set(Some(caller.principal.user_id));
        active.completed_at = Set(Some(now));
        active.update(&txn).await?;
        let mut unit = Unit::new(txn, loaded, now, Some(caller.principal.user_id));
        let records = self.apply_inventory(&unit, &[]).await?;
        let detail = json!({ "task_id": task_id, "note": note_opt, "inventory_records": records });
        self.carry_out(&mut unit, &transition, None, detail).await?;
        let requester_id = unit.loaded.row.requester_id;
        unit.notices
            .mails
            .push((requester_id, Template::Done, None));
        let closing = Closing::by(caller, "task.completed", Some(before), None);
        self.finish(unit, closing).await
    }
}

/// The open level, how long it has been open and the SLA step now due, if one is.
fn sla_due(unit: &Unit) -> Option<(Level, Duration, SlaStep)> {
    let loaded = &unit.loaded;
    if loaded.state != TicketState::Approving {
        return None;
    }
    let level = loaded.current_level().ok()?;
    let sla = Duration::from_secs(level.sla_secs?);
    let elapsed = (unit.now - loaded.row.level_opened_at?)
        .to_std()
        .unwrap_or_default();
    let plan = sla::plan(
        sla,
        elapsed,
        loaded.row.reminded_at.is_some(),
        loaded.row.escalated_at.is_some(),
    );
    Some((level.clone(), elapsed, plan.due_opt?))
}

/// Whom an overdue level escalates to: its escalation approvers, else the bureau admins.
async fn escalation_of(unit: &Unit, level: &Level) -> Result<Vec<i64>, TicketError> {
    let escalated_to = match &level.escalate_to {
        Some(approvers) => {
            approvers::resolve(&unit.txn, approvers, unit.loaded.row.tenant_id).await?
        }
        None => Vec::new(),
    };
    if escalated_to.is_empty() {
        Ok(approvers::fallback(&unit.txn).await?)
    } else {
        Ok(escalated_to)
    }
}

fn step_name(step: &SystemStep) -> &'static str {
    match step {
        SystemStep::Sla => "sla",
        SystemStep::StartFulfilment => "start_fulfilment",
        SystemStep::Succeeded(_) => "succeeded",
        SystemStep::Failed(_) => "failed",
    }
}

/// The ticket row, locked for the transaction on PostgreSQL.
async fn lock(
    txn: &DatabaseTransaction,
    ticket_id: i64,
) -> Result<Option<ticket::Model>, TicketError> {
    let mut query = ticket::Entity::find_by_id(ticket_id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    Ok(query.one(txn).await?)
}

pub(super) fn form_of(loaded: &Loaded) -> Result<Map<String, Value>, TicketError> {
    serde_json::from_str(&loaded.row.form).map_err(|e| {
        TicketError::Internal(anyhow::Error::new(e).context("stored form is unreadable"))
    })
}

/// What starting fulfilment found.
enum Prepared {
    Ready,
    /// The hosts do not fit anywhere the tenant may use: the ticket fails with this reason.
    NoRoom(String),
}

/// How many hosts a VM request form asks for.
fn host_count(form: &Map<String, Value>) -> usize {
    form.get("count")
        .and_then(Value::as_u64)
        .and_then(|count| usize::try_from(count).ok())
        .unwrap_or(0)
}

/// The host a change or decommission form names.
async fn existing_host(
    db: &impl ConnectionTrait,
    form: &Map<String, Value>,
    tenant_id: i64,
) -> Result<Option<ExistingHost>, TicketError> {
    let host_id = form.get("host_id").and_then(Value::as_i64).unwrap_or(0);
    let Some(record) = inventory_record::Entity::find_by_id(host_id)
        .filter(inventory_record::Column::TenantId.eq(tenant_id))
        .filter(inventory_record::Column::State.eq("active"))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let attributes: Value = serde_json::from_str(&record.attributes).unwrap_or_default();
    let size: Resources = serde_json::from_value(attributes["size"].clone()).unwrap_or_default();
    Ok(Some(ExistingHost {
        record_id: record.id,
        cloud_id: attributes["cloud_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        size: HostSize {
            vcpu: size.vcpu,
            memory_gb: size.memory_gb,
            disk_gb: size.storage_gb,
        },
    }))
}

/// When the open level's next SLA step falls due, if it has an SLA.
fn sla_deadline(loaded: &Loaded) -> Option<DateTime<Utc>> {
    if loaded.state != TicketState::Approving {
        return None;
    }
    let level = loaded.levels.get(loaded.row.level_index? as usize)?;
    let sla = chrono::Duration::seconds(level.sla_secs? as i64);
    let opened_at = loaded.row.level_opened_at?;
    match (loaded.row.reminded_at, loaded.row.escalated_at) {
        (None, _) => Some(opened_at + sla),
        (Some(_), None) => Some(opened_at + sla * 2),
        (Some(_), Some(_)) => None,
    }
}
