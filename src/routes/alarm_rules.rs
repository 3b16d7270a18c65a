//! `/alarm-rules`: the alarm rules monitoring judges by. Bureau staff and suppliers read
//! them; bureau admins and operators create, change (only the fields sent) and delete them,
//! audited; every node's monitoring follows a change at once (an active alarm a change ends
//! clears with `rule_changed` or `rule_removed`).

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authorized, MonitoringViewers, Operators};
use super::tickets::caller_of;
use crate::error::{ApiError, ErrorBody};
use crate::identity::Principal;
use crate::inventory::announce::{announce, InventoryChangedEvent};
use crate::inventory::history::ChangeAction;
use crate::monitoring::alarm_rules::{
    self, AlarmRuleFields, AlarmRuleView, RuleWriter, OBJECT_KIND,
};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(update)
        .service(remove);
}

/// The alarm rules, by id.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "alarm_rules",
    responses((status = 200, body = [AlarmRuleView]), (status = 403, body = ErrorBody))
)]
#[get("/alarm-rules")]
pub async fn list(
    _caller: Authorized<MonitoringViewers>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<AlarmRuleView>>, ApiError> {
    Ok(web::Json(alarm_rules::list(&state.db).await?))
}

/// Says who writes, and announces the write once committed.
async fn written(state: &AppState, id: i64, action: ChangeAction) {
    announce(
        &state.hub,
        &InventoryChangedEvent::one(OBJECT_KIND, id, action),
    )
    .await;
}

fn writer_of<'a>(actor: &'a crate::audit::AuditActor, state: &AppState) -> RuleWriter<'a> {
    RuleWriter {
        actor,
        now: state.clock.now(),
    }
}

fn audit_actor(
    req: &HttpRequest,
    principal: Principal,
    state: &AppState,
) -> crate::audit::AuditActor {
    caller_of(req, principal, state).audit_actor()
}

/// Creates a rule; monitoring judges by it at once.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "create_alarm_rule",
    request_body = AlarmRuleFields,
    responses(
        (status = 201, body = AlarmRuleView),
        (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
        (status = 422, description = "`validation_failed`, with `fields`", body = ErrorBody),
    )
)]
#[post("/alarm-rules")]
pub async fn create(
    caller: Authorized<Operators>,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<AlarmRuleFields>,
) -> Result<HttpResponse, ApiError> {
    let actor = audit_actor(&req, caller.principal, &state);
    let created =
        alarm_rules::create(&state.db, body.into_inner(), &writer_of(&actor, &state)).await?;
    written(&state, created.id, ChangeAction::Create).await;
    Ok(HttpResponse::Created().json(created))
}

/// Changes the fields sent: a new threshold or duration judges the next observation, a new
/// severity the next raise; disabling the rule, or narrowing its scope away from a device,
/// clears its active alarms there (`rule_changed`).
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "update_alarm_rule",
    params(("id" = i64, Path)),
    request_body = AlarmRuleFields,
    responses(
        (status = 200, body = AlarmRuleView),
        (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, with `fields`", body = ErrorBody),
    )
)]
#[patch("/alarm-rules/{id}")]
pub async fn update(
    caller: Authorized<Operators>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<AlarmRuleFields>,
) -> Result<web::Json<AlarmRuleView>, ApiError> {
    let actor = audit_actor(&req, caller.principal, &state);
    let id = path.into_inner();
    let changed =
        alarm_rules::update(&state.db, id, body.into_inner(), &writer_of(&actor, &state)).await?;
    written(&state, id, ChangeAction::Update).await;
    Ok(web::Json(changed))
}

/// Deletes a rule; its active alarms clear (`rule_removed`).
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "delete_alarm_rule",
    params(("id" = i64, Path)),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
#[delete("/alarm-rules/{id}")]
pub async fn remove(
    caller: Authorized<Operators>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let actor = audit_actor(&req, caller.principal, &state);
    let id = path.into_inner();
    alarm_rules::delete(&state.db, id, &writer_of(&actor, &state)).await?;
    written(&state, id, ChangeAction::Delete).await;
    Ok(HttpResponse::NoContent().finish())
}
