//! The HTTP API under `/api/v1`, the operational endpoints and the web assets.
//!
//! Each file owns one resource: it exports `configure`, which registers its handlers; each
//! handler's route attribute (`#[get("/…")]`) is also its OpenAPI path ([`document`]). Wire types live here, converted from the domain types. Authentication and
//! role policy are extractor arguments (`Principal`, `Authorized<P>`), never handler code.

pub mod alarm_mail_routes;
pub mod alarm_rules;
pub mod announcements;
pub mod auth;
pub mod catalog;
pub mod directory;
mod errors;
pub mod extract;
pub mod governance;
pub mod inventory;
pub mod link_proposals;
pub mod maintenance_windows;
pub mod monitoring;
pub mod notifications;
pub mod ops;
pub mod screen;
pub mod sso;
mod storable_text;
pub mod tickets;
pub mod vm_monitoring;
pub mod web_assets;
pub mod ws;

use actix_web::body::MessageBody;
use actix_web::dev::ResourceDef;
use actix_web::dev::ServiceResponse;
use actix_web::http::Method;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{scope, AppExt};

pub use storable_text::refuse_nul;

use crate::announcements::AnnouncementView;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::hub::EventKind;
use crate::inventory::announce::InventoryChangedEvent;
use crate::monitoring::alarms::AlarmView;
use crate::monitoring::data_center::{DataCenterSummary, LinkStateEvent, LinkUtilizationEvent};
use crate::monitoring::device::{DeviceSampleEvent, DeviceStateEvent};
use crate::monitoring::link_proposals::LinkProposalsChangedEvent;
use crate::monitoring::overview::OverviewSummary;
use crate::monitoring::platform::{PlatformSyncFailedEvent, PlatformSyncedEvent};
use crate::monitoring::vm_utilization::VmUtilizationEvent;
use crate::tickets::views::{
    ApprovalOverdueEvent, ApprovalView, InboxItem, TaskAssignedEvent, TicketMovedEvent,
    TicketProgressEvent, TicketView,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "yunguan API", description = "Unified cloud management platform: identity, tenants, announcements, the service catalog, tickets with multi-level approvals, quotas, the audit trail, the CMDB (data centers, devices, links, clouds, hosts, VMs, pools, history, import), live monitoring (devices, alarms, topology), the command-center screen with its display keys, and the live event hub."),
    servers((url = "/", description = "the server that serves this document")),
    tags(
        (name = "auth", description = "Logging in and out; who the caller is. Every other operation but the operational ones takes the login's bearer token."),
        (name = "directory", description = "Tenants (the departments), accounts and the names behind user ids."),
        (name = "announcements", description = "Notices (公告) to everyone or to one tenant."),
        (name = "catalog", description = "The versioned service catalog (服务目录): items, their request forms and approval chains."),
        (name = "tickets", description = "Requests and their multi-level approvals (审批流), delegation, the approval inbox."),
        (name = "tasks", description = "Manual fulfilment tasks assigned to operators."),
        (name = "quotas", description = "Each tenant's resource quota and what it has in use."),
        (name = "audit", description = "The hash-chained audit trail: read, export, verify."),
        (name = "inventory", description = "The CMDB: data centers, machine rooms, racks, devices, interfaces, links, clouds, hosts, VMs, pools; their history and bulk import."),
        (name = "monitoring", description = "Live device state and metrics, VMs' utilization and metrics, topology, alarms and their rules."),
        (name = "notifications", description = "Notification channels: webhooks (HMAC-signed JSON) and DingTalk and WeCom group robots that alarms and approval notices are posted to."),
        (name = "screen", description = "The command-center wall's aggregates and its display keys."),
        (name = "events", description = "The WebSocket: a ticket, then the upgrade. Event kinds and their data are under `x-yunguan-events`."),
        (name = "ops", description = "Health, readiness, Prometheus metrics and the actors' state."),
    ),
    components(schemas(
        ErrorBody,
        AnnouncementView,
        TicketView,
        TicketMovedEvent,
        TicketProgressEvent,
        InboxItem,
        ApprovalView,
        ApprovalOverdueEvent,
        TaskAssignedEvent,
        DeviceSampleEvent,
        DeviceStateEvent,
        DataCenterSummary,
        OverviewSummary,
        LinkStateEvent,
        LinkUtilizationEvent,
        AlarmView,
        PlatformSyncedEvent,
        PlatformSyncFailedEvent,
        VmUtilizationEvent,
        LinkProposalsChangedEvent,
        InventoryChangedEvent,
    )),
    modifiers(&BearerAuth, &EventCatalogue),
)]
struct ApiDoc;

