//! Tenant quotas (配额): limits per tenant, and what approved tickets hold of them.
//!
//! A ticket's demand is checked against what is free when it is submitted, and reserved when
//! it is finally approved, in the approving transaction. The reservation is one conditional
//! update (`held + demand <= limit` for every resource, or nothing changes), so concurrent
//! approvals, on one node or several, can never take a tenant past its limits. A reservation
//! is keyed by its ticket: reserving twice, or releasing what was released, changes nothing.
//! A tenant without a quota row has no quota: every limit is zero.
//!
//! `actor.rs` has a `TenantActor` per tenant that admits reservations one at a time before
//! they reach the database.

pub mod actor;
pub mod messages;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yunguan_actors::quota::{Ledger, Resources, Shortfall};

use crate::db::entities::{quota_reservation, tenant_quota};

pub async fn ledger(db: &impl ConnectionTrait, tenant_id: i64) -> Result<Ledger, sea_orm::DbErr> {
    let row_opt = tenant_quota::Entity::find_by_id(tenant_id).one(db).await?;
    Ok(row_opt
        .map(|row| Ledger {
            limit: Resources {
                vcpu: row.vcpu_limit,
                memory_gb: row.memory_gb_limit,
                storage_gb: row.storage_gb_limit,
                hosts: row.hosts_limit,
                public_ips: row.public_ips_limit,
            },
            held: Resources {
                vcpu: row.vcpu_held,
                memory_gb: row.memory_gb_held,
                storage_gb: row.storage_gb_held,
                hosts: row.hosts_held,
                public_ips: row.public_ips_held,
            },
        })
        .unwrap_or_default())
}

