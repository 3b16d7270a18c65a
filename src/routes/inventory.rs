//! The CMDB over HTTP: `/inventory` (what fulfilled tickets created, scoped by tenant),
//! `/inventory/changes` (history), `/inventory/import` (bulk, JSON or CSV, or a dry run),
//! `/business-systems`, and list, get, create, update (`PATCH`: only the fields sent) and
//! delete for each kind of object: `/data-centers`, `/machine-rooms`, `/racks`, `/devices`,
//! `/interfaces`, `/links`, `/cloud-platforms`, `/clusters`, `/hosts`, `/vms`,
//! `/resource-pools`.
//!
//! Who may do what is in each handler's extractor: bureau staff read everything; suppliers
//! read the physical side (sites, racks, devices, interfaces, links); tenant users read only
//! their tenant's VMs (another's is 404) and business systems; bureau admins and operators
//! write. Credentials are accepted on writes and never answered.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authorized, BureauStaff, Operators};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::identity::Principal;
use crate::inventory::announce::{announce, InventoryChangedEvent};
use crate::inventory::crud::Writer;
use crate::inventory::history::{self, ChangeActor, ChangeFilter, ChangeView};
use crate::inventory::import::{self, ImportMode, ImportSummary};
use crate::inventory::records::{self, BusinessSystemView};
use crate::inventory::{self, InventoryFilter, InventoryRecordView};
use crate::routes::PageQuery;
use crate::state::AppState;

/// Largest import body.
pub(super) const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(changes)
        .service(
            // The only route that takes large bodies.
            scope("/inventory/import")
                .app_data(web::PayloadConfig::new(MAX_IMPORT_BYTES))
                .service(import_inventory),
        )
        .service(business_systems)
        .configure(data_centers::configure)
        .configure(machine_rooms::configure)
        .configure(racks::configure)
        .configure(devices::configure)
        .configure(interfaces::configure)
        .configure(links::configure)
        .configure(cloud_platforms::configure)
        .configure(clusters::configure)
        .configure(hosts::configure)
        .configure(vms::configure)
        .configure(resource_pools::configure);
}

/// What an inventory record is.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKindName {
    CloudHost,
    FirewallRule,
}

/// Whether an inventory record is in use.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordStateName {
    Active,
    Retired,
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    #[param(inline)]
    pub kind: Option<RecordKindName>,
    pub business_system: Option<String>,
    #[param(inline)]
    pub state: Option<RecordStateName>,
    pub offset: Option<u64>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