/// The OpenAPI document: what [`ApiDoc`] says of the whole API, the paths of every handler
/// [`mount`] registers (each handler's `#[get("/…")]` is its route and its entry at once, so
/// no route can miss the document), and the answers every operation gives.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, paths) = actix_web::App::new()
        .into_utoipa_app()
        .configure(mount)
        .split_for_parts();
    let mut document = ApiDoc::openapi();
    document.merge(paths);
    CommonResponses.modify(&mut document);
    document
}

/// The OpenAPI document as `yunguan openapi` prints it and `web/src/shared/api/openapi.json`
/// holds it: pretty JSON with a final newline.
pub fn openapi_document_pretty_json() -> String {
    let mut text = document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    text.push('\n');
    text
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The answers operations give whatever their handlers do, added where an operation's own
/// annotation does not list them (its own description, if any, is kept):
/// - every operation: `400 invalid_text` (`storable_text` refuses a NUL anywhere before any
///   handler runs), `bad_request` or `malformed_json` (a parameter or body that cannot be read);
/// - with a bearer token: `401` (the `Principal` extractor);
/// - with a path parameter: `404` (nothing has that id, or nothing the caller may see);
/// - with query parameters or a body: `422 validation_failed` (a missing, unknown or
///   out-of-bounds value); with a body: `413` (larger than the server takes).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
        const UNREADABLE: &str = "`invalid_text`: a NUL character (U+0000) in the path, a query parameter or the body (`fields` names where); `bad_request` or `malformed_json`: a parameter or body that cannot be read";
        const UNAUTHENTICATED: &str = "`missing_token` or `invalid_token`: no bearer token, or one that expired, was revoked or belongs to a disabled account";
        const NOT_FOUND: &str = "`not_found`: nothing with that id, or nothing the caller may see";
        const INVALID: &str =
            "`validation_failed`: a missing, unknown or out-of-bounds value; `fields` names it";
        const TOO_LARGE: &str = "`payload_too_large`: the body is larger than the server takes";
        let error = |description: &str| -> Response {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build();
            ResponseBuilder::new()
                .description(description)
                .content("application/json", content)
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let bearer = operation
                    .security
                    .as_ref()
                    .is_some_and(|requirements| !requirements.is_empty());
                let parameters = operation.parameters.as_deref().unwrap_or_default();
                let in_path = parameters
                    .iter()
                    .any(|parameter| matches!(parameter.parameter_in, ParameterIn::Path));
                let in_query = parameters
                    .iter()
                    .any(|parameter| matches!(parameter.parameter_in, ParameterIn::Query));
                let body = operation.request_body.is_some();
                let responses = &mut operation.responses.responses;
                // An operation's own 400 keeps its words and gains these.
                if let Some(RefOr::T(response)) = responses.get_mut("400") {
                    if !response.description.is_empty() {
                        response.description = format!("{}; {UNREADABLE}", response.description);
                    }
                }
                let mut add = |status: &str, description: &str| match responses.get_mut(status) {
                    Some(RefOr::T(response)) if response.description.is_empty() => {
                        response.description = description.to_owned();
                    }
                    Some(_) => {}
                    None => {
                        responses.insert(status.to_owned(), error(description).into());
                    }
                };
                add("400", UNREADABLE);
                if bearer {
                    add("401", UNAUTHENTICATED);
                }
                if in_path {
                    add("404", NOT_FOUND);
                }
                if in_query || body {
                    add("422", INVALID);
                }
                if body {
                    add("413", TOO_LARGE);
                }
            }
        }
    }
}

/// Adds `x-yunguan-events`: every event kind of the WebSocket (`hub::events`), in catalogue
/// order, with its topics, description, whether it is telemetry, and a reference to the
/// schema of its `data`. The front end generates its event types from it.
struct EventCatalogue;

impl Modify for EventCatalogue {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let kinds: Vec<serde_json::Value> = EventKind::ALL
            .iter()
            .map(|kind| {
                serde_json::json!({
                    "kind": kind.name(),
                    "topics": kind.topics(),
                    "data": format!("#/components/schemas/{}", kind.data_schema()),
                    "description": kind.description(),
                    "telemetry": kind.is_telemetry(),
                })
            })
            .collect();
        openapi
            .extensions
            .get_or_insert_with(Default::default)
            .insert("x-yunguan-events".to_owned(), kinds.into());
    }
}

