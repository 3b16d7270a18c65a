//! Reading tickets: lists (filtered, sorted, paged, scoped by tenant), one ticket in full,
//! an approver's inbox, and delegations.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yunguan_actors::ticket::chain::Level;
use yunguan_actors::ticket::workflow::Decision;

use super::approvers;
use super::engine::{find_visible, Lock};
use super::views::{ApprovalView, InboxItem, TicketDetail, TicketView, TimelineEntry};
use crate::db::entities::{delegation, manual_task, ticket, ticket_approval, ticket_event, user};
use crate::error::FieldError;
use crate::identity::{Principal, Role};
use crate::tenancy::TenantScope;
use crate::tickets::TicketError;

/// Filters and order of a ticket listing.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub state_opt: Option<String>,
    pub item_id_opt: Option<i64>,
    pub requester_id_opt: Option<i64>,
    pub business_system_opt: Option<String>,
    /// Default: newest first.
    pub sort_opt: Option<TicketSort>,
    pub offset: u64,
    pub limit: u64,
}

/// How a ticket list is sorted: by creation (`-`: newest first) or by last change.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
pub enum TicketSort {
    #[serde(rename = "created_at")]
    Created,
    #[default]
    #[serde(rename = "-created_at")]
    CreatedNewestFirst,
    #[serde(rename = "updated_at")]
    Updated,
    #[serde(rename = "-updated_at")]
    UpdatedNewestFirst,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketPage {
    pub total: u64,
    pub items: Vec<TicketView>,
}

fn level_names(row: &ticket::Model) -> Vec<String> {
    serde_json::from_str::<Vec<Level>>(&row.levels)
        .map(|levels| levels.into_iter().map(|l| l.name).collect())
        .unwrap_or_default()
}

pub fn view_of(row: &ticket::Model) -> TicketView {
    TicketView::of(row, &level_names(row))
}

pub async fn list(
    db: &DatabaseConnection,
    scope: TenantScope,
    filter: TicketFilter,
) -> Result<TicketPage, TicketError> {
    let mut query = ticket::Entity::find();
    query = match scope {
        TenantScope::AllTenants => query,
        TenantScope::OneTenant(tenant_id) => query.filter(ticket::Column::TenantId.eq(tenant_id)),
        TenantScope::NoTenant => {
            return Ok(TicketPage {
                total: 0,
                items: Vec::new(),
            })
        }
    };
    if let Some(state) = filter.state_opt {
        query = query.filter(ticket::Column::State.eq(state));
    }
    if let Some(item_id) = filter.item_id_opt {
        query = query.filter(ticket::Column::ItemId.eq(item_id));
    }
    if let Some(requester_id) = filter.requester_id_opt {
        query = query.filter(ticket::Column::RequesterId.eq(requester_id));
    }
    if let Some(business_system) = filter.business_system_opt {
        query = query.filter(ticket::Column::BusinessSystem.eq(business_system));
    }
    let total = query.clone().count(db).await?;
    query = match filter.sort_opt.unwrap_or_default() {
        TicketSort::Created => query.order_by_asc(ticket::Column::Id),
        TicketSort::CreatedNewestFirst => query.order_by_desc(ticket::Column::Id),
        TicketSort::Updated => query
            .order_by_asc(ticket::Column::UpdatedAt)
            .order_by_asc(ticket::Column::Id),
        TicketSort::UpdatedNewestFirst => query
            .order_by_desc(ticket::Column::UpdatedAt)
            .order_by_desc(ticket::Column::Id),
    };
    let rows = query
        .offset(filter.offset)
        .limit(filter.limit)
        .all(db)
        .await?;
    Ok(TicketPage {
        total,
        items: rows.iter().map(view_of).collect(),
    })
}

pub async fn detail(
    db: &DatabaseConnection,
    ticket_id: i64,
    principal: &Principal,
) -> Result<TicketDetail, TicketError> {
    let row = find_visible(db, ticket_id, principal, Lock::None).await?;
    let approvals = ticket_approval::Entity::find()
        .filter(ticket_approval::Column::TicketId.eq(ticket_id))
        .order_by_asc(ticket_approval::Column::Id)
        .all(db)
        .await?;
    let timeline = ticket_event::Entity::find()
        .filter(ticket_event::Column::TicketId.eq(ticket_id))
        .order_by_asc(ticket_event::Column::Id)
        .all(db)
        .await?;
    Ok(TicketDetail {
        form: serde_json::from_str(&row.form).unwrap_or_default(),
        levels: level_names(&row),
        ticket: view_of(&row),
        approvals: approvals.into_iter().map(ApprovalView::from).collect(),
        timeline: timeline.into_iter().map(TimelineEntry::from).collect(),
    })
}

/// The tickets of these approval slots.
async fn tickets_of(
    db: &DatabaseConnection,
    slots: &[ticket_approval::Model],
) -> Result<Vec<ticket::Model>, sea_orm::DbErr> {
    let ticket_ids: Vec<i64> = slots.iter().map(|slot| slot.ticket_id).collect();
    ticket::Entity::find()
        .filter(ticket::Column::Id.is_in(ticket_ids))
        .all(db)
        .await
}

/// The caller's pending approvals, and those of approvers who delegated to them.
pub async fn inbox(
    db: &DatabaseConnection,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<Vec<InboxItem>, TicketError> {
    let delegators = approvers::acting_for(db, principal.user_id, now).await?;
    let mut approvers_read = delegators.clone();
    approvers_read.push(principal.user_id);
    let slots = ticket_approval::Entity::find()
        .filter(ticket_approval::Column::Decision.eq("pending"))
        .filter(ticket_approval::Column::ApproverId.is_in(approvers_read))
        .order_by_asc(ticket_approval::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let tickets = tickets_of(db, &slots).await?;
    let mut items = Vec::with_capacity(slots.len());
    for slot in slots {
        let Some(row) = tickets.iter().find(|t| t.id == slot.ticket_id) else {
            continue;
        };
        let acting_for = (slot.approver_id != principal.user_id).then_some(slot.approver_id);
        // A delegate never holds approvals of their own requests.
        if acting_for.is_some() && row.requester_id == principal.user_id {
            continue;
        }
        items.push(InboxItem {
            approval: ApprovalView::from(slot),
            ticket: view_of(row),
            acting_for,
        });
    }
    Ok(items)
}

/// The approvals the caller decided (approved or rejected, for themselves or as a delegate),
/// the latest first, each with its ticket as it stands now.
pub async fn decided(
    db: &DatabaseConnection,
    principal: &Principal,
    offset: u64,
    limit: u64,
) -> Result<Vec<InboxItem>, TicketError> {
    let slots = ticket_approval::Entity::find()
        .filter(ticket_approval::Column::DecidedBy.eq(principal.user_id))
        .filter(
            ticket_approval::Column::Decision
                .is_in([Decision::Approved.as_str(), Decision::Rejected.as_str()]),
        )
        .order_by_desc(ticket_approval::Column::DecidedAt)
        .order_by_desc(ticket_approval::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let tickets = tickets_of(db, &slots).await?;
    Ok(slots
        .into_iter()
        .filter_map(|slot| {
            let row = tickets.iter().find(|t| t.id == slot.ticket_id)?;
            // As the ticket's detail would answer: a ticket decided as someone's delegate, or
            // before the person moved to another tenant, shows only if they may still see it.
            let visible =
                principal.scope().includes(row.tenant_id) || slot.approver_id == principal.user_id;
            if !visible {
                return None;
            }
            Some(InboxItem {
                acting_for: (slot.approver_id != principal.user_id).then_some(slot.approver_id),
                ticket: view_of(row),
                approval: ApprovalView::from(slot),
            })
        })
        .collect())
}

/// A delegation as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DelegationView {
    pub id: i64,
    pub delegator_id: i64,
    pub delegate_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub revoked: bool,
}

impl From<delegation::Model> for DelegationView {
    fn from(model: delegation::Model) -> Self {
        DelegationView {
            id: model.id,
            delegator_id: model.delegator_id,
            delegate_id: model.delegate_id,
            starts_at: model.starts_at,
            ends_at: model.ends_at,
            revoked: model.revoked_at.is_some(),
        }
    }
}

/// The caller hands their approvals to `delegate_id` from `starts_at` until `ends_at`.
pub async fn delegate(
    db: &DatabaseConnection,
    principal: &Principal,
    delegate_id: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DelegationView, TicketError> {
    let mut problems = Vec::new();
    if delegate_id == principal.user_id {
        problems.push(FieldError::new("delegate_id", "cannot be yourself"));
    }
    if ends_at <= starts_at || ends_at <= now {
        problems.push(FieldError::new(
            "ends_at",
            "must be after starts_at and in the future",
        ));
    }
    if (ends_at - starts_at).num_days() > 180 {
        problems.push(FieldError::new(
            "ends_at",
            "a delegation lasts at most 180 days",
        ));
    }
    let delegate = user::Entity::find_by_id(delegate_id).one(db).await?;
    // Approvals stay on their side: a tenant's among its own users, the bureau's among bureau
    // staff. One message for every refusal, so ids of other tenants' users reveal nothing.
    let same_side = delegate.as_ref().is_some_and(|user| {
        let role_opt = Role::parse(&user.role);
        !user.disabled
            && if principal.role.is_bureau() {
                role_opt.is_some_and(Role::is_bureau)
            } else {
                principal.role.is_tenant_role()
                    && role_opt.is_some_and(Role::is_tenant_role)
                    && user.tenant_id.is_some()
                    && user.tenant_id == principal.tenant_id_opt
            }
    });
    if !same_side {
        problems.push(FieldError::new(
            "delegate_id",
            "must be an enabled user of your own tenant (bureau staff: of the bureau)",
        ));
    }
    if !problems.is_empty() {
        return Err(TicketError::invalid(
            "the delegation is not valid",
            problems,
        ));
    }
    let stored = delegation::ActiveModel {
        delegator_id: Set(principal.user_id),
        delegate_id: Set(delegate_id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(stored.into())
}

/// Delegations the caller gave or received, newest first.
pub async fn delegations(
    db: &DatabaseConnection,
    principal: &Principal,
) -> Result<Vec<DelegationView>, TicketError> {
    let rows = delegation::Entity::find()
        .filter(
            Condition::any()
                .add(delegation::Column::DelegatorId.eq(principal.user_id))
                .add(delegation::Column::DelegateId.eq(principal.user_id)),
        )
        .order_by_desc(delegation::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(DelegationView::from).collect())
}

/// Ends one of the caller's delegations now.
pub async fn revoke_delegation(
    db: &DatabaseConnection,
    principal: &Principal,
    delegation_id: i64,
    now: DateTime<Utc>,
) -> Result<DelegationView, TicketError> {
    let row = delegation::Entity::find_by_id(delegation_id)
        .filter(delegation::Column::DelegatorId.eq(principal.user_id))
        .one(db)
        .await?
        .ok_or_else(|| TicketError::NotFound("delegation"))?;
    if row.revoked_at.is_some() {
        return Ok(row.into());
    }
    let mut active: delegation::ActiveModel = row.into();
    active.revoked_at = Set(Some(now));
    Ok(active.update(db).await?.into())
}

/// A manual task with what its assignee needs to know of the ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub ticket_id: i64,
    pub title: String,
    pub assignee_role: String,
    pub state: String,
    pub due_at: DateTime<Utc>,
    pub note: Option<String>,
    pub completed_by: Option<i64>,
    pub completed_at: Option<DateTime<Utc>>,
    pub tenant_id: i64,
    pub business_system: String,
    /// The request form: what to open, where to go.
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
}

/// The tasks the caller's role works on: operators and suppliers their own role's, bureau
/// admins and managers every one; tenants none (they follow their tickets), walls none.
pub async fn tasks(
    db: &DatabaseConnection,
    principal: &Principal,
    task_state: &str,
    offset: u64,
    limit: u64,
) -> Result<Vec<TaskView>, TicketError> {
    let mut query = manual_task::Entity::find().filter(manual_task::Column::State.eq(task_state));
    query = match principal.role {
        Role::BureauAdmin | Role::BureauManager => query,
        Role::BureauOperator | Role::Supplier => {
            query.filter(manual_task::Column::AssigneeRole.eq(principal.role.as_str()))
        }
        Role::TenantAdmin | Role::TenantMember | Role::Display => return Ok(Vec::new()),
    };
    let tasks = query
        .order_by_asc(manual_task::Column::DueAt)
        .order_by_asc(manual_task::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let ticket_ids: Vec<i64> = tasks.iter().map(|t| t.ticket_id).collect();
    let tickets = ticket::Entity::find()
        .filter(ticket::Column::Id.is_in(ticket_ids))
        .all(db)
        .await?;
    Ok(tasks
        .into_iter()
        .filter_map(|task| {
            let row = tickets.iter().find(|t| t.id == task.ticket_id)?;
            Some(TaskView {
                id: task.id,
                ticket_id: task.ticket_id,
                title: task.title,
                assignee_role: task.assignee_role,
                state: task.state,
                due_at: task.due_at,
                note: task.note,
                completed_by: task.completed_by,
                completed_at: task.completed_at,
                tenant_id: row.tenant_id,
                business_system: row.business_system.clone(),
                form: serde_json::from_str(&row.form).unwrap_or_default(),
            })
        })
        .collect())
}