/// Inventory records the caller may see: their tenant's, or all for bureau staff.
#[utoipa::path(
    operation_id = "list_inventory",
    tag = "inventory", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = [InventoryRecordView]), (status = 401, body = ErrorBody))
)]
#[get("/inventory")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<InventoryRecordView>>, ApiError> {
    let query = query.into_inner();
    let filter = InventoryFilter {
        kind_opt: query.kind.map(|kind| {
            match kind {
                RecordKindName::CloudHost => "cloud_host",
                RecordKindName::FirewallRule => "firewall_rule",
            }
            .to_owned()
        }),
        business_system_opt: query.business_system,
        state_opt: query.state.map(|state| {
            match state {
                RecordStateName::Active => "active",
                RecordStateName::Retired => "retired",
            }
            .to_owned()
        }),
        offset: super::page_offset(query.offset)?,
        limit: super::page_limit(query.limit)?,
    };
    Ok(web::Json(
        inventory::list(&state.db, principal.scope(), filter).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct ChangeQuery {
    /// `data_center`, `machine_room`, `rack`, `device`, `interface`, `link`,
    /// `cloud_platform`, `cluster`, `host`, `vm` or `resource_pool`.
    pub object_kind: Option<String>,
    pub object_id: Option<i64>,
}

/// The history of the CMDB, newest first: who changed what, when, before and after.
#[utoipa::path(
    tag = "inventory", security(("bearer" = [])),
    params(ChangeQuery, PageQuery),
    responses((status = 200, body = [ChangeView]), (status = 403, description = "`forbidden`: bureau staff only", body = ErrorBody))
)]
#[get("/inventory/changes")]
pub async fn changes(
    _caller: Authorized<BureauStaff>,
    state: web::Data<AppState>,
    query: web::Query<ChangeQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Vec<ChangeView>>, ApiError> {
    let query = query.into_inner();
    let filter = ChangeFilter {
        object_kind_opt: query.object_kind,
        object_id_opt: query.object_id,
        offset: super::page_offset(page.offset)?,
        limit: super::page_limit(page.limit)?,
    };
    Ok(web::Json(history::list(&state.db, filter).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// With `text/csv`: the kind of every row (`devices`, `data_centers`, ...).
    pub kind: Option<String>,
    /// Check every row and answer as for real (counts, or the same problems), but write
    /// nothing. Default false.
    #[serde(default)]
    pub dry_run: bool,
}

/// Bulk import, all rows or none. `application/json`: `{"data_centers":[…],"devices":[…]}`
/// (kinds: data_centers, resource_pools, machine_rooms, racks, devices, cloud_platforms,
/// clusters); parents by natural key (`data_center_code`, `pool`, `room`, `rack`,
/// `platform`). `text/csv` with `?kind=`: a header row, then one object per row. Objects
/// are matched by natural key, so repeating an import changes nothing. With `?dry_run=true`
/// the answer is the same, and nothing is written.
#[utoipa::path(
    tag = "inventory", security(("bearer" = [])),
    params(ImportQuery),
    request_body(content(
        (Object = "application/json"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, description = "what was (with `dry_run`: would be) created, updated or left unchanged, per kind", body = ImportSummary),
        (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `fields` names each row (`devices[3].name`); nothing was written", body = ErrorBody),
    )
)]
#[post("")]
pub async fn import_inventory(
    caller: Authorized<Operators>,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<web::Json<ImportSummary>, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, "the body must be UTF-8"))?;
    let rows = if content_type.starts_with("application/json") {
        let document = serde_json::from_str(text).map_err(|error| {
            ApiError::new(
                ErrorCode::MalformedJson,
                format!("malformed JSON body: {error}"),
            )
        })?;
        import::rows_of_json(document)?
    } else if content_type.starts_with("text/csv") {
        let kind = query
            .kind
            .as_deref()
            .ok_or_else(|| ApiError::new(ErrorCode::BadRequest, "a CSV import needs ?kind="))?;
        import::rows_of_csv(kind, text)?
    } else {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "send application/json or text/csv",
        ));
    };
    let actor = ChangeActor::of(&caller.principal);
    let writer = Writer {
        sealer: &state.secrets,
        actor: &actor,
        now: state.clock.now(),
    };
    let mode = if query.dry_run {
        ImportMode::DryRun
    } else {
        ImportMode::Write
    };
    let summary = import::import(&state.db, rows, &writer, mode).await?;
    if mode == ImportMode::Write {
        if let Some(event) = InventoryChangedEvent::import(&summary) {
            announce(&state.hub, &event).await;
        }
    }
    Ok(web::Json(summary))
}

