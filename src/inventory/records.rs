//! Inventory records (the seed of the CMDB): what fulfilled tickets created or changed, per
//! tenant and business system. Written by the ticket engine; read here, scoped by tenant.
//! Also the business systems a caller may see: those of their tenant's VMs and records.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::entities::{inventory_record, vm};
use crate::tenancy::TenantScope;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InventoryRecordView {
    pub id: i64,
    pub tenant_id: i64,
    /// The ticket that created or last changed it.
    pub ticket_id: Option<i64>,
    pub business_system: String,
    /// `cloud_host` or `firewall_rule`.
    pub kind: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub attributes: Value,
    /// `active` or `retired`.
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<inventory_record::Model> for InventoryRecordView {
    fn from(model: inventory_record::Model) -> Self {
        InventoryRecordView {
            id: model.id,
            tenant_id: model.tenant_id,
            ticket_id: model.ticket_id,
            business_system: model.business_system,
            kind: model.kind,
            name: model.name,
            attributes: serde_json::from_str(&model.attributes).unwrap_or(Value::Null),
            state: model.state,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct InventoryFilter {
    pub kind_opt: Option<String>,
    pub business_system_opt: Option<String>,
    pub state_opt: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

/// Records the caller may see, oldest first.
pub async fn list(
    db: &DatabaseConnection,
    scope: TenantScope,
    filter: InventoryFilter,
) -> Result<Vec<InventoryRecordView>, DbErr> {
    let mut query = inventory_record::Entity::find();
    query = match scope {
        TenantScope::AllTenants => query,
        TenantScope::OneTenant(tenant_id) => {
            query.filter(inventory_record::Column::TenantId.eq(tenant_id))
        }
        TenantScope::NoTenant => return Ok(Vec::new()),
    };
    if let Some(kind) = filter.kind_opt {
        query = query.filter(inventory_record::Column::Kind.eq(kind));
    }
    if let Some(business_system) = filter.business_system_opt {
        query = query.filter(inventory_record::Column::BusinessSystem.eq(business_system));
    }
    if let Some(state) = filter.state_opt {
        query = query.filter(inventory_record::Column::State.eq(state));
    }
    let rows = query
        .order_by_asc(inventory_record::Column::Id)
        .offset(filter.offset)
        .limit(filter.limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(InventoryRecordView::from).collect())
}

/// One business system of one tenant, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BusinessSystemView {
    pub tenant_id: i64,
    pub name: String,
    /// VMs of the CMDB in it.
    pub vms: u64,
    /// Active inventory records (hosts, firewall rules) tickets made for it.
    pub records: u64,
}

/// The business systems of the caller's tenant (every tenant's for bureau staff, none for
/// suppliers), by tenant and name.
pub async fn business_systems(
    db: &DatabaseConnection,
    scope: TenantScope,
) -> Result<Vec<BusinessSystemView>, DbErr> {
    let mut vms = vm::Entity::find()
        .select_only()
        .column(vm::Column::TenantId)
        .column(vm::Column::BusinessSystem)
        .filter(vm::Column::TenantId.is_not_null())
        .filter(vm::Column::BusinessSystem.ne(""));
    let mut records = inventory_record::Entity::find()
        .select_only()
        .column(inventory_record::Column::TenantId)
        .column(inventory_record::Column::BusinessSystem)
        .filter(inventory_record::Column::State.eq("active"))
        .filter(inventory_record::Column::BusinessSystem.ne(""));
    match scope {
        TenantScope::AllTenants => {}
        TenantScope::OneTenant(tenant_id) => {
            vms = vms.filter(vm::Column::TenantId.eq(tenant_id));
            records = records.filter(inventory_record::Column::TenantId.eq(tenant_id));
        }
        TenantScope::NoTenant => return Ok(Vec::new()),
    }
    let mut found: BTreeMap<(i64, String), (u64, u64)> = BTreeMap::new();
    for (tenant_id_opt, name) in vms.into_tuple::<(Option<i64>, String)>().all(db).await? {
        if let Some(tenant_id) = tenant_id_opt {
            found.entry((tenant_id, name)).or_default().0 += 1;
        }
    }
    for (tenant_id, name) in records.into_tuple::<(i64, String)>().all(db).await? {
        found.entry((tenant_id, name)).or_default().1 += 1;
    }
    Ok(found
        .into_iter()
        .map(|((tenant_id, name), (vms, records))| BusinessSystemView {
            tenant_id,
            name,
            vms,
            records,
        })
        .collect())
}
