//! Notification channels: `/notification-channels` (bureau admins every channel, tenant
//! admins their tenant's), a test post, and each channel's recent posts.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::page_limit;
use super::tickets::caller_of;
use crate::error::{ApiError, ErrorBody};
use crate::identity::accounts::Administrator;
use crate::notify::channels::{self, Change, ChannelInput, ChannelView, DeliveryView};
use crate::notify::dispatch;
use crate::routes::extract::Administering;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(delete)
        .service(test)
        .service(deliveries);
}

fn change<'a>(
    admin: Administrator,
    actor: &'a crate::audit::AuditActor,
    state: &AppState,
) -> Change<'a> {
    Change {
        admin,
        actor,
        default_locale: state.mail.locale,
        now: state.clock.now(),
    }
}

/// The channels the caller keeps.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Vec<ChannelView>), (status = 403, body = ErrorBody))
)]
#[get("/notification-channels")]
pub async fn list(
    caller: Administering,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<ChannelView>>, ApiError> {
    let admin = caller.admin;
    Ok(web::Json(
        channels::list(&state.db, &state.secrets, admin).await?,
    ))
}

/// Add a channel: a webhook, or a DingTalk or WeCom group robot. Audited.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    request_body = ChannelInput,
    responses(
        (status = 201, body = ChannelView),
        (status = 403, description = "`forbidden`, also for another tenant's channel", body = ErrorBody),
        (status = 422, description = "`validation_failed`, with the fields", body = ErrorBody),
    )
)]
#[post("/notification-channels")]
pub async fn create(
    caller: Administering,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ChannelInput>,
) -> Result<HttpResponse, ApiError> {
    let admin = caller.admin;
    let actor = caller_of(&req, caller.principal, &state).audit_actor();
    let created = channels::create(
        &state.db,
        &state.secrets,
        change(admin, &actor, &state),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One channel.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = ChannelView), (status = 403, body = ErrorBody), (status = 404, description = "`not_found`, also for a channel the caller does not keep", body = ErrorBody))
)]
#[get("/notification-channels/{channel_id}")]
pub async fn get(
    caller: Administering,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<ChannelView>, ApiError> {
    let admin = caller.admin;
    let row = channels::find(&state.db, admin, path.into_inner()).await?;
    Ok(web::Json(channels::view(&state.secrets, row)))
}

/// Change a channel: absent fields keep their values; `url` and `secret` replace the stored
/// ones. Audited.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    request_body = ChannelInput,
    responses(
        (status = 200, body = ChannelView),
        (status = 403, body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, with the fields", body = ErrorBody),
    )
)]
#[patch("/notification-channels/{channel_id}")]
pub async fn update(
    caller: Administering,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<ChannelInput>,
) -> Result<web::Json<ChannelView>, ApiError> {
    let admin = caller.admin;
    let actor = caller_of(&req, caller.principal, &state).audit_actor();
    let changed = channels::update(
        &state.db,
        &state.secrets,
        change(admin, &actor, &state),
        path.into_inner(),
        body.into_inner(),
    )
    .await?;
    state.nudge.nudge();
    Ok(web::Json(changed))
}

/// Delete a channel and its posts not yet sent. Audited.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 403, body = ErrorBody), (status = 404, description = "`not_found`", body = ErrorBody))
)]
#[delete("/notification-channels/{channel_id}")]
pub async fn delete(
    caller: Administering,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let admin = caller.admin;
    let actor = caller_of(&req, caller.principal, &state).audit_actor();
    channels::delete(
        &state.db,
        &state.secrets,
        change(admin, &actor, &state),
        path.into_inner(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Post a test message to a channel now (whatever it carries); its progress shows in the
/// channel's deliveries.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    responses((status = 202, body = DeliveryView), (status = 403, body = ErrorBody), (status = 404, description = "`not_found`", body = ErrorBody))
)]
#[post("/notification-channels/{channel_id}/test")]
pub async fn test(
    caller: Administering,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let admin = caller.admin;
    let now = state.clock.now();
    let txn = crate::db::begin(&state.db).await?;
    let channel = channels::find(&txn, admin, path.into_inner()).await?;
    let link = state.mail.base_url.clone();
    let id = dispatch::test(&txn, &channel, link, now).await?;
    txn.commit().await?;
    state.nudge.nudge();
    let delivery = channels::delivery(&state.db, id).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

/// A channel's latest posts, newest first: what was sent, what waits, and why.
#[utoipa::path(
    tag = "notifications", security(("bearer" = [])),
    params(DeliveriesQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403, body = ErrorBody), (status = 404, description = "`not_found`", body = ErrorBody))
)]
#[get("/notification-channels/{channel_id}/deliveries")]
pub async fn deliveries(
    caller: Administering,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<DeliveriesQuery>,
) -> Result<web::Json<Vec<DeliveryView>>, ApiError> {
    let admin = caller.admin;
    let limit = page_limit(query.limit)?;
    Ok(web::Json(
        channels::deliveries(&state.db, admin, path.into_inner(), limit).await?,
    ))
}
