//! `/inventory`: what fulfilled tickets created, scoped by tenant.

use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::identity::Principal;
use crate::inventory::{self, InventoryFilter, InventoryRecordView};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/inventory", web::get().to(list));
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// `cloud_host` or `firewall_rule`.
    pub kind: Option<String>,
    pub business_system: Option<String>,
    /// `active` or `retired`.
    pub state: Option<String>,
    pub offset: Option<u64>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

/// Inventory records the caller may see: their tenant's, or all for bureau staff.
#[utoipa::path(
    get, path = "/api/v1/inventory", tag = "inventory", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = [InventoryRecordView]), (status = 401, body = ErrorBody))
)]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<InventoryRecordView>>, ApiError> {
    let query = query.into_inner();
    let filter = InventoryFilter {
        kind_opt: query.kind,
        business_system_opt: query.business_system,
        state_opt: query.state,
        offset: super::page_offset(query.offset)?,
        limit: super::page_limit(query.limit)?,
    };
    Ok(web::Json(
        inventory::list(&state.db, principal.scope(), filter).await?,
    ))
}