/// Why a tenant's quota did not take a demand.
#[derive(Debug, thiserror::Error)]
pub enum QuotaError {
    #[error(
        "the tenant's {} quota has {} free; the request needs {}",
        .0.resource, .0.available, .0.requested
    )]
    Exceeded(Shortfall),
    /// The tenant's actor did not answer (it is restarting).
    #[error("tenant actor unavailable: {0}")]
    ActorUnavailable(#[from] actix::MailboxError),
    #[error(transparent)]
    Store(#[from] sea_orm::DbErr),
}

/// Sets a tenant's limits; what it holds is unchanged (limits may go below it: nothing new
/// fits until enough is released).
pub async fn set_limits(
    db: &impl ConnectionTrait,
    tenant_id: i64,
    limit: Resources,
    now: DateTime<Utc>,
) -> Result<Ledger, sea_orm::DbErr> {
    match tenant_quota::Entity::find_by_id(tenant_id).one(db).await? {
        Some(row) => {
            let mut active: tenant_quota::ActiveModel = row.into();
            active.vcpu_limit = Set(limit.vcpu);
            active.memory_gb_limit = Set(limit.memory_gb);
            active.storage_gb_limit = Set(limit.storage_gb);
            active.hosts_limit = Set(limit.hosts);
            active.public_ips_limit = Set(limit.public_ips);
            active.updated_at = Set(now);
            active.update(db).await?;
        }
        None => {
            tenant_quota::ActiveModel {
                tenant_id: Set(tenant_id),
                vcpu_limit: Set(limit.vcpu),
                memory_gb_limit: Set(limit.memory_gb),
                storage_gb_limit: Set(limit.storage_gb),
                hosts_limit: Set(limit.hosts),
                public_ips_limit: Set(limit.public_ips),
                vcpu_held: Set(0),
                memory_gb_held: Set(0),
                storage_gb_held: Set(0),
                hosts_held: Set(0),
                public_ips_held: Set(0),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    ledger(db, tenant_id).await
}

/// What a ticket asks of its tenant's quota.
#[derive(Debug, Clone, Copy)]
pub struct Ask {
    pub tenant_id: i64,
    pub ticket_id: i64,
    pub demand: Resources,
}

/// The reservation `ticket_id` has, or had, if any.
pub async fn reservation_of(
    txn: &impl ConnectionTrait,
    ticket_id: i64,
) -> Result<Option<quota_reservation::Model>, sea_orm::DbErr> {
    quota_reservation::Entity::find_by_id(ticket_id)
        .one(txn)
        .await
}

/// Whether a reservation (from [`reservation_of`]) holds resources: reserved or in use.
pub fn holds(reservation_opt: Option<&quota_reservation::Model>) -> bool {
    reservation_opt.is_some_and(|reservation| reservation.state != "released")
}

/// Reserves what `ask` demands inside the caller's transaction, or answers `quota_exceeded`
/// and changes nothing. `existing_opt` is the ticket's reservation as the transaction read it
/// ([`reservation_of`]); one that still holds is kept as it is.
pub async fn reserve(
    txn: &impl ConnectionTrait,
    ask: Ask,
    existing_opt: Option<&quota_reservation::Model>,
    now: DateTime<Utc>,
) -> Result<(), QuotaError> {
    let Ask {
        tenant_id,
        ticket_id,
        demand,
    } = ask;
    if demand.is_zero() || holds(existing_opt) {
        return Ok(());
    }
    use tenant_quota::Column as C;
    let fits = |held: C, limit: C, amount: i64| {
        Expr::expr(Expr::col(held).add(amount)).lte(Expr::col(limit))
    };
    let updated = tenant_quota::Entity::update_many()
        .col_expr(C::VcpuHeld, Expr::col(C::VcpuHeld).add(demand.vcpu))
        .col_expr(
            C::MemoryGbHeld,
            Expr::col(C::MemoryGbHeld).add(demand.memory_gb),
        )
        .col_expr(
            C::StorageGbHeld,
            Expr::col(C::StorageGbHeld).add(demand.storage_gb),
        )
        .col_expr(C::HostsHeld, Expr::col(C::HostsHeld).add(demand.hosts))
        .col_expr(
            C::PublicIpsHeld,
            Expr::col(C::PublicIpsHeld).add(demand.public_ips),
        )
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::TenantId.eq(tenant_id))
        .filter(fits(C::VcpuHeld, C::VcpuLimit, demand.vcpu))
        .filter(fits(C::MemoryGbHeld, C::MemoryGbLimit, demand.memory_gb))
        .filter(fits(C::StorageGbHeld, C::StorageGbLimit, demand.storage_gb))
        .filter(fits(C::HostsHeld, C::HostsLimit, demand.hosts))
        .filter(fits(C::PublicIpsHeld, C::PublicIpsLimit, demand.public_ips))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        let shortfall = ledger(txn, tenant_id)
            .await?
            .check(demand)
            .err()
            // The row changed between the update and this read; name the first resource.
            .unwrap_or(Shortfall {
                resource: "vcpu",
                requested: demand.vcpu,
                available: 0,
            });
        return Err(QuotaError::Exceeded(shortfall));
    }
    let row = quota_reservation::ActiveModel {
        ticket_id: Set(ticket_id),
        tenant_id: Set(tenant_id),
        vcpu: Set(demand.vcpu),
        memory_gb: Set(demand.memory_gb),
        storage_gb: Set(demand.storage_gb),
        hosts: Set(demand.hosts),
        public_ips: Set(demand.public_ips),
        state: Set("reserved".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    if existing_opt.is_some() {
        // A released reservation taken again (a resubmitted ticket approved anew).
        row.update(txn).await?;
    } else {
        row.insert(txn).await?;
    }
    Ok(())
}

/// Gives back what `ticket_id` holds, if anything.
pub async fn release(
    txn: &impl ConnectionTrait,
    ticket_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let Some(reservation) = quota_reservation::Entity::find_by_id(ticket_id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    if reservation.state == "released" {
        return Ok(());
    }
    let amount = Resources {
        vcpu: reservation.vcpu,
        memory_gb: reservation.memory_gb,
        storage_gb: reservation.storage_gb,
        hosts: reservation.hosts,
        public_ips: reservation.public_ips,
    };
    give_back(txn, reservation.tenant_id, amount, now).await?;
    let mut active: quota_reservation::ActiveModel = reservation.into();
    active.state = Set("released".to_owned());
    active.updated_at = Set(now);
    active.update(txn).await?;
    Ok(())
}

/// Marks what `ticket_id` reserved as in use: its resources now exist.
pub async fn consume(
    txn: &impl ConnectionTrait,
    ticket_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let Some(reservation) = quota_reservation::Entity::find_by_id(ticket_id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    if reservation.state != "reserved" {
        return Ok(());
    }
    let mut active: quota_reservation::ActiveModel = reservation.into();
    active.state = Set("consumed".to_owned());
    active.updated_at = Set(now);
    active.update(txn).await?;
    Ok(())
}

/// Gives back `amount` of what the tenant holds: a released reservation, a retired or
/// shrunk host.
pub async fn give_back(
    txn: &impl ConnectionTrait,
    tenant_id: i64,
    amount: Resources,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    use tenant_quota::Column as C;
    // Never below zero: a host recorded before quotas were set held nothing.
    let minus = |column: C, value: i64| -> SimpleExpr {
        Expr::case(Expr::col(column).gt(value), Expr::col(column).sub(value))
            .finally(0)
            .into()
    };
    tenant_quota::Entity::update_many()
        .col_expr(C::VcpuHeld, minus(C::VcpuHeld, amount.vcpu))
        .col_expr(C::MemoryGbHeld, minus(C::MemoryGbHeld, amount.memory_gb))
        .col_expr(C::StorageGbHeld, minus(C::StorageGbHeld, amount.storage_gb))
        .col_expr(C::HostsHeld, minus(C::HostsHeld, amount.hosts))
        .col_expr(C::PublicIpsHeld, minus(C::PublicIpsHeld, amount.public_ips))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::TenantId.eq(tenant_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Amounts of the governed resources, as clients see them.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Amounts {
    pub vcpu: i64,
    pub memory_gb: i64,
    pub storage_gb: i64,
    pub hosts: i64,
    pub public_ips: i64,
}

impl From<Resources> for Amounts {
    fn from(r: Resources) -> Self {
        Amounts {
            vcpu: r.vcpu,
            memory_gb: r.memory_gb,
            storage_gb: r.storage_gb,
            hosts: r.hosts,
            public_ips: r.public_ips,
        }
    }
}

impl From<Amounts> for Resources {
    fn from(a: Amounts) -> Self {
        Resources {
            vcpu: a.vcpu,
            memory_gb: a.memory_gb,
            storage_gb: a.storage_gb,
            hosts: a.hosts,
            public_ips: a.public_ips,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaView {
    pub tenant_id: i64,
    pub limit: Amounts,
    /// Reserved by approved tickets plus in use.
    pub held: Amounts,
    pub available: Amounts,
}
