//! `/maintenance-windows`: devices, data centers and alarm rules silenced for a period. Bureau
//! staff and suppliers read them; bureau admins and operators create, change (only the fields
//! sent) and delete them, audited. An alarm raised in a window is recorded as suppressed and
//! told when the window ends, if still active.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authorized, MonitoringViewers, Operators};
use super::tickets::caller_of;
use crate::audit::AuditActor;
use crate::error::{ApiError, ErrorBody};
use crate::identity::Principal;
use crate::monitoring::maintenance::{
    self, MaintenanceWindowFields, MaintenanceWindowView, WindowWriter,
};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(update)
        .service(remove);
}

fn writer_of<'a>(actor: &'a AuditActor, state: &AppState) -> WindowWriter<'a> {
    WindowWriter {
        actor,
        now: state.clock.now(),
    }
}

fn audit_actor(req: &HttpRequest, principal: Principal, state: &AppState) -> AuditActor {
    caller_of(req, principal, state).audit_actor()
}

/// The maintenance windows, newest first, each with the end of the occurrence in force now.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "maintenance_windows",
    responses((status = 200, body = [MaintenanceWindowView]), (status = 403, body = ErrorBody))
)]
#[get("/maintenance-windows")]
pub async fn list(
    _caller: Authorized<MonitoringViewers>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<MaintenanceWindowView>>, ApiError> {
    Ok(web::Json(
        maintenance::list(&state.db, state.clock.now()).await?,
    ))
}

/// Creates a window: alarms raised in it from now on are recorded as suppressed and told
/// to nobody until it ends.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "create_maintenance_window",
    request_body = MaintenanceWindowFields,
    responses(
        (status = 201, body = MaintenanceWindowView),
        (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
        (status = 422, description = "`validation_failed`, with `fields`", body = ErrorBody),
    )
)]
#[post("/maintenance-windows")]
pub async fn create(
    caller: Authorized<Operators>,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<MaintenanceWindowFields>,
) -> Result<HttpResponse, ApiError> {
    let actor = audit_actor(&req, caller.principal, &state);
    let created =
        maintenance::create(&state.db, body.into_inner(), &writer_of(&actor, &state)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Changes the fields sent; alarms the window holds back wait for the new occurrence's end,
/// or are told at once when it no longer covers them.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "update_maintenance_window",
    params(("id" = i64, Path)),
    request_body = MaintenanceWindowFields,
    responses(
        (status = 200, body = MaintenanceWindowView),
        (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, with `fields`", body = ErrorBody),
    )
)]
#[patch("/maintenance-windows/{id}")]
pub async fn update(
    caller: Authorized<Operators>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<MaintenanceWindowFields>,
) -> Result<web::Json<MaintenanceWindowView>, ApiError> {
    let actor = audit_actor(&req, caller.principal, &state);
    let changed = maintenance::update(
        &state.db,
        path.into_inner(),
        body.into_inner(),
        &writer_of(&actor, &state),
    )
    .await?;
    Ok(web::Json(changed))
}

/// Deletes a window; the alarms it holds back are told at once, if still active.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "delete_maintenance_window",
    params(("id" = i64, Path)),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
#[delete("/maintenance-windows/{id}")]
pub async fn remove(
    caller: Authorized<Operators>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let actor = audit_actor(&req, caller.principal, &state);
    maintenance::delete(&state.db, path.into_inner(), &writer_of(&actor, &state)).await?;
    Ok(HttpResponse::NoContent().finish())
}
