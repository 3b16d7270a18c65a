//! The demo's tenants own some of the simulated region's VMs, as if their tickets had made
//! them, so that each tenant's portal has cloud hosts to watch: once the first sync has
//! entered the VMs, the first of them nobody owns are shared out, a few per tenant, each in
//! one of its business systems.

use std::time::Duration;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::db::entities::vm;
use crate::identity::directory;

/// Each demo tenant's business system for its VMs, by tenant code.
const SYSTEMS: [(&str, &str); 3] = [
    ("edu", "学籍管理系统"),
    ("health", "医保结算系统"),
    ("transport", "交通监测平台"),
];

/// VMs each tenant gets.
const PER_TENANT: usize = 4;

/// How long the first sync may take before the demo gives up sharing.
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits for the platform's first sync, then shares out its first unowned VMs; a demo
/// restarted on the same database finds them shared and leaves them.
pub async fn share_out(db: DatabaseConnection) {
    if let Err(error) = share(&db).await {
        tracing::warn!(%error, "cannot give the demo tenants their VMs");
    }
}

async fn share(db: &DatabaseConnection) -> anyhow::Result<()> {
    let owned = vm::Entity::find()
        .filter(vm::Column::TenantId.is_not_null())
        .count(db)
        .await?;
    if owned > 0 {
        return Ok(());
    }
    let wanted = SYSTEMS.len() * PER_TENANT;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let unowned = loop {
        let found = vm::Entity::find()
            .filter(vm::Column::TenantId.is_null())
            .filter(vm::Column::State.eq("active"))
            .order_by_asc(vm::Column::Id)
            .limit(wanted as u64)
            .all(db)
            .await?;
        if found.len() == wanted || tokio::time::Instant::now() >= deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    for (index, found) in unowned.into_iter().enumerate() {
        let (code, system) = SYSTEMS[index % SYSTEMS.len()];
        let Some(tenant) = directory::find_tenant_by_code(db, code).await? else {
            continue;
        };
        let mut owned: vm::ActiveModel = found.into();
        owned.tenant_id = Set(Some(tenant.id));
        owned.business_system = Set(system.to_owned());
        owned.update(db).await?;
    }
    Ok(())
}
