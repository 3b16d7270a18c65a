//! The business as the wall shows it: per tenant and business system, what they run and what
//! their quota holds; tickets counted. Names and counts only, never a ticket's content.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use yunguan_actors::ticket::workflow::TicketState;

use crate::db::entities::{tenant, tenant_quota, ticket, vm};
use crate::inventory::records::{self, BusinessSystemView};
use crate::tenancy::TenantScope;

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessScreen {
    pub tenants: Vec<TenantScreen>,
    pub tickets: TicketCounts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantScreen {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub vms: u32,
    /// VMs in `error`: what the tenant would call an outage.
    pub vms_in_error: u32,
    pub vcpu: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    /// Quota held against its limit, for vCPU, memory (GB) and storage (GB); empty without a
    /// quota.
    pub quota: Option<QuotaUse>,
    pub open_tickets: u32,
    pub business_systems: Vec<BusinessSystemView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaUse {
    pub vcpu_held: i64,
    pub vcpu_limit: i64,
    pub memory_gb_held: i64,
    pub memory_gb_limit: i64,
    pub storage_gb_held: i64,
    pub storage_gb_limit: i64,
}

/// Tickets counted: open ones now, and what happened since a moment (the wall's midnight).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct TicketCounts {
    pub since: DateTime<Utc>,
    /// Tickets in `approving`, `approved` or `fulfilling`, by state.
    pub open: BTreeMap<String, u32>,
    pub submitted_since: u32,
    /// Fulfilled or closed since.
    pub completed_since: u32,
    /// Rejected, withdrawn or failed since.
    pub ended_otherwise_since: u32,
}

/// Counts tickets: `rows` are (state, created at, updated at) of tickets that are open or
/// changed since `since`; pure.
fn count_tickets(
    rows: &[(String, DateTime<Utc>, DateTime<Utc>)],
    since: DateTime<Utc>,
) -> TicketCounts {
    let mut counts = TicketCounts {
        since,
        ..TicketCounts::default()
    };
    for (state, created_at, updated_at) in rows {
        let parsed = TicketState::parse(state);
        if parsed.is_some_and(TicketState::needs_actor) {
            *counts.open.entry(state.clone()).or_default() += 1;
        }
        if *created_at >= since {
            counts.submitted_since += 1;
        }
        if *updated_at >= since {
            match parsed {
                Some(TicketState::Fulfilled | TicketState::Closed) => counts.completed_since += 1,
                Some(TicketState::Rejected | TicketState::Withdrawn | TicketState::Failed) => {
                    counts.ended_otherwise_since += 1;
                }
                _ => {}
            }
        }
    }
    counts
}

fn open_states() -> Vec<&'static str> {
    TicketState::ALL
        .into_iter()
        .filter(|state| state.needs_actor())
        .map(TicketState::as_str)
        .collect()
}

pub async fn tickets(db: &DatabaseConnection, since: DateTime<Utc>) -> Result<TicketCounts, DbErr> {
    let rows: Vec<(String, DateTime<Utc>, DateTime<Utc>)> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::State)
        .column(ticket::Column::CreatedAt)
        .column(ticket::Column::UpdatedAt)
        .filter(
            ticket::Column::State
                .is_in(open_states())
                .or(ticket::Column::UpdatedAt.gte(since)),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(count_tickets(&rows, since))
}

pub async fn business(
    db: &DatabaseConnection,
    since: DateTime<Utc>,
) -> Result<BusinessScreen, DbErr> {
    let tenants = tenant::Entity::find()
        .order_by_asc(tenant::Column::Id)
        .all(db)
        .await?;
    let quotas: HashMap<i64, tenant_quota::Model> = tenant_quota::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|quota| (quota.tenant_id, quota))
        .collect();
    let vms: Vec<(Option<i64>, String, i64, i64, i64)> = vm::Entity::find()
        .select_only()
        .column(vm::Column::TenantId)
        .column(vm::Column::State)
        .column(vm::Column::Vcpu)
        .column(vm::Column::MemoryMb)
        .column(vm::Column::DiskGb)
        .filter(vm::Column::TenantId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let open_by_tenant: Vec<i64> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::TenantId)
        .filter(ticket::Column::State.is_in(open_states()))
        .into_tuple()
        .all(db)
        .await?;
    let mut systems = records::business_systems(db, TenantScope::AllTenants).await?;
    let tenants = tenants
        .into_iter()
        .map(|tenant| {
            let mut screen = TenantScreen {
                id: tenant.id,
                code: tenant.code,
                name: tenant.name,
                vms: 0,
                vms_in_error: 0,
                vcpu: 0,
                memory_mb: 0,
                disk_gb: 0,
                quota: quotas.get(&tenant.id).map(|quota| QuotaUse {
                    vcpu_held: quota.vcpu_held,
                    vcpu_limit: quota.vcpu_limit,
                    memory_gb_held: quota.memory_gb_held,
                    memory_gb_limit: quota.memory_gb_limit,
                    storage_gb_held: quota.storage_gb_held,
                    storage_gb_limit: quota.storage_gb_limit,
                }),
                open_tickets: open_by_tenant.iter().filter(|id| **id == tenant.id).count() as u32,
                business_systems: Vec::new(),
            };
            for (_, state, vcpu, memory_mb, disk_gb) in
                vms.iter().filter(|row| row.0 == Some(tenant.id))
            {
                screen.vms += 1;
                screen.vms_in_error += u32::from(state == "error");
                // Saturating: rows entered before amounts had bounds may be anything.
                screen.vcpu = screen.vcpu.saturating_add(*vcpu);
                screen.memory_mb = screen.memory_mb.saturating_add(*memory_mb);
                screen.disk_gb = screen.disk_gb.saturating_add(*disk_gb);
            }
            let (own, others): (Vec<_>, Vec<_>) = std::mem::take(&mut systems)
                .into_iter()
                .partition(|system| system.tenant_id == tenant.id);
            systems = others;
            screen.business_systems = own;
            screen
        })
        .collect();
    Ok(BusinessScreen {
        tenants,
        tickets: tickets(db, since).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_counted_open_now_and_by_what_happened_since() {
        let at = |hour: u32| {
            DateTime::parse_from_rfc3339(&format!("2026-12-06T{hour:02}:00:00Z"))
                .unwrap()
                .with_timezone(&Utc)
        };
        let since = at(8);
        let rows = [
            ("approving".to_owned(), at(7), at(7)),
            ("fulfilling".to_owned(), at(9), at(9)),
            ("fulfilled".to_owned(), at(6), at(9)),
            ("closed".to_owned(), at(9), at(10)),
            ("rejected".to_owned(), at(9), at(9)),
            ("withdrawn".to_owned(), at(5), at(7)),
        ];
        let counts = count_tickets(&rows, since);
        assert_eq!(counts.open.get("approving"), Some(&1));
        assert_eq!(counts.open.get("fulfilling"), Some(&1));
        assert_eq!(counts.open.values().sum::<u32>(), 2);
        assert_eq!(counts.submitted_since, 3);
        assert_eq!(counts.completed_since, 2);
        assert_eq!(counts.ended_otherwise_since, 1);
    }
}
