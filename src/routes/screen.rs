//! `/screen`: what the command-center wall reads (bureau staff and display keys), and
//! `/display-keys`: the walls' keys (bureau admins create, list and revoke them; a wall logs
//! in with its key).

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::auth::{client_address, CurrentUser, LoginResponse};
use super::tickets::caller_of;
use crate::error::{ApiError, ErrorBody};
use crate::identity::display_keys::{self, CreatedDisplayKey, DisplayKeyView};
use crate::identity::sessions::SessionStore;
use crate::routes::extract::{Authorized, BureauAdmins, ScreenViewers};
use crate::screen::business::{BusinessScreen, TicketCounts};
use crate::screen::cloud::CloudScreen;
use crate::screen::rooms::{RoomScene, ScreenSite};
use crate::screen::{business, cloud, rooms};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(sites)
        .service(room)
        .service(cloud_screen)
        .service(business_screen)
        .service(ticket_counts)
        .service(list_keys)
        .service(create_key)
        .service(log_in)
        .service(revoke_key);
}

/// Data centers and their machine rooms, with racks and devices counted.
#[utoipa::path(
    tag = "screen", security(("bearer" = [])),
    responses((status = 200, body = Vec<ScreenSite>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/screen/sites")]
pub async fn sites(
    _caller: Authorized<ScreenViewers>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<ScreenSite>>, ApiError> {
    Ok(web::Json(rooms::sites(&state.db).await?))
}

/// One machine room to draw: its grid, racks where they stand, devices at their rack units
/// with their live status, and their active alarms.
#[utoipa::path(
    tag = "screen", security(("bearer" = [])),
    responses(
        (status = 200, body = RoomScene),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
#[get("/screen/rooms/{room_id}")]
pub async fn room(
    _caller: Authorized<ScreenViewers>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<RoomScene>, ApiError> {
    Ok(web::Json(
        rooms::room(&state.db, &state.monitoring, path.into_inner()).await?,
    ))
}

/// The cloud platforms: hosts and VMs counted, allocation against capacity, hypervisor load.
#[utoipa::path(
    tag = "screen", security(("bearer" = [])),
    responses((status = 200, body = CloudScreen), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/screen/cloud")]
pub async fn cloud_screen(
    _caller: Authorized<ScreenViewers>,
    state: web::Data<AppState>,
) -> Result<web::Json<CloudScreen>, ApiError> {
    Ok(web::Json(cloud::cloud(&state.db, &state.monitoring).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SinceQuery {
    /// Count what happened since this moment (the wall's local midnight); default: the
    /// start of today in UTC.
    pub since: Option<DateTime<Utc>>,
}

impl SinceQuery {
    fn since(&self) -> DateTime<Utc> {
        self.since.unwrap_or_else(|| {
            Utc::now()
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
        })
    }
}

/// Per tenant and business system: VMs, allocation and quota held, open tickets; and the
/// ticket counts.
#[utoipa::path(
    tag = "screen", security(("bearer" = [])),
    params(SinceQuery),
    responses((status = 200, body = BusinessScreen), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/screen/business")]
pub async fn business_screen(
    _caller: Authorized<ScreenViewers>,
    state: web::Data<AppState>,
    query: web::Query<SinceQuery>,
) -> Result<web::Json<BusinessScreen>, ApiError> {
    Ok(web::Json(
        business::business(&state.db, query.since()).await?,
    ))
}

/// Tickets counted: open ones by state, and submitted, completed and otherwise ended since.
#[utoipa::path(
    tag = "screen", security(("bearer" = [])),
    params(SinceQuery),
    responses((status = 200, body = TicketCounts), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/screen/tickets")]
pub async fn ticket_counts(
    _caller: Authorized<ScreenViewers>,
    state: web::Data<AppState>,
    query: web::Query<SinceQuery>,
) -> Result<web::Json<TicketCounts>, ApiError> {
    Ok(web::Json(
        business::tickets(&state.db, query.since()).await?,
    ))
}

/// Every display key, newest first (never the keys themselves).
#[utoipa::path(
    tag = "screen", security(("bearer" = [])),
    responses((status = 200, body = Vec<DisplayKeyView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/display-keys")]
pub async fn list_keys(
    _caller: Authorized<BureauAdmins>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<DisplayKeyView>>, ApiError> {
    Ok(web::Json(display_keys::list(&state.db).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisplayKey {
    /// What the wall is (`指挥中心主屏`); unique.
    pub name: String,
}

/// Create a display key for a wall; the answer holds the key, shown this once. Audited.
#[utoipa::path(
    tag = "screen", security(("bearer" = [])),
    request_body = NewDisplayKey,
    responses(
        (status = 201, body = CreatedDisplayKey),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "`conflict`: the name is taken", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
    )
)]
#[post("/display-keys")]
pub async fn create_key(
    caller: Authorized<BureauAdmins>,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<NewDisplayKey>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_of(&req, caller.principal, &state);
    let created = display_keys::create(
        &state.db,
        &caller.audit_actor(),
        caller.principal.user_id,
        &body.name,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Revoke a display key: the wall's sessions end and its socket closes. Audited.
#[utoipa::path(
    tag = "screen", security(("bearer" = [])),
    responses(
        (status = 200, body = DisplayKeyView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
#[post("/display-keys/{key_id}/revoke")]
pub async fn revoke_key(
    caller: Authorized<BureauAdmins>,
    req: HttpRequest,
    state: web::Data<AppState>,
    sessions: web::Data<SessionStore>,
    path: web::Path<i64>,
) -> Result<web::Json<DisplayKeyView>, ApiError> {
    let caller = caller_of(&req, caller.principal, &state);
    Ok(web::Json(
        display_keys::revoke(
            &state.db,
            &sessions,
            &caller.audit_actor(),
            path.into_inner(),
            state.clock.now(),
        )
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisplayKeyLogin {
    pub key: String,
}

/// A wall logs in with its display key: a session of the key's read-only account.
#[utoipa::path(
    tag = "screen",
    request_body = DisplayKeyLogin,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "`invalid_credentials`: unknown or revoked key", body = ErrorBody),
    )
)]
#[post("/display-keys/login")]
pub async fn log_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    sessions: web::Data<SessionStore>,
    body: web::Json<DisplayKeyLogin>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let login = display_keys::log_in(
        &state.db,
        &sessions,
        &body.key,
        client_address(&req, state.trust_forwarded_for),
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(LoginResponse {
        token: login.token,
        expires_at: login.expires_at,
        user: CurrentUser::from(&login.principal),
    }))
}
