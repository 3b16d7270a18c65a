//! Tenant quotas and the audit trail: `/tenants/{id}/quota` (read by the tenant and the
//! bureau, set by bureau admins) and `/audit` (bureau admins).

use actix_web::web;
use sea_orm::EntityTrait;
use serde::Serialize;
use utoipa::ToSchema;
use yunguan_actors::quota::{Ledger, Resources};

use crate::audit;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::identity::extract::{Authorized, BureauAdmins};
use crate::identity::Principal;
use crate::quotas::{self, Amounts, QuotaView};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant_id}/quota")
            .route(web::get().to(quota))
            .route(web::put().to(set_quota)),
    )
    .route("/audit/verify", web::get().to(verify_audit));
}

fn quota_view(tenant_id: i64, ledger: Ledger) -> QuotaView {
    QuotaView {
        tenant_id,
        limit: ledger.limit.into(),
        held: ledger.held.into(),
        available: ledger.available().into(),
    }
}

/// A tenant's quota: limits, held, available.
#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant_id}/quota", tag = "quotas", security(("bearer" = [])),
    responses((status = 200, body = QuotaView), (status = 404, description = "`not_found`, also for another tenant", body = ErrorBody))
)]
pub async fn quota(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<QuotaView>, ApiError> {
    let tenant_id = path.into_inner();
    if !principal.scope().includes(tenant_id) {
        return Err(ApiError::not_found("tenant"));
    }
    Ok(web::Json(quota_view(
        tenant_id,
        quotas::ledger(&state.db, tenant_id).await?,
    )))
}

/// Set a tenant's limits (bureau admins).
#[utoipa::path(
    put, path = "/api/v1/tenants/{tenant_id}/quota", tag = "quotas", security(("bearer" = [])),
    request_body = Amounts,
    responses((status = 200, body = QuotaView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn set_quota(
    _caller: Authorized<BureauAdmins>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<Amounts>,
) -> Result<web::Json<QuotaView>, ApiError> {
    let tenant_id = path.into_inner();
    let limit: Resources = body.into_inner().into();
    if limit.named().iter().any(|(_, amount)| *amount < 0) {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "limits cannot be negative",
        ));
    }
    if crate::db::entities::tenant::Entity::find_by_id(tenant_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("tenant"));
    }
    let ledger = quotas::set_limits(&state.db, tenant_id, limit, state.clock.now()).await?;
    Ok(web::Json(quota_view(tenant_id, ledger)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    pub records_checked: u64,
    pub intact: bool,
    /// The first record that does not fit the chain.
    pub broken_record_id: Option<i64>,
    pub problem: Option<String>,
}

/// Check the audit trail's hash chain from the first record to the last.
#[utoipa::path(
    get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = AuditVerification), (status = 403, body = ErrorBody))
)]
pub async fn verify_audit(
    _caller: Authorized<BureauAdmins>,
    state: web::Data<AppState>,
) -> Result<web::Json<AuditVerification>, ApiError> {
    let verification = audit::verify(&state.db).await?;
    Ok(web::Json(AuditVerification {
        records_checked: verification.records_checked,
        intact: verification.first_broken_opt.is_none(),
        broken_record_id: verification.first_broken_opt.as_ref().map(|b| b.record_id),
        problem: verification.first_broken_opt.map(|b| b.problem),
    }))
}