/// The business systems the caller may see (their tenant's; all for bureau staff), with
/// their VMs and ticket-made records.
#[utoipa::path(
    tag = "inventory", security(("bearer" = [])),
    responses((status = 200, body = [BusinessSystemView]), (status = 401, body = ErrorBody))
)]
#[get("/business-systems")]
pub async fn business_systems(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<BusinessSystemView>>, ApiError> {
    Ok(web::Json(
        records::business_systems(&state.db, principal.scope()).await?,
    ))
}

/// List, get, create, update and delete of one kind: the same five handlers, each with its
/// OpenAPI path, differing only in types, policy and path.
macro_rules! inventory_resource {
    (
        $module:ident, $domain:ident::$object:ident, $fields:ident, $view:ident, $filter:ident,
        names: ($one:literal, $many:literal),
        read: $read:ident,
        paths: ($collection:literal, $item:literal) $(,)?
    ) => {
        pub mod $module {
            use actix_web::{delete, get, patch, post, web, HttpResponse};
            use utoipa_actix_web::service_config::ServiceConfig;

            use crate::routes::PageQuery;
            use crate::error::{ApiError, ErrorBody};
            use crate::routes::extract::{Authorized, Operators, $read};
            use crate::inventory::announce::{announce, InventoryChangedEvent};
            use crate::inventory::crud::{self, InventoryObject, Writer};
            use crate::inventory::history::{ChangeAction, ChangeActor};
            use crate::inventory::$domain::{$fields, $filter, $object, $view};
            use crate::state::AppState;

            pub fn configure(cfg: &mut ServiceConfig) {
                cfg.service(list)
                    .service(create)
                    .service(get)
                    .service(update)
                    .service(delete);
            }

            #[utoipa::path(
                tag = "inventory", security(("bearer" = [])),
                operation_id = concat!("list_", stringify!($module)),
                summary = concat!("List ", $many),
                params(PageQuery, $filter),
                responses(
                    (status = 200, body = [$view]),
                    (status = 403, description = "`forbidden`", body = ErrorBody),
                )
            )]
            #[get($collection)]
            pub async fn list(
                caller: Authorized<$read>,
                state: web::Data<AppState>,
                page: web::Query<PageQuery>,
                filter: web::Query<$filter>,
            ) -> Result<web::Json<Vec<$view>>, ApiError> {
                let offset = crate::routes::page_offset(page.offset)?;
                let limit = crate::routes::page_limit(page.limit)?;
                let found = crud::list::<$object>(
                    &state.db,
                    &state.secrets,
                    &filter,
                    caller.principal.scope(),
                    offset,
                    limit,
                )
                .await?;
                Ok(web::Json(found))
            }

            #[utoipa::path(
                tag = "inventory", security(("bearer" = [])),
                operation_id = concat!("get_", stringify!($module)),
                summary = concat!("Read ", $one),
                params(("id" = i64, Path)),
                responses(
                    (status = 200, body = $view),
                    (status = 403, description = "`forbidden`", body = ErrorBody),
                    (status = 404, description = "`not_found`", body = ErrorBody),
                )
            )]
            #[get($item)]
            pub async fn get(
                caller: Authorized<$read>,
                state: web::Data<AppState>,
                path: web::Path<i64>,
            ) -> Result<web::Json<$view>, ApiError> {
                let found = crud::get::<$object>(
                    &state.db,
                    &state.secrets,
                    path.into_inner(),
                    caller.principal.scope(),
                )
                .await?;
                Ok(web::Json(found))
            }

            #[utoipa::path(
                tag = "inventory", security(("bearer" = [])),
                operation_id = concat!("create_", stringify!($module)),
                summary = concat!("Create ", $one),
                request_body = $fields,
                responses(
                    (status = 201, body = $view),
                    (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
                    (status = 409, description = "`conflict`: the natural key is taken", body = ErrorBody),
                    (status = 422, description = "`validation_failed`, with `fields`", body = ErrorBody),
                )
            )]
            #[post($collection)]
            pub async fn create(
                caller: Authorized<Operators>,
                state: web::Data<AppState>,
                body: web::Json<$fields>,
            ) -> Result<HttpResponse, ApiError> {
                let actor = ChangeActor::of(&caller.principal);
                let writer = Writer {
                    sealer: &state.secrets,
                    actor: &actor,
                    now: state.clock.now(),
                };
                let created = crud::create::<$object>(&state.db, body.into_inner(), &writer).await?;
                let event = InventoryChangedEvent::one($object::KIND, created.id, ChangeAction::Create);
                announce(&state.hub, &event).await;
                Ok(HttpResponse::Created().json(created))
            }

            #[utoipa::path(
                tag = "inventory", security(("bearer" = [])),
                operation_id = concat!("update_", stringify!($module)),
                summary = concat!("Change ", $one, " (only the fields sent)"),
                params(("id" = i64, Path)),
                request_body = $fields,
                responses(
                    (status = 200, body = $view),
                    (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
                    (status = 404, description = "`not_found`", body = ErrorBody),
                    (status = 409, description = "`conflict`: the natural key is taken", body = ErrorBody),
                    (status = 422, description = "`validation_failed`, with `fields`", body = ErrorBody),
                )
            )]
            #[patch($item)]
            pub async fn update(
                caller: Authorized<Operators>,
                state: web::Data<AppState>,
                path: web::Path<i64>,
                body: web::Json<$fields>,
            ) -> Result<web::Json<$view>, ApiError> {
                let actor = ChangeActor::of(&caller.principal);
                let writer = Writer {
                    sealer: &state.secrets,
                    actor: &actor,
                    now: state.clock.now(),
                };
                let id = path.into_inner();
                let updated = crud::update::<$object>(&state.db, id, body.into_inner(), &writer).await?;
                if updated.changed {
                    let event = InventoryChangedEvent::one($object::KIND, id, ChangeAction::Update);
                    announce(&state.hub, &event).await;
                }
                Ok(web::Json(updated.model))
            }

            #[utoipa::path(
                tag = "inventory", security(("bearer" = [])),
                operation_id = concat!("delete_", stringify!($module)),
                summary = concat!("Delete ", $one, " nothing refers to"),
                params(("id" = i64, Path)),
                responses(
                    (status = 204, description = "deleted"),
                    (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
                    (status = 404, description = "`not_found`", body = ErrorBody),
                    (status = 409, description = "`has_dependents`: other objects still refer to it", body = ErrorBody),
                )
            )]
            #[delete($item)]
            pub async fn delete(
                caller: Authorized<Operators>,
                state: web::Data<AppState>,
                path: web::Path<i64>,
            ) -> Result<HttpResponse, ApiError> {
                let actor = ChangeActor::of(&caller.principal);
                let writer = Writer {
                    sealer: &state.secrets,
                    actor: &actor,
                    now: state.clock.now(),
                };
                let id = path.into_inner();
                crud::delete::<$object>(&state.db, id, &writer).await?;
                let event = InventoryChangedEvent::one($object::KIND, id, ChangeAction::Delete);
                announce(&state.hub, &event).await;
                Ok(HttpResponse::NoContent().finish())
            }
        }
    };
}

