//! `/announcements`: post (bureau admins and managers) and list (scoped by tenant).

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::announcements::{self, AnnouncementView, Draft};
use crate::error::{ApiError, ErrorBody};
use crate::identity::Principal;
use crate::routes::extract::{AnnouncementPublishers, Authorized};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create).service(list);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAnnouncement {
    pub title: String,
    pub body: String,
    /// Empty for everyone; a tenant id for that tenant only.
    #[serde(default)]
    pub tenant_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PostedAnnouncement {
    #[serde(flatten)]
    pub announcement: AnnouncementView,
    /// The sequence number of its event on its topic; empty if the push failed.
    pub seq: Option<u64>,
}

/// Post an announcement; it is pushed at once to the topic of its audience.
#[utoipa::path(
    operation_id = "create_announcement",
    tag = "announcements", security(("bearer" = [])),
    request_body = NewAnnouncement,
    responses(
        (status = 201, body = PostedAnnouncement),
        (status = 403, description = "`forbidden`: only bureau admins and managers post", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
    )
)]
#[post("/announcements")]
pub async fn create(
    caller: Authorized<AnnouncementPublishers>,
    state: web::Data<AppState>,
    body: web::Json<NewAnnouncement>,
) -> Result<HttpResponse, ApiError> {
    let NewAnnouncement {
        title,
        body,
        tenant_id,
    } = body.into_inner();
    let posted = announcements::post(
        &state.db,
        &state.hub,
        &caller.principal,
        Draft {
            title,
            body,
            tenant_id_opt: tenant_id,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(PostedAnnouncement {
        announcement: posted.announcement,
        seq: posted.seq_opt,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only announcements older than this id (paging back).
    pub before_id: Option<i64>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

/// Announcements the caller may read, newest first: everyone's, plus their tenant's.
#[utoipa::path(
    operation_id = "list_announcements",
    tag = "announcements", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = [AnnouncementView]), (status = 401, body = ErrorBody))
)]
#[get("/announcements")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<AnnouncementView>>, ApiError> {
    let limit = super::page_limit(query.limit)?;
    let found = announcements::list(&state.db, principal.scope(), query.before_id, limit).await?;
    Ok(web::Json(found))
}
