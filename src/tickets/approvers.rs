//! Who approves: resolving a level's `Approvers` to users when it opens, and the
//! delegations in force (an approver hands their approvals to someone for a period).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use yunguan_actors::ticket::chain::Approvers;

use crate::db::entities::{delegation, user};
use crate::identity::Role;

/// The enabled users a level's approvers spec names, for a ticket of `tenant_id`, by id.
pub async fn resolve(
    db: &impl ConnectionTrait,
    approvers: &Approvers,
    tenant_id: i64,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    let mut query = user::Entity::find().filter(user::Column::Disabled.eq(false));
    query = match approvers {
        Approvers::Role {
            role,
            requester_tenant,
        } => {
            let query = query.filter(user::Column::Role.eq(role.as_str()));
            if *requester_tenant {
                query.filter(user::Column::TenantId.eq(tenant_id))
            } else {
                query
            }
        }
        Approvers::Users { user_ids } => query.filter(user::Column::Id.is_in(user_ids.clone())),
        Approvers::RequesterTenantAdmin => query
            .filter(user::Column::Role.eq(Role::TenantAdmin.as_str()))
            .filter(user::Column::TenantId.eq(tenant_id)),
    };
    let users = query.order_by_asc(user::Column::Id).all(db).await?;
    Ok(users.into_iter().map(|u| u.id).collect())
}

/// The bureau administrators: the approvers of last resort when a level resolves to nobody.
pub async fn fallback(db: &impl ConnectionTrait) -> Result<Vec<i64>, sea_orm::DbErr> {
    resolve(
        db,
        &Approvers::Role {
            role: Role::BureauAdmin.as_str().to_owned(),
            requester_tenant: false,
        },
        0,
    )
    .await
}

fn in_force(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(delegation::Column::RevokedAt.is_null())
        .add(delegation::Column::StartsAt.lte(now))
        .add(delegation::Column::EndsAt.gt(now))
}

/// The approvers who delegated to `user_id` right now.
pub async fn acting_for(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    let delegations = delegation::Entity::find()
        .filter(in_force(now))
        .filter(delegation::Column::DelegateId.eq(user_id))
        .all(db)
        .await?;
    Ok(delegations.into_iter().map(|d| d.delegator_id).collect())
}

/// For each of `approver_ids`, who holds their approvals right now: (delegate, delegator).
pub async fn delegates_of(
    db: &impl ConnectionTrait,
    approver_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, sea_orm::DbErr> {
    let delegations = delegation::Entity::find()
        .filter(in_force(now))
        .filter(delegation::Column::DelegatorId.is_in(approver_ids.to_vec()))
        .all(db)
        .await?;
    Ok(delegations
        .into_iter()
        .map(|d| (d.delegate_id, d.delegator_id))
        .collect())
}