inventory_resource!(
    data_centers, sites::DataCenters, DataCenterFields, DataCenterView, DataCenterFilter,
    names: ("a data center", "data centers"),
    read: InfrastructureReaders,
    paths: ("/data-centers", "/data-centers/{id}"),
);
inventory_resource!(
    machine_rooms, sites::MachineRooms, MachineRoomFields, MachineRoomView, MachineRoomFilter,
    names: ("a machine room", "machine rooms"),
    read: InfrastructureReaders,
    paths: ("/machine-rooms", "/machine-rooms/{id}"),
);
inventory_resource!(
    racks, sites::Racks, RackFields, RackView, RackFilter,
    names: ("a rack", "racks"),
    read: InfrastructureReaders,
    paths: ("/racks", "/racks/{id}"),
);
inventory_resource!(
    devices, devices::Devices, DeviceFields, DeviceView, DeviceFilter,
    names: ("a device", "devices"),
    read: InfrastructureReaders,
    paths: ("/devices", "/devices/{id}"),
);
inventory_resource!(
    interfaces, devices::Interfaces, InterfaceFields, InterfaceView, InterfaceFilter,
    names: ("an interface", "interfaces"),
    read: InfrastructureReaders,
    paths: ("/interfaces", "/interfaces/{id}"),
);
inventory_resource!(
    links, devices::Links, LinkFields, LinkView, LinkFilter,
    names: ("a link", "links"),
    read: InfrastructureReaders,
    paths: ("/links", "/links/{id}"),
);
inventory_resource!(
    cloud_platforms, clouds::CloudPlatforms, CloudPlatformFields, CloudPlatformView, CloudPlatformFilter,
    names: ("a cloud platform", "cloud platforms"),
    read: BureauStaff,
    paths: ("/cloud-platforms", "/cloud-platforms/{id}"),
);
inventory_resource!(
    clusters, clouds::Clusters, ClusterFields, ClusterView, ClusterFilter,
    names: ("a cluster", "clusters"),
    read: BureauStaff,
    paths: ("/clusters", "/clusters/{id}"),
);
inventory_resource!(
    hosts, clouds::Hosts, HostFields, HostView, HostFilter,
    names: ("a host", "hosts"),
    read: BureauStaff,
    paths: ("/hosts", "/hosts/{id}"),
);
inventory_resource!(
    vms, clouds::Vms, VmFields, VmView, VmFilter,
    names: ("a VM", "VMs"),
    read: VmReaders,
    paths: ("/vms", "/vms/{id}"),
);
inventory_resource!(
    resource_pools, pools::ResourcePools, ResourcePoolFields, ResourcePoolView, ResourcePoolFilter,
    names: ("a resource pool", "resource pools"),
    read: BureauStaff,
    paths: ("/resource-pools", "/resource-pools/{id}"),
);
