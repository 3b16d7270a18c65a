//! Tenant quotas and the audit trail: `/tenants/{id}/quota` (read by the tenant and the
//! bureau, set by bureau admins), `/audit` and `/audit/export` (bureau admins all records,
//! tenant admins their tenant's) and `/audit/verify` (bureau admins).

use actix_web::http::header;
use actix_web::{get, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use yunguan_actors::quota::{Ledger, Resources};

use crate::audit;
use crate::audit::reading::{AuditFilter, AuditRecordView};
use crate::error::{ApiError, ErrorBody, ErrorCode, FieldError};
use crate::identity::Principal;
use crate::quotas::{self, Amounts, QuotaView};
use crate::routes::extract::{Administering, Authorized, BureauAdmins};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(quota)
        .service(set_quota)
        .service(audit_records)
        .service(export_audit)
        .service(verify_audit);
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
    tag = "quotas", security(("bearer" = [])),
    responses((status = 200, body = QuotaView), (status = 404, description = "`not_found`, also for another tenant", body = ErrorBody))
)]
#[get("/tenants/{tenant_id}/quota")]
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
    tag = "quotas", security(("bearer" = [])),
    request_body = Amounts,
    responses((status = 200, body = QuotaView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/tenants/{tenant_id}/quota")]
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
    tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = AuditVerification), (status = 403, body = ErrorBody))
)]
#[get("/audit/verify")]
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

/// The most records one export holds; a larger selection is refused with its count.
const MAX_EXPORT_RECORDS: u64 = 100_000;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Who acted (a user id).
    pub actor_id: Option<i64>,
    /// What was done, e.g. `ticket.approve`.
    pub action: Option<String>,
    /// The kind of object, e.g. `ticket`, `catalog_item`.
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    /// Records of one tenant's objects (bureau admins; a tenant admin reads only their own).
    pub tenant_id: Option<i64>,
    /// From this instant on (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// Only records older than this id (paging back). Not for the export.
    pub before_id: Option<i64>,
    /// 1 to 200, default 50. Not for the export.
    pub limit: Option<u64>,
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from >= to {
                return Err(ApiError::with_fields(
                    ErrorCode::BadRequest,
                    "the period is empty",
                    vec![FieldError::new("to", "must be after from")],
                ));
            }
        }
        Ok(AuditFilter {
            actor_id_opt: self.actor_id,
            action_opt: self.action.clone(),
            object_type_opt: self.object_type.clone(),
            object_id_opt: self.object_id,
            tenant_id_opt: self.tenant_id,
            from_opt: self.from,
            to_opt: self.to,
        })
    }
}

/// Read the audit trail, newest first: bureau admins every record, tenant admins the records
/// of their tenant's objects.
#[utoipa::path(
    tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = Vec<AuditRecordView>),
        (status = 400, description = "`bad_request`: a limit out of range, an empty period, an unknown parameter", body = ErrorBody),
        (status = 403, description = "`forbidden`: bureau and tenant admins only", body = ErrorBody),
    )
)]
#[get("/audit")]
pub async fn audit_records(
    caller: Administering,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<Vec<AuditRecordView>>, ApiError> {
    let limit = super::page_limit(query.limit)?;
    let filter = query.filter()?;
    Ok(web::Json(
        audit::reading::page(
            &state.db,
            caller.principal.scope(),
            &filter,
            query.before_id,
            limit,
        )
        .await?,
    ))
}

/// The selected records as CSV (UTF-8 with a byte-order mark), oldest first, for an auditor's
/// tools; the same filters and scope as `/audit`, without paging.
#[utoipa::path(
    tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "`audit.csv`: id, at, actor_id, actor_username, actor_address, action, object_type, object_id, tenant_id, before, after, hash", content_type = "text/csv", body = String),
        (status = 400, description = "`bad_request`: an empty period, an unknown parameter", body = ErrorBody),
        (status = 403, description = "`forbidden`: bureau and tenant admins only", body = ErrorBody),
        (status = 422, description = "`validation_failed`: more than 100,000 records selected; narrow the period", body = ErrorBody),
    )
)]
#[get("/audit/export")]
pub async fn export_audit(
    caller: Administering,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    if query.before_id.is_some() || query.limit.is_some() {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "an export takes every selected record: narrow it with from and to, not before_id or limit",
        ));
    }
    let filter = query.filter()?;
    let records = audit::reading::all_up_to(
        &state.db,
        caller.principal.scope(),
        &filter,
        MAX_EXPORT_RECORDS,
    )
    .await?
    .map_err(|count| {
        ApiError::with_fields(
            ErrorCode::ValidationFailed,
            format!("{count} records selected; an export holds at most {MAX_EXPORT_RECORDS}"),
            vec![FieldError::new("from", "narrow the period")],
        )
    })?;
    let body = audit::reading::csv(&records)
        .map_err(|error| ApiError::internal(anyhow::Error::new(error).context("writing CSV")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit.csv\"",
        ))
        .body(body))
}
