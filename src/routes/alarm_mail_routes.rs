//! `/alarm-mail-routes`: which alarms each person of the bureau is mailed. Bureau admins read
//! and choose everyone's; the other bureau staff their own. Choosing replaces the route;
//! deleting gives the role's default back. Audited.

use actix_web::{delete, get, put, web, HttpRequest};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authorized, BureauStaff};
use super::tickets::caller_of;
use crate::audit::AuditActor;
use crate::error::{ApiError, ErrorBody};
use crate::identity::Principal;
use crate::notify::alarm_mail::{self, AlarmMailRouteInput, AlarmMailRouteView, Change};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(choose).service(reset);
}

/// Who chooses, now.
fn change_of<'a>(principal: &'a Principal, actor: &'a AuditActor, state: &AppState) -> Change<'a> {
    Change {
        principal,
        actor,
        now: state.clock.now(),
    }
}

/// The routes the caller may read: every person of the bureau's for a bureau admin, their
/// own for the other bureau staff; each chosen or their role's default.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    operation_id = "alarm_mail_routes",
    responses(
        (status = 200, body = [AlarmMailRouteView]),
        (status = 403, description = "`forbidden`: bureau staff only", body = ErrorBody),
    )
)]
#[get("/alarm-mail-routes")]
pub async fn list(
    caller: Authorized<BureauStaff>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<AlarmMailRouteView>>, ApiError> {
    Ok(web::Json(
        alarm_mail::list(&state.db, &caller.principal).await?,
    ))
}

/// Chooses which alarms a person is mailed, replacing their route; it takes effect with the
/// next alarm.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    operation_id = "choose_alarm_mail_route",
    params(("user_id" = i64, Path)),
    request_body = AlarmMailRouteInput,
    responses(
        (status = 200, body = AlarmMailRouteView),
        (status = 403, description = "`forbidden`: bureau admins choose for anyone, the other bureau staff for themselves", body = ErrorBody),
        (status = 404, description = "`not_found`: nobody of the bureau has this id", body = ErrorBody),
        (status = 422, description = "`validation_failed`, with `fields`", body = ErrorBody),
    )
)]
#[put("/alarm-mail-routes/{user_id}")]
pub async fn choose(
    caller: Authorized<BureauStaff>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<AlarmMailRouteInput>,
) -> Result<web::Json<AlarmMailRouteView>, ApiError> {
    let principal = caller.principal;
    let actor = caller_of(&req, principal.clone(), &state).audit_actor();
    let change = change_of(&principal, &actor, &state);
    Ok(web::Json(
        alarm_mail::choose(&state.db, change, path.into_inner(), body.into_inner()).await?,
    ))
}

/// Gives a person their role's default route again; answers it.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    operation_id = "reset_alarm_mail_route",
    params(("user_id" = i64, Path)),
    responses(
        (status = 200, body = AlarmMailRouteView),
        (status = 403, description = "`forbidden`: bureau admins reset anyone's, the other bureau staff their own", body = ErrorBody),
        (status = 404, description = "`not_found`: nobody of the bureau has this id", body = ErrorBody),
    )
)]
#[delete("/alarm-mail-routes/{user_id}")]
pub async fn reset(
    caller: Authorized<BureauStaff>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<AlarmMailRouteView>, ApiError> {
    let principal = caller.principal;
    let actor = caller_of(&req, principal.clone(), &state).audit_actor();
    let change = change_of(&principal, &actor, &state);
    Ok(web::Json(
        alarm_mail::reset(&state.db, change, path.into_inner()).await?,
    ))
}
