//! Tickets as clients see them, over HTTP and in pushed events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::entities::{ticket, ticket_approval, ticket_event};
use crate::hub::EventData;

/// A ticket's summary: list rows, and the data of `ticket.changed` events. Also the stored
/// answer replayed to a retried request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    pub tenant_id: i64,
    pub requester_id: i64,
    pub item_id: i64,
    pub item_version: i32,
    pub title: String,
    pub business_system: String,
    /// `approving`, `approved`, `fulfilling`, `fulfilled`, `closed`, `rejected`, `withdrawn`
    /// or `failed`.
    pub state: String,
    /// How many times it was submitted.
    pub round: i32,
    /// The open approval level (from 0) and its name, while approving.
    pub level_index: Option<i32>,
    pub level_name: Option<String>,
    pub level_count: usize,
    /// Grows with every change; send it back as `If-Match` to act only on what you saw.
    pub version: i64,
    pub reason: Option<String>,
    pub rating: Option<i16>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl TicketView {
    pub fn of(model: &ticket::Model, level_names: &[String]) -> TicketView {
        TicketView {
            id: model.id,
            tenant_id: model.tenant_id,
            requester_id: model.requester_id,
            item_id: model.item_id,
            item_version: model.item_version,
            title: model.title.clone(),
            business_system: model.business_system.clone(),
            state: model.state.clone(),
            round: model.round,
            level_index: model.level_index,
            level_name: model
                .level_index
                .and_then(|index| level_names.get(index as usize).cloned()),
            level_count: level_names.len(),
            version: model.version,
            reason: model.reason.clone(),
            rating: model.rating,
            created_at: model.created_at,
            updated_at: model.updated_at,
            closed_at: model.closed_at,
        }
    }
}

/// One approver's slot on one level.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalView {
    pub id: i64,
    pub ticket_id: i64,
    pub round: i32,
    pub level_index: i32,
    pub approver_id: i64,
    /// `pending`, `approved`, `rejected` or `cancelled`.
    pub decision: String,
    /// Who decided: the approver or their delegate.
    pub decided_by: Option<i64>,
    pub comment: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<ticket_approval::Model> for ApprovalView {
    fn from(model: ticket_approval::Model) -> Self {
        ApprovalView {
            id: model.id,
            ticket_id: model.ticket_id,
            round: model.round,
            level_index: model.level_index,
            approver_id: model.approver_id,
            decision: model.decision,
            decided_by: model.decided_by,
            comment: model.comment,
            opened_at: model.opened_at,
            decided_at: model.decided_at,
        }
    }
}

/// A pending approval in someone's inbox: the slot and its ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboxItem {
    pub approval: ApprovalView,
    pub ticket: TicketView,
    /// Set when the reader holds it as a delegate of this approver.
    pub acting_for: Option<i64>,
}

impl EventData for TicketView {}

/// The data of `ticket.moved`: which ticket changed and the state it is in now, without its
/// content, for the command center's counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketMovedEvent {
    pub ticket_id: i64,
    pub tenant_id: i64,
    pub state: String,
    pub updated_at: DateTime<Utc>,
}

impl From<&TicketView> for TicketMovedEvent {
    fn from(view: &TicketView) -> TicketMovedEvent {
        TicketMovedEvent {
            ticket_id: view.id,
            tenant_id: view.tenant_id,
            state: view.state.clone(),
            updated_at: view.updated_at,
        }
    }
}

impl EventData for TicketMovedEvent {}
impl EventData for ApprovalView {}
impl EventData for InboxItem {}

/// The data of `ticket.progress`: a fulfilment step's progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketProgressEvent {
    /// The step, from 1, of `of`.
    pub step: usize,
    pub of: usize,
    pub message: String,
}

impl EventData for TicketProgressEvent {}

/// The data of `approval.reminder` and `approval.escalated`: an approval level is overdue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalOverdueEvent {
    pub ticket: TicketView,
    pub level_name: String,
    /// Who has yet to decide on the level.
    pub pending_approvers: Vec<i64>,
}

impl EventData for ApprovalOverdueEvent {}

/// The data of `task.assigned`: a manual task opened for the reader's role.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskAssignedEvent {
    pub task_id: i64,
    pub ticket_id: i64,
    pub title: String,
    pub due_at: DateTime<Utc>,
}

impl EventData for TaskAssignedEvent {}

/// One entry of a ticket's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    /// `submitted`, `signed`, `level_passed`, `approved`, `rejected`, `resubmitted`,
    /// `withdrawn`, `commented`, `reminded`, `escalated`, ...
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl From<ticket_event::Model> for TimelineEntry {
    fn from(model: ticket_event::Model) -> Self {
        TimelineEntry {
            id: model.id,
            at: model.at,
            actor_id: model.actor_id,
            kind: model.kind,
            from_state: model.from_state,
            to_state: model.to_state,
            detail: serde_json::from_str(&model.detail).unwrap_or(Value::Null),
        }
    }
}

/// Everything about one ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketView,
    #[schema(value_type = Object)]
    pub form: Value,
    /// The levels planned for the current round, by name.
    pub levels: Vec<String>,
    pub approvals: Vec<ApprovalView>,
    pub timeline: Vec<TimelineEntry>,
}
