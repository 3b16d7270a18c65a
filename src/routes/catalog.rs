//! `/catalog`: the service catalog. Everyone logged in reads it; bureau admins create,
//! revise and retire items.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::tickets::caller_of;
use yunguan_actors::ticket::chain::ApprovalChain;

use crate::catalog::chain_schema::ApprovalChainSchema;
use crate::catalog::form::FormSchema;
use crate::catalog::kinds::{Fulfilment, ItemKind};
use crate::catalog::{self, ItemContent, ItemView};
use crate::error::{ApiError, ErrorBody};
use crate::identity::Principal;
use crate::routes::extract::{Authorized, BureauAdmins};
use crate::state::AppState;
use crate::tickets::engine::preview::RequestPreview;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(revise)
        .service(retire)
        .service(preview);
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Include retired items (default false).
    pub include_retired: Option<bool>,
}

/// The catalog items in service, at their current versions.
#[utoipa::path(
    operation_id = "list_catalog_items",
    tag = "catalog", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = [ItemView]), (status = 401, body = ErrorBody))
)]
#[get("/catalog")]
pub async fn list(
    _principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<ItemView>>, ApiError> {
    Ok(web::Json(
        catalog::list(&state.db, query.include_retired.unwrap_or(false)).await?,
    ))
}

/// One catalog item at its current version.
#[utoipa::path(
    operation_id = "get_catalog_item",
    tag = "catalog", security(("bearer" = [])),
    responses((status = 200, body = ItemView), (status = 404, body = ErrorBody))
)]
#[get("/catalog/{item_id}")]
pub async fn get(
    _principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<ItemView>, ApiError> {
    Ok(web::Json(catalog::get(&state.db, path.into_inner()).await?))
}

/// A new item: its code and kind, then the content a revision also has. The fields are
/// spelled out rather than `ItemContent` flattened in, so that the document states one
/// closed object (a flattened closed object is an `allOf` no body can satisfy).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// Stable code, e.g. `vm.request.gpu`.
    pub code: String,
    pub kind: ItemKind,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub form: FormSchema,
    #[schema(value_type = ApprovalChainSchema)]
    pub chain: ApprovalChain,
    pub fulfilment: Fulfilment,
}

/// Create a catalog item (version 1).
#[utoipa::path(
    operation_id = "create_catalog_item",
    tag = "catalog", security(("bearer" = [])),
    request_body = NewItem,
    responses(
        (status = 201, body = ItemView),
        (status = 403, body = ErrorBody),
        (status = 409, description = "`conflict`: the code is taken", body = ErrorBody),
        (status = 422, description = "`validation_failed`, with `fields`", body = ErrorBody),
    )
)]
#[post("/catalog")]
pub async fn create(
    caller: Authorized<BureauAdmins>,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<NewItem>,
) -> Result<HttpResponse, ApiError> {
    let NewItem {
        code,
        kind,
        name,
        description,
        form,
        chain,
        fulfilment,
    } = body.into_inner();
    let content = ItemContent {
        name,
        description,
        form,
        chain,
        fulfilment,
    };
    let caller = caller_of(&req, caller.principal, &state);
    let created = catalog::create(
        &state.db,
        &caller.audit_actor(),
        &code,
        kind,
        content,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Revise a catalog item: a new version; open tickets keep theirs.
#[utoipa::path(
    operation_id = "revise_catalog_item",
    tag = "catalog", security(("bearer" = [])),
    request_body = ItemContent,
    responses(
        (status = 200, body = ItemView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`conflict`: a retired item cannot be revised", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[put("/catalog/{item_id}")]
pub async fn revise(
    caller: Authorized<BureauAdmins>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<ItemContent>,
) -> Result<web::Json<ItemView>, ApiError> {
    let caller = caller_of(&req, caller.principal, &state);
    let revised = catalog::revise(
        &state.db,
        &caller.audit_actor(),
        path.into_inner(),
        body.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(revised))
}

/// Retire a catalog item: it takes no new requests.
#[utoipa::path(
    operation_id = "retire_catalog_item",
    tag = "catalog", security(("bearer" = [])),
    responses((status = 200, body = ItemView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[post("/catalog/{item_id}/retire")]
pub async fn retire(
    caller: Authorized<BureauAdmins>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<ItemView>, ApiError> {
    let caller = caller_of(&req, caller.principal, &state);
    let retired = catalog::retire(
        &state.db,
        &caller.audit_actor(),
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(retired))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftForm {
    /// The form as filled in so far, field by field.
    #[schema(value_type = Object)]
    pub form: Value,
}

/// Check a request form as submitting it would (fields, cross-field rules, quota) and plan
/// its approval chain, without submitting: the levels it goes through and why.
#[utoipa::path(
    operation_id = "preview_request",
    tag = "catalog", security(("bearer" = [])),
    request_body = DraftForm,
    responses(
        (status = 200, body = RequestPreview),
        (status = 403, description = "`forbidden`: only tenant users submit", body = ErrorBody),
        (status = 404, description = "`not_found`: no such item in service", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/catalog/{item_id}/preview")]
pub async fn preview(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<DraftForm>,
) -> Result<web::Json<RequestPreview>, ApiError> {
    Ok(web::Json(
        state
            .tickets
            .engine()
            .preview(&principal, path.into_inner(), &body.form)
            .await?,
    ))
}
