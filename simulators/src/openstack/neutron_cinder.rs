//! Neutron's `GET /network/v2.0/networks` (with the `name` filter) and Cinder's
//! `GET /volume/v3/{project_id}/volumes/detail`: read-only, enough for an inventory.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::faults::{error_response, Api};
use super::nova::timestamp;
use super::Shared;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/network/v2.0/networks", web::get().to(list_networks))
        .route(
            "/volume/v3/{project_id}/volumes/detail",
            web::get().to(list_volumes),
        );
}

async fn list_networks(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let Ok(query) = web::Query::<HashMap<String, String>>::from_query(request.query_string())
    else {
        return error_response(
            Api::Neutron,
            StatusCode::BAD_REQUEST,
            "Invalid query string.",
        );
    };
    let state = shared.state.lock();
    let networks: Vec<Value> = state
        .networks
        .iter()
        .filter(|n| query.get("name").is_none_or(|name| *name == n.name))
        .map(|n| {
            json!({
                "id": n.id,
                "name": n.name,
                "status": "ACTIVE",
                "admin_state_up": true,
                "shared": n.shared,
                "router:external": false,
                "provider:network_type": "vlan",
                "subnets": [n.subnet_id],
                "tenant_id": shared.project_id,
                "project_id": shared.project_id,
                "mtu": 1500,
                "description": format!("{} ({})", n.name, n.cidr),
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({"networks": networks}))
}

async fn list_volumes(project_id: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    if *project_id != shared.project_id {
        return error_response(
            Api::Cinder,
            StatusCode::NOT_FOUND,
            "The resource could not be found.",
        );
    }
    let state = shared.settled();
    let volumes: Vec<Value> = state
        .volumes
        .iter()
        .map(|v| {
            let attachments: Vec<Value> = v
                .attached_server_id_opt
                .iter()
                .map(|server_id| {
                    json!({"server_id": server_id, "volume_id": v.id, "device": "/dev/vdb", "attachment_id": format!("{}-attachment", v.id)})
                })
                .collect();
            json!({
                "id": v.id,
                "name": v.name,
                "status": if attachments.is_empty() { "available" } else { "in-use" },
                "size": v.size_gb,
                "volume_type": "ceph-ssd",
                "bootable": "false",
                "availability_zone": "nova",
                "attachments": attachments,
                "created_at": timestamp(v.created),
                "os-vol-tenant-attr:tenant_id": shared.project_id,
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({"volumes": volumes}))
}
