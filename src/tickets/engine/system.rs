//! What the system does to tickets, as opposed to users: the SLA clock of an open level
//! (reminders, escalation), fulfilment (start, progress, success, failure) and the manual
//! tasks people complete. Each step is one transaction like a user's action, audited as the
//! system (or as the user completing a task), and pushed after commit.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::{json, Map, Value};
use yunguan_actors::quota::Resources;
use yunguan_actors::ticket::sla::{self, SlaStep};
use yunguan_actors::ticket::workflow::{self, Command, Decision, TicketState};

use super::{
    approvers, record_event, refusal_error, Caller, Closing, Engine, Executed, InboxNotice, Loaded,
    Notices,
};
use crate::catalog::kinds::{self, Fulfilment, ItemKind};
use crate::catalog::ItemVersion;
use crate::db::entities::{inventory_record, manual_task, ticket, ticket_approval};
use crate::error::{ApiError, ErrorCode};
use crate::fulfilment::provider::HostSize;
use crate::fulfilment::{self, ExistingHost, Hosts, InventoryChange, Progress, Step};
use crate::hub::{EventKind, Topic};
use crate::identity::Role;
use crate::mail::templates::Template;
use crate::placement::{self, PlaceError};
use crate::quotas;
use crate::tickets::views::{
    ApprovalOverdueEvent, TaskAssignedEvent, TicketProgressEvent, TicketView,
};

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
    /// What fulfilling it takes, once approved or fulfilling.
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
    pub async fn status(&self, ticket_id: i64) -> Result<Option<Status>, ApiError> {
        let Some(row) = ticket::Entity::find_by_id(ticket_id).one(&self.db).await? else {
            return Ok(None);
        };
        let loaded = Loaded::parse(row)?;
        let sla_deadline_opt = sla_deadline(&loaded);
        let work_opt = match loaded.state {
            TicketState::Approved | TicketState::Fulfilling => {
                Some(self.work_of(&self.db, &loaded).await?)
            }
            _ => None,
        };
        Ok(Some(Status {
            state: loaded.state,
            tenant_id: loaded.row.tenant_id,
            sla_deadline_opt,
            work_opt,
        }))
    }

    async fn work_of(&self, db: &impl ConnectionTrait, loaded: &Loaded) -> Result<Work, ApiError> {
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
    ) -> Result<Option<TicketView>, ApiError> {
        let now = self.clock.now();
        let txn = crate::db::begin(&self.db).await?;
        let Some(row) = lock(&txn, ticket_id).await? else {
            return Ok(None);
        };
        let mut loaded = Loaded::parse(row)?;
        let before = loaded.view();
        let mut notices = Notices::default();
        let action = match step {
            SystemStep::Sla => {
                let Some(action) = self.sla_step(&txn, &mut loaded, &mut notices, now).await?
                else {
                    return Ok(None);
                };
                action
            }
            SystemStep::StartFulfilment => {
                if !self
                    .system_transition(
                        &txn,
                        &mut loaded,
                        Command::StartFulfilment,
                        &mut notices,
                        now,
                        json!({}),
                    )
                    .await?
                {
                    return Ok(None);
                }
                match self
                    .prepare_fulfilment(&txn, &loaded, &mut notices, now)
                    .await?
                {
                    Prepared::Ready => "ticket.fulfilment_started",
                    Prepared::NoRoom(reason) => {
                        let detail = json!({ "reason": reason });
                        loaded.row.reason = Some(reason);
                        self.system_transition(
                            &txn,
                            &mut loaded,
                            Command::FulfilmentFailed,
                            &mut notices,
                            now,
                            detail,
                        )
                        .await?;
                        "ticket.failed"
                    }
                }
            }
            SystemStep::Succeeded(changes) => {
                if loaded.state != TicketState::Fulfilling {
                    return Ok(None);
                }
                let records = self.apply_inventory(&txn, &loaded, &changes, now).await?;
                let detail = json!({ "inventory_records": records });
                self.system_transition(
                    &txn,
                    &mut loaded,
                    Command::FulfilmentSucceeded,
                    &mut notices,
                    now,
                    detail,
                )
                .await?;
                notices
                    .mails
                    .push((loaded.row.requester_id, Template::Done, None));
                "ticket.fulfilled"
            }
            SystemStep::Failed(reason) => {
                if loaded.state != TicketState::Fulfilling {
                    return Ok(None);
                }
                // What it made was removed (or named in the reason): its room is given up.
                placement::released(&txn, ticket_id).await?;
                let detail = json!({ "reason": reason });
                loaded.row.reason = Some(reason);
                self.system_transition(
                    &txn,
                    &mut loaded,
                    Command::FulfilmentFailed,
                    &mut notices,
                    now,
                    detail,
                )
                .await?;
                "ticket.failed"
            }
        };
        let executed = self
            .finish(txn, Closing::system(action, before), &loaded, notices, now)
            .await?;
        Ok(Some(executed.ticket))
    }

    /// Applies a system command if the ticket's state still takes it; answers whether it did.
    async fn system_transition(
        &self,
        txn: &DatabaseTransaction,
        loaded: &mut Loaded,
        command: Command<'_>,
        notices: &mut Notices,
        now: DateTime<Utc>,
        detail: Value,
    ) -> Result<bool, ApiError> {
        let Ok(transition) = workflow::apply(&loaded.pure(), command) else {
            return Ok(false);
        };
        self.carry_out(txn, loaded, &transition, None, notices, now, None, detail)
            .await?;
        Ok(true)
    }

    /// Reminds or escalates the open level when its SLA says so.
    async fn sla_step(
        &self,
        txn: &DatabaseTransaction,
        loaded: &mut Loaded,
        notices: &mut Notices,
        now: DateTime<Utc>,
    ) -> Result<Option<&'static str>, ApiError> {
        let (Some(level), Some(opened_at)) = (
            loaded
                .row
                .level_index
                .and_then(|i| loaded.levels.get(i as usize))
                .cloned(),
            loaded.row.level_opened_at,
        ) else {
            return Ok(None);
        };
        let (Some(sla_secs), TicketState::Approving) = (level.sla_secs, loaded.state) else {
            return Ok(None);
        };
        let elapsed = (now - opened_at).to_std().unwrap_or_default();
        let plan = sla::plan(
            Duration::from_secs(sla_secs),
            elapsed,
            loaded.row.reminded_at.is_some(),
            loaded.row.escalated_at.is_some(),
        );
        let pending: Vec<i64> = ticket_approval::Entity::find()
            .filter(ticket_approval::Column::TicketId.eq(loaded.row.id))
            .filter(ticket_approval::Column::Round.eq(loaded.row.round))
            .filter(ticket_approval::Column::LevelIndex.eq(loaded.row.level_index))
            .filter(ticket_approval::Column::Decision.eq(Decision::Pending.as_str()))
            .all(txn)
            .await?
            .into_iter()
            .map(|slot| slot.approver_id)
            .collect();
        let (kind, push_kind, template, recipients, action) = match plan.due_opt {
            None => return Ok(None),
            Some(SlaStep::Remind) => {
                loaded.row.reminded_at = Some(now);
                (
                    "reminded",
                    EventKind::ApprovalReminder,
                    Template::Reminder,
                    pending.clone(),
                    "ticket.reminded",
                )
            }
            Some(SlaStep::Escalate) => {
                loaded.row.escalated_at = Some(now);
                let mut escalated_to = match &level.escalate_to {
                    Some(approvers) => {
                        approvers::resolve(txn, approvers, loaded.row.tenant_id).await?
                    }
                    None => Vec::new(),
                };
                if escalated_to.is_empty() {
                    escalated_to = approvers::fallback(txn).await?;
                }
                (
                    "escalated",
                    EventKind::ApprovalEscalated,
                    Template::Escalation,
                    escalated_to,
                    "ticket.escalated",
                )
            }
        };
        record_event(
            txn,
            loaded.row.id,
            now,
            None,
            kind,
            None,
            None,
            json!({ "level": loaded.row.level_index, "name": level.name, "overdue_secs": elapsed.as_secs(), "pending": pending, "notified": recipients }),
        )
        .await?;
        self.save(txn, loaded, now).await?;
        let data = Box::new(ApprovalOverdueEvent {
            ticket: loaded.view(),
            level_name: level.name.clone(),
            pending_approvers: pending,
        });
        for user_id in recipients {
            notices
                .inbox
                .push((user_id, InboxNotice::Overdue(push_kind, data.clone())));
            notices
                .mails
                .push((user_id, template, Some(level.name.clone())));
        }
        Ok(Some(action))
    }

    /// For tickets a person fulfils: the task, due within the item's SLA, told to the role.
    /// What starting fulfilment takes besides the transition: a manual task opened, or the
    /// hosts a VM request makes placed.
    async fn prepare_fulfilment(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
        notices: &mut Notices,
        now: DateTime<Utc>,
    ) -> Result<Prepared, ApiError> {
        let item = self
            .versions
            .get(txn, loaded.row.item_id, loaded.row.item_version)
            .await?;
        match (&item.fulfilment, item.kind) {
            (Fulfilment::Manual { .. }, _) => {
                self.open_manual_task(txn, loaded, &item, notices, now)
                    .await?;
                Ok(Prepared::Ready)
            }
            (Fulfilment::Provider, ItemKind::VmRequest) => {
                let form = form_of(loaded)?;
                let host = kinds::vm_request_host(&form);
                let ask = placement::Ask {
                    ticket_id: loaded.row.id,
                    tenant_id: loaded.row.tenant_id,
                    size: HostSize {
                        vcpu: host.vcpu,
                        memory_gb: host.memory_gb,
                        disk_gb: host.storage_gb,
                    },
                    count: host_count(&form),
                };
                match placement::place(txn, ask, now).await {
                    Ok(()) => Ok(Prepared::Ready),
                    Err(PlaceError::NoRoom(reason)) => Ok(Prepared::NoRoom(reason)),
                    Err(PlaceError::Database(error)) => Err(error.into()),
                }
            }
            (Fulfilment::Provider, _) => Ok(Prepared::Ready),
        }
    }

    async fn open_manual_task(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
        item: &ItemVersion,
        notices: &mut Notices,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let Fulfilment::Manual {
            assignee_role,
            sla_secs,
        } = &item.fulfilment
        else {
            return Ok(());
        };
        let task = manual_task::ActiveModel {
            ticket_id: Set(loaded.row.id),
            title: Set(format!("{}: {}", item.name, loaded.row.title)
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
        .insert(txn)
        .await?;
        let assignees = approvers::resolve(
            txn,
            &yunguan_actors::ticket::chain::Approvers::Role {
                role: assignee_role.clone(),
                requester_tenant: false,
            },
            loaded.row.tenant_id,
        )
        .await?;
        let data = TaskAssignedEvent {
            task_id: task.id,
            ticket_id: loaded.row.id,
            title: task.title.clone(),
            due_at: task.due_at,
        };
        for user_id in assignees {
            notices
                .inbox
                .push((user_id, InboxNotice::TaskAssigned(data.clone())));
            notices
                .mails
                .push((user_id, Template::TaskAssigned, Some(task.title.clone())));
        }
        Ok(())
    }

    /// Records what fulfilment made or changed; answers the inventory record ids.
    async fn apply_inventory(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
        changes: &[InventoryChange],
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, ApiError> {
        let form = form_of(loaded)?;
        let public_ips = i64::from(
            form.get("public_ip")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        );
        let mut record_ids = Vec::with_capacity(changes.len());
        let adds_hosts = changes
            .iter()
            .any(|change| matches!(change, InventoryChange::AddHost { .. }));
        let placed = if adds_hosts {
            placement::of_ticket(txn, loaded.row.id).await?
        } else {
            Vec::new()
        };
        for change in changes {
            match change {
                InventoryChange::AddHost {
                    host_index,
                    name,
                    cloud_id,
                    address,
                    size,
                    runs_on_opt,
                } => {
                    let placement_opt = placed
                        .iter()
                        .find(|placed| placed.host_index == *host_index)
                        .map(|placed| {
                            json!({
                                "data_center_id": placed.data_center_id,
                                "pool_id": placed.pool_id,
                                "cluster_id": placed.cluster_id,
                                "host_id": placed.host_id,
                                "host": runs_on_opt.as_ref().unwrap_or(&placed.host),
                            })
                        });
                    let attributes = json!({
                        "cloud_id": cloud_id,
                        "address": address,
                        "size": held_by(*size, public_ips),
                        "image": form.get("image"),
                        "network": form.get("network"),
                        "lease_end": form.get("lease_end"),
                        "placement": placement_opt,
                    });
                    let record = inventory_record::ActiveModel {
                        tenant_id: Set(loaded.row.tenant_id),
                        ticket_id: Set(Some(loaded.row.id)),
                        business_system: Set(loaded.row.business_system.clone()),
                        kind: Set("cloud_host".to_owned()),
                        name: Set(name.clone()),
                        attributes: Set(attributes.to_string()),
                        state: Set("active".to_owned()),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                    placement::made(txn, loaded.row.id, *host_index, cloud_id, record.id).await?;
                    record_ids.push(record.id);
                }
                InventoryChange::ResizeHost { record_id, size }
                | InventoryChange::RetireHost { record_id, size } => {
                    let Some(record) = inventory_record::Entity::find_by_id(*record_id)
                        .filter(inventory_record::Column::TenantId.eq(loaded.row.tenant_id))
                        .one(txn)
                        .await?
                    else {
                        continue;
                    };
                    let mut attributes: Value =
                        serde_json::from_str(&record.attributes).unwrap_or_else(|_| json!({}));
                    let previous: Resources =
                        serde_json::from_value(attributes["size"].clone()).unwrap_or_default();
                    let retire = matches!(change, InventoryChange::RetireHost { .. });
                    let now_held = held_by(*size, previous.public_ips);
                    attributes["size"] = serde_json::to_value(now_held).unwrap_or_default();
                    let mut update = inventory_record::Entity::update_many()
                        .col_expr(
                            inventory_record::Column::Attributes,
                            Expr::value(attributes.to_string()),
                        )
                        .col_expr(inventory_record::Column::UpdatedAt, Expr::value(now));
                    if retire {
                        update = update
                            .col_expr(inventory_record::Column::State, Expr::value("retired"));
                    }
                    // Only an active host changes: a second decommission (or a change racing
                    // one) finds it retired and gives nothing back twice.
                    let changed = update
                        .filter(inventory_record::Column::Id.eq(record.id))
                        .filter(inventory_record::Column::State.eq("active"))
                        .exec(txn)
                        .await?
                        .rows_affected;
                    if changed == 0 {
                        continue;
                    }
                    if retire {
                        placement::retired(txn, record.id).await?;
                    } else {
                        placement::resized(txn, record.id, *size).await?;
                    }
                    // Retiring gives back all the host held; shrinking, what it no longer holds.
                    let freed = if retire {
                        previous
                    } else {
                        previous.minus(now_held)
                    };
                    if !freed.is_zero() {
                        quotas::give_back(txn, loaded.row.tenant_id, freed, now).await?;
                    }
                    record_ids.push(record.id);
                }
            }
        }
        // A firewall opening leaves a rule on record, tied to the business system.
        let item = self
            .versions
            .get(txn, loaded.row.item_id, loaded.row.item_version)
            .await?;
        if item.kind == ItemKind::FirewallOpen {
            let record = inventory_record::ActiveModel {
                tenant_id: Set(loaded.row.tenant_id),
                ticket_id: Set(Some(loaded.row.id)),
                business_system: Set(loaded.row.business_system.clone()),
                kind: Set("firewall_rule".to_owned()),
                name: Set(format!("fw-t{}", loaded.row.id)),
                attributes: Set(Value::Object(form).to_string()),
                state: Set("active".to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            record_ids.push(record.id);
        }
        Ok(record_ids)
    }

    /// Pushes a fulfilment step's progress on the ticket's topic and records it.
    pub async fn progress(&self, ticket_id: i64, tenant_id: i64, progress: Progress) {
        let data = TicketProgressEvent {
            step: progress.step,
            of: progress.of,
            message: progress.message,
        };
        let detail = serde_json::to_value(&data).unwrap_or_default();
        if let Err(error) = record_event(
            &self.db,
            ticket_id,
            self.clock.now(),
            None,
            "progress",
            None,
            None,
            detail.clone(),
        )
        .await
        {
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
    pub async fn ticket_of_task(&self, task_id: i64) -> Result<i64, ApiError> {
        manual_task::Entity::find_by_id(task_id)
            .one(&self.db)
            .await?
            .map(|task| task.ticket_id)
            .ok_or_else(|| ApiError::not_found("task"))
    }

    /// Completes a manual task: the ticket it fulfils is fulfilled. Only the task's role
    /// (or a bureau admin) completes it.
    pub async fn complete_task(
        &self,
        task_id: i64,
        caller: &Caller,
        note_opt: Option<String>,
    ) -> Result<Executed, ApiError> {
        let now = self.clock.now();
        let txn = crate::db::begin(&self.db).await?;
        let mut query = manual_task::Entity::find_by_id(task_id);
        if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            query = query.lock_exclusive();
        }
        let task = query
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::not_found("task"))?;
        let role = caller.principal.role;
        if role.as_str() != task.assignee_role && role != Role::BureauAdmin {
            return Err(ApiError::not_found("task"));
        }
        if task.state != "open" {
            return Err(ApiError::new(
                ErrorCode::InvalidTransition,
                "the task is already done",
            ));
        }
        let note_opt = note_opt
            .map(|note| super::check_text("note", &note, 2000))
            .transpose()?;
        let row = lock(&txn, task.ticket_id)
            .await?
            .ok_or_else(|| ApiError::not_found("ticket"))?;
        let mut loaded = Loaded::parse(row)?;
        let before = loaded.view();
        let transition =
            workflow::apply(&loaded.pure(), Command::FulfilmentSucceeded).map_err(refusal_error)?;
        let mut active: manual_task::ActiveModel = task.into();
        active.state = Set("done".to_owned());
        active.note = Set(note_opt.clone());
        active.completed_by = Set(Some(caller.principal.user_id));
        active.completed_at = Set(Some(now));
        active.update(&txn).await?;
        let records = self.apply_inventory(&txn, &loaded, &[], now).await?;
        let mut notices = Notices::default();
        let detail = json!({ "task_id": task_id, "note": note_opt, "inventory_records": records });
        self.carry_out(
            &txn,
            &mut loaded,
            &transition,
            None,
            &mut notices,
            now,
            Some(caller.principal.user_id),
            detail,
        )
        .await?;
        notices
            .mails
            .push((loaded.row.requester_id, Template::Done, None));
        let closing = Closing::by(caller, "task.completed", Some(before), None);
        self.finish(txn, closing, &loaded, notices, now).await
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
) -> Result<Option<ticket::Model>, ApiError> {
    let mut query = ticket::Entity::find_by_id(ticket_id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    Ok(query.one(txn).await?)
}

fn form_of(loaded: &Loaded) -> Result<Map<String, Value>, ApiError> {
    serde_json::from_str(&loaded.row.form)
        .map_err(|e| ApiError::internal(anyhow::Error::new(e).context("stored form is unreadable")))
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

/// What a host of this size holds of its tenant's quota.
fn held_by(size: HostSize, public_ips: i64) -> Resources {
    Resources {
        vcpu: size.vcpu,
        memory_gb: size.memory_gb,
        storage_gb: size.disk_gb,
        hosts: 1,
        public_ips,
    }
}

/// The host a change or decommission form names.
async fn existing_host(
    db: &impl ConnectionTrait,
    form: &Map<String, Value>,
    tenant_id: i64,
) -> Result<Option<ExistingHost>, ApiError> {
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
