//! Monitoring of VMs, for their tenants as for bureau staff: how busy a VM is now and its
//! metrics' minutes, and the latest figures of every VM the caller may see. A tenant user
//! reads only their tenant's VMs; another tenant's is answered as absent, as in the
//! inventory.

use std::collections::HashMap;

use actix_web::{get, web};
use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::entities::vm;
use crate::error::{ApiError, ErrorBody};
use crate::inventory::clouds::{self, VmFilter, VmView};
use crate::inventory::crud::{self, InventoryObject};
use crate::monitoring::rollups::{RollupView, Subject};
use crate::monitoring::vm_utilization::{VmUtilization, VM_METRICS};
use crate::routes::extract::{Authorized, VmReaders};
use crate::routes::monitoring::MetricsQuery;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(vm_utilization)
        .service(vm_metrics)
        .service(every_vm_utilization);
}

/// A VM's state and its figures at the latest poll.
#[derive(Debug, Serialize, ToSchema)]
pub struct VmUtilizationView {
    pub vm_id: i64,
    /// Its state in the CMDB.
    pub state: String,
    /// Null until its platform's first poll of it (and for a VM no node polls).
    pub latest: Option<VmUtilization>,
}

/// The caller's VM, or `not_found` for one they may not see.
async fn visible_vm(
    state: &AppState,
    caller: &Authorized<VmReaders>,
    id: i64,
) -> Result<VmView, ApiError> {
    Ok(crud::get::<clouds::Vms>(&state.db, &state.secrets, id, caller.principal.scope()).await?)
}

/// How busy a VM is: CPU, memory, disk and network at its platform's latest poll.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = VmUtilizationView),
        (status = 403, description = "`forbidden`: bureau staff and tenant users only", body = ErrorBody),
        (status = 404, description = "`not_found`: no such VM, or another tenant's", body = ErrorBody),
    )
)]
#[get("/vms/{id}/utilization")]
pub async fn vm_utilization(
    caller: Authorized<VmReaders>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<VmUtilizationView>, ApiError> {
    let vm = visible_vm(&state, &caller, path.into_inner()).await?;
    Ok(web::Json(VmUtilizationView {
        vm_id: vm.id,
        latest: state
            .monitoring
            .vm_utilization(vm.platform_id)
            .and_then(|figures| figures.get(&vm.id).cloned()),
        state: vm.state,
    }))
}

/// The latest figures of every VM the caller may see that has been polled, by VM id: a
/// tenant's own, or every VM for bureau staff.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    responses(
        (status = 200, body = [VmUtilization]),
        (status = 403, description = "`forbidden`: bureau staff and tenant users only", body = ErrorBody),
    )
)]
#[get("/vm-utilization")]
pub async fn every_vm_utilization(
    caller: Authorized<VmReaders>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<VmUtilization>>, ApiError> {
    // Whose VM it is now, from the CMDB: a VM given to another tenant since the last poll
    // is not shown to the old one.
    let visible: Vec<(i64, i64)> = clouds::Vms::filter(
        vm::Entity::find(),
        &VmFilter::default(),
        caller.principal.scope(),
    )
    .select_only()
    .columns([vm::Column::Id, vm::Column::PlatformId])
    .order_by_asc(vm::Column::Id)
    .into_tuple()
    .all(&state.db)
    .await?;
    let mut platforms = HashMap::new();
    let figures = visible
        .into_iter()
        .filter_map(|(vm_id, platform_id)| {
            platforms
                .entry(platform_id)
                .or_insert_with(|| state.monitoring.vm_utilization(platform_id))
                .as_ref()?
                .get(&vm_id)
                .cloned()
        })
        .collect();
    Ok(web::Json(figures))
}

/// A VM's metric as one-minute rollups (min, max, average), oldest first.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    params(("id" = i64, Path), MetricsQuery),
    responses(
        (status = 200, body = [RollupView]),
        (status = 403, description = "`forbidden`: bureau staff and tenant users only", body = ErrorBody),
        (status = 404, description = "`not_found`: no such VM, or another tenant's", body = ErrorBody),
        (status = 422, description = "`validation_failed`: an unknown metric or a limit out of range", body = ErrorBody),
    )
)]
#[get("/vms/{id}/metrics")]
pub async fn vm_metrics(
    caller: Authorized<VmReaders>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<MetricsQuery>,
) -> Result<web::Json<Vec<RollupView>>, ApiError> {
    let vm = visible_vm(&state, &caller, path.into_inner()).await?;
    let series = query
        .into_inner()
        .read(&state, Subject::Vm(vm.id), VM_METRICS)
        .await?;
    Ok(web::Json(series))
}