/// Every route: the API under `/api/v1`, the operational endpoints and the web assets.
pub fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .configure(auth::configure)
            .configure(sso::configure)
            .configure(ws::configure)
            .configure(announcements::configure)
            .configure(directory::configure)
            .configure(catalog::configure)
            .configure(tickets::configure)
            .configure(governance::configure)
            .configure(inventory::configure)
            .configure(monitoring::configure)
            .configure(vm_monitoring::configure)
            .configure(alarm_rules::configure)
            .configure(maintenance_windows::configure)
            .configure(link_proposals::configure)
            .configure(screen::configure)
            .configure(notifications::configure)
            .configure(alarm_mail_routes::configure)
            .configure(ops::configure_api)
            .route("/openapi.json", web::get().to(openapi_json))
            .default_service(web::to(api_not_found)),
    )
    .configure(ops::configure_root)
    .configure(web_assets::configure);
}

/// The document the server publishes, and its routes to tell an unknown path (404) from a
/// known one asked with another method (405).
pub struct Published {
    document: utoipa::openapi::OpenApi,
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl Published {
    pub fn new() -> Self {
        let document = document();
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let operations = [
                    (Method::GET, &item.get),
                    (Method::PUT, &item.put),
                    (Method::POST, &item.post),
                    (Method::DELETE, &item.delete),
                    (Method::PATCH, &item.patch),
                ];
                let methods = operations
                    .into_iter()
                    .filter(|(_, operation)| operation.is_some())
                    .map(|(method, _)| method)
                    .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Published { document, routes }
    }

    /// The methods a documented path takes, when `path` is one.
    fn methods_of(&self, path: &str) -> Option<&[Method]> {
        self.routes
            .iter()
            .find(|(resource, _)| resource.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

impl Default for Published {
    fn default() -> Self {
        Self::new()
    }
}

async fn openapi_json(published: web::Data<Published>) -> web::Json<utoipa::openapi::OpenApi> {
    web::Json(published.document.clone())
}

async fn api_not_found(req: HttpRequest, published: web::Data<Published>) -> HttpResponse {
    let Some(methods) = published.methods_of(req.path()) else {
        return ApiError::new(
            ErrorCode::NotFound,
            format!("no API endpoint {} {}", req.method(), req.path()),
        )
        .error_response();
    };
    let allowed = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} is not allowed on {}; {allowed} is",
            req.method(),
            req.path()
        ),
    )
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Paging of every list.
#[derive(Deserialize, IntoParams)]
pub struct PageQuery {
    pub offset: Option<u64>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

/// Page size bounds shared by list endpoints.
pub fn page_limit(limit_opt: Option<u64>) -> Result<u64, ApiError> {
    match limit_opt {
        None => Ok(50),
        Some(limit) if (1..=200).contains(&limit) => Ok(limit),
        Some(_) => Err(ApiError::new(
            ErrorCode::BadRequest,
            "limit must be between 1 and 200",
        )),
    }
}

/// Offset bounds shared by list endpoints (the database takes a signed 64-bit offset).
pub fn page_offset(offset_opt: Option<u64>) -> Result<u64, ApiError> {
    const MAX_OFFSET: u64 = 1_000_000_000;
    match offset_opt {
        None => Ok(0),
        Some(offset) if offset <= MAX_OFFSET => Ok(offset),
        Some(_) => Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("offset must be at most {MAX_OFFSET}"),
        )),
    }
}

/// Replaces actix's empty 404 and 405 answers (a path or method no route matches) with
/// catalogue errors; JSON errors from handlers pass through untouched.
pub fn error_pages<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new()
        .handler(StatusCode::NOT_FOUND, catalogue_error)
        .handler(StatusCode::METHOD_NOT_ALLOWED, catalogue_error)
}

fn catalogue_error<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let (req, original) = response.into_parts();
    let error = if original.status() == StatusCode::METHOD_NOT_ALLOWED {
        ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed on {}", req.method(), req.path()),
        )
    } else {
        ApiError::new(ErrorCode::NotFound, format!("nothing at {}", req.path()))
    };
    let replaced = ServiceResponse::new(req, error.error_response());
    Ok(ErrorHandlerResponse::Response(
        replaced.map_into_right_body(),
    ))
}
