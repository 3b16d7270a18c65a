//! Nova under `/compute/v2.1`: hypervisors, servers (list with `changes-since`, `name`,
//! `limit` and `marker`; create, show, delete, resize and confirm, diagnostics) and flavors
//! (list, and the admin `POST /flavors`). Servers are shown as Nova 2.47+ shows them, with
//! the flavor embedded; a listing given `changes-since` includes deleted servers, as DELETED.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::faults::{error_response, refused, Api};
use super::state::{CloudState, NewServer, Refusal, Server, ServerStatus};
use super::Shared;

/// Nova's `osapi_max_limit`: the most servers one page holds.
const MAX_PAGE: usize = 1000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/compute/v2.1")
            .route("/os-hypervisors/detail", web::get().to(list_hypervisors))
            .route("/servers/detail", web::get().to(list_servers))
            .route("/servers", web::post().to(create_server))
            .route("/servers/{server_id}", web::get().to(show_server))
            .route("/servers/{server_id}", web::delete().to(delete_server))
            .route("/servers/{server_id}/action", web::post().to(server_action))
            .route(
                "/servers/{server_id}/diagnostics",
                web::get().to(diagnostics),
            )
            .route("/flavors/detail", web::get().to(list_flavors))
            .route("/flavors", web::post().to(create_flavor)),
    );
}

/// Timestamps as OpenStack writes them, in UTC with microseconds.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// An ISO 8601 time as Nova accepts it: with an offset, or without one meaning UTC.
fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

fn percent_encode(raw: &str) -> String {
    let mut encoded = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn root_of(request: &HttpRequest) -> String {
    let connection = request.connection_info();
    format!("{}://{}", connection.scheme(), connection.host())
}

fn server_json(state: &CloudState, server: &Server, root: &str) -> Value {
    let hypervisor_opt = server
        .hypervisor_idx_opt
        .map(|idx| &state.hypervisors[idx].hostname);
    let mut addresses = serde_json::Map::new();
    for (network, address) in &server.addresses {
        let entry = addresses
            .entry(network.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(json!({"version": 4, "addr": address, "OS-EXT-IPS:type": "fixed"}));
        }
    }
    let (vm_state, task_state, power_state) = match server.status {
        ServerStatus::Build => ("building", Some("spawning"), 0),
        ServerStatus::Active => ("active", None, 1),
        ServerStatus::Resize => ("active", Some("resize_migrating"), 1),
        ServerStatus::VerifyResize => ("resized", None, 1),
        ServerStatus::Error => ("error", None, 0),
        ServerStatus::Deleted => ("deleted", None, 0),
    };
    let mut body = json!({
        "id": server.id,
        "name": server.name,
        "status": server.status.as_str(),
        "tenant_id": "",
        "metadata": server.metadata,
        "image": {"id": server.image_ref},
        "flavor": {
            "original_name": server.flavor.name,
            "vcpus": server.flavor.vcpus,
            "ram": server.flavor.ram_mb,
            "disk": server.flavor.disk_gb,
            "ephemeral": 0,
            "swap": 0,
            "extra_specs": {},
        },
        "created": timestamp(server.created),
        "updated": timestamp(server.updated),
        "addresses": addresses,
        "accessIPv4": "",
        "accessIPv6": "",
        "progress": if server.status == ServerStatus::Build { 50 } else { 0 },
        "OS-EXT-STS:vm_state": vm_state,
        "OS-EXT-STS:task_state": task_state,
        "OS-EXT-STS:power_state": power_state,
        "OS-EXT-SRV-ATTR:host": hypervisor_opt.map(|h| h.split('.').next().unwrap_or(h)),
        "OS-EXT-SRV-ATTR:hypervisor_hostname": hypervisor_opt,
        "OS-EXT-AZ:availability_zone": "nova",
        "OS-SRV-USG:launched_at": server.launched_at_opt.map(timestamp),
        "links": [{"rel": "self", "href": format!("{root}/compute/v2.1/servers/{}", server.id)}],
    });
    if let Some(fault) = &server.fault_opt {
        body["fault"] =
            json!({"code": 500, "message": fault, "created": timestamp(server.updated)});
    }
    body
}

async fn list_hypervisors(shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.settled();
    let hypervisors: Vec<Value> = state
        .hypervisors
        .iter()
        .enumerate()
        .map(|(idx, h)| {
            json!({
                "id": h.id,
                "hypervisor_hostname": h.hostname,
                "hypervisor_type": "QEMU",
                "hypervisor_version": 6002000,
                "host_ip": h.host_ip,
                "state": "up",
                "status": "enabled",
                "vcpus": h.vcpus,
                "vcpus_used": h.vcpus_used,
                "memory_mb": h.memory_mb,
                "memory_mb_used": h.memory_mb_used,
                "free_ram_mb": h.memory_mb - h.memory_mb_used,
                "local_gb": h.local_gb,
                "local_gb_used": h.local_gb_used,
                "free_disk_gb": h.local_gb - h.local_gb_used,
                "disk_available_least": h.local_gb - h.local_gb_used,
                "running_vms": h.running_vms,
                "current_workload": 0,
                "service": {"host": h.hostname.split('.').next().unwrap_or(&h.hostname), "id": h.id, "disabled_reason": null},
                // Not in Nova (which left metrics to Ceilometer/Gnocchi): the host's CPU
                // utilization in percent, under the name of Ceilometer's meter.
                "cpu_util": (state.hypervisor_cpu_util(idx) * 10.0).round() / 10.0,
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({"hypervisors": hypervisors}))
}

async fn list_servers(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let bad = |message: &str| error_response(Api::Nova, StatusCode::BAD_REQUEST, message);
    let Ok(query) = web::Query::<HashMap<String, String>>::from_query(request.query_string())
    else {
        return bad("Invalid query string.");
    };
    let changes_since_opt = match query.get("changes-since") {
        None => None,
        Some(raw) => match parse_time(raw) {
            Some(at) => Some(at),
            None => return bad("Invalid filter field: changes-since."),
        },
    };
    let limit = match query.get("limit").map(|raw| raw.parse::<usize>()) {
        None => MAX_PAGE,
        Some(Ok(limit)) => limit.min(MAX_PAGE),
        Some(Err(_)) => return bad("limit param must be an integer"),
    };
    let name_opt = query.get("name");
    let marker_opt = query.get("marker");
    let root = root_of(&request);
    let state = shared.settled();
    if let Some(marker) = marker_opt {
        if !state.servers.contains_key(marker) {
            return bad(&format!("marker [{marker}] not found"));
        }
    }
    let matching: Vec<&Server> = state
        .servers
        .values()
        .filter(|s| marker_opt.is_none_or(|marker| s.id.as_str() > marker.as_str()))
        .filter(|s| match changes_since_opt {
            Some(since) => s.updated >= since,
            None => s.status != ServerStatus::Deleted,
        })
        .filter(|s| name_opt.is_none_or(|pattern| name_matches(pattern, &s.name)))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .take(limit)
        .map(|s| server_json(&state, s, &root))
        .collect();
    let mut body = json!({"servers": page});
    if matching.len() > limit && limit > 0 {
        let last = &matching[limit - 1].id;
        let mut next = format!("{root}/compute/v2.1/servers/detail?limit={limit}&marker={last}");
        for key in ["changes-since", "name"] {
            if let Some(value) = query.get(key) {
                next.push_str(&format!("&{key}={}", percent_encode(value)));
            }
        }
        body["servers_links"] = json!([{"rel": "next", "href": next}]);
    }
    HttpResponse::Ok().json(body)
}

/// Nova's `name` filter is a regular expression; the simulator understands the anchors
/// `^` and `$` around a literal (with `\`-escapes), and a bare literal as a substring.
fn name_matches(pattern: &str, name: &str) -> bool {
    let anchored_start = pattern.starts_with('^');
    let anchored_end = pattern.ends_with('$') && !pattern.ends_with("\\$");
    let mut literal = pattern.trim_start_matches('^');
    if anchored_end {
        literal = &literal[..literal.len() - 1];
    }
    let mut unescaped = String::with_capacity(literal.len());
    let mut chars = literal.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => unescaped.extend(chars.next()),
            other => unescaped.push(other),
        }
    }
    match (anchored_start, anchored_end) {
        (true, true) => name == unescaped,
        (true, false) => name.starts_with(&unescaped),
        (false, true) => name.ends_with(&unescaped),
        (false, false) => name.contains(&unescaped),
    }
}

#[derive(Debug, Deserialize)]
struct CreateServerRequest {
    server: CreateServer,
}

#[derive(Debug, Deserialize)]
struct CreateServer {
    name: String,
    #[serde(rename = "flavorRef")]
    flavor_ref: String,
    #[serde(rename = "imageRef", default)]
    image_ref: String,
    /// A list of `{"uuid": ...}`, or "auto" or "none".
    #[serde(default)]
    networks: Value,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
    /// Nova 2.74: build on this hypervisor.
    #[serde(default)]
    hypervisor_hostname: Option<String>,
}

async fn create_server(
    request: HttpRequest,
    body: web::Json<CreateServerRequest>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let server = body.into_inner().server;
    let mut state = shared.settled();
    let network_ids = match &server.networks {
        Value::Array(networks) => {
            let mut ids = Vec::with_capacity(networks.len());
            for network in networks {
                match network.get("uuid").and_then(Value::as_str) {
                    Some(id) => ids.push(id.to_owned()),
                    None => {
                        return error_response(
                            Api::Nova,
                            StatusCode::BAD_REQUEST,
                            "Bad networks format: network uuid is not in proper format",
                        )
                    }
                }
            }
            ids
        }
        Value::String(choice) if choice == "none" => Vec::new(),
        _ => vec![state.networks[0].id.clone()],
    };
    if server
        .metadata
        .iter()
        .any(|(k, v)| k.len() > 255 || v.len() > 255)
    {
        return error_response(
            Api::Nova,
            StatusCode::BAD_REQUEST,
            "Invalid input for field/attribute metadata.",
        );
    }
    // flavorRef may be an id or a link ending in one.
    let flavor_ref = server
        .flavor_ref
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let created = state.create_server(
        NewServer {
            name: server.name,
            flavor_ref,
            image_ref: server.image_ref,
            network_ids,
            metadata: server.metadata,
            hypervisor_opt: server.hypervisor_hostname,
        },
        Utc::now(),
    );
    match created {
        Ok(id) => {
            let root = root_of(&request);
            let body = server_json(&state, &state.servers[&id], &root);
            HttpResponse::Accepted()
                .insert_header(("Location", format!("{root}/compute/v2.1/servers/{id}")))
                .json(json!({"server": body}))
        }
        Err(refusal) => refused(refusal),
    }
}

async fn show_server(
    request: HttpRequest,
    server_id: web::Path<String>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let state = shared.settled();
    match state.live_server(&server_id) {
        Ok(server) => HttpResponse::Ok()
            .json(json!({"server": server_json(&state, server, &root_of(&request))})),
        Err(refusal) => refused(refusal),
    }
}

async fn delete_server(server_id: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    match shared.settled().delete_server(&server_id, Utc::now()) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(refusal) => refused(refusal),
    }
}

async fn server_action(
    server_id: web::Path<String>,
    body: web::Json<Value>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let mut state = shared.settled();
    let now = Utc::now();
    let outcome = if let Some(resize) = body.get("resize") {
        match resize.get("flavorRef").and_then(Value::as_str) {
            Some(flavor_ref) => {
                let flavor_ref = flavor_ref.rsplit('/').next().unwrap_or_default();
                state.resize_server(&server_id, flavor_ref, now)
            }
            None => Err(Refusal::BadRequest(
                "Invalid input for field/attribute resize.".to_owned(),
            )),
        }
    } else if body.get("confirmResize").is_some() {
        state.confirm_resize(&server_id, now)
    } else {
        let action = body
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_default();
        Err(Refusal::BadRequest(format!(
            "There is no such action: {action}"
        )))
    };
    match outcome {
        Ok(()) => HttpResponse::Accepted().finish(),
        Err(refusal) => refused(refusal),
    }
}

async fn diagnostics(server_id: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.settled();
    let server = match state.live_server(&server_id) {
        Ok(server) => server,
        Err(refusal) => return refused(refusal),
    };
    if server.status != ServerStatus::Active {
        return refused(Refusal::Conflict(format!(
            "Cannot 'get_diagnostics' instance {} while it is in vm_state {}",
            server.id,
            server.status.as_str().to_lowercase()
        )));
    }
    let uptime = server
        .launched_at_opt
        .map(|at| (Utc::now() - at).num_seconds().max(0))
        .unwrap_or(0);
    let cpu_details: Vec<Value> = server
        .core_utilisation()
        .into_iter()
        .enumerate()
        .map(|(index, utilisation)| {
            json!({"id": index, "time": uptime * 1_000_000_000, "utilisation": utilisation})
        })
        .collect();
    let memory_used_mb = (server.flavor.ram_mb as f64 * server.memory_used_fraction).round();
    let io = server.io;
    // The traffic is spread over its NICs; a server without an address still has one NIC.
    let nics = server.addresses.len().max(1);
    let nic_details: Vec<Value> = (0..nics)
        .map(|index| {
            let share = |total: f64| (total / nics as f64).floor() as u64;
            json!({
                "mac_address": format!("fa:16:3e:00:{:02x}:{:02x}", index / 256, index % 256),
                "rx_octets": share(io.received), "rx_errors": 0, "rx_drop": 0,
                "rx_packets": share(io.received) / 800, "rx_rate": null,
                "tx_octets": share(io.sent), "tx_errors": 0, "tx_drop": 0,
                "tx_packets": share(io.sent) / 800, "tx_rate": null,
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({
        "state": "running",
        "driver": "libvirt",
        "hypervisor": "kvm",
        "hypervisor_os": "linux",
        "uptime": uptime,
        "config_drive": false,
        "num_cpus": server.flavor.vcpus,
        "num_nics": nics,
        "num_disks": 1,
        "cpu_details": cpu_details,
        "memory_details": {"maximum": server.flavor.ram_mb, "used": memory_used_mb},
        "disk_details": [{
            "read_bytes": io.disk_read.floor() as u64,
            "read_requests": (io.disk_read / 4096.0).floor() as u64,
            "write_bytes": io.disk_write.floor() as u64,
            "write_requests": (io.disk_write / 4096.0).floor() as u64,
            "errors_count": 0,
        }],
        "nic_details": nic_details,
    }))
}

fn flavor_json(flavor: &super::state::Flavor) -> Value {
    json!({
        "id": flavor.id,
        "name": flavor.name,
        "vcpus": flavor.vcpus,
        "ram": flavor.ram_mb,
        "disk": flavor.disk_gb,
        "OS-FLV-EXT-DATA:ephemeral": 0,
        "swap": 0,
        "rxtx_factor": 1.0,
        "os-flavor-access:is_public": true,
        "OS-FLV-DISABLED:disabled": false,
    })
}

async fn list_flavors(shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.state.lock();
    let flavors: Vec<Value> = state.flavors.iter().map(flavor_json).collect();
    HttpResponse::Ok().json(json!({"flavors": flavors}))
}

#[derive(Debug, Deserialize)]
struct CreateFlavorRequest {
    flavor: CreateFlavor,
}

#[derive(Debug, Deserialize)]
struct CreateFlavor {
    name: String,
    vcpus: i64,
    ram: i64,
    disk: i64,
    #[serde(rename = "id", default)]
    id_opt: Option<String>,
}

async fn create_flavor(
    body: web::Json<CreateFlavorRequest>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let flavor = body.into_inner().flavor;
    let created = shared.state.lock().create_flavor(
        flavor.id_opt,
        flavor.name,
        flavor.vcpus,
        flavor.ram,
        flavor.disk,
    );
    match created {
        Ok(flavor) => HttpResponse::Ok().json(json!({"flavor": flavor_json(&flavor)})),
        Err(refusal) => refused(refusal),
    }
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn name_filters_understand_anchors_and_escapes() {
        assert!(name_matches("^t7-1$", "t7-1"));
        assert!(!name_matches("^t7-1$", "t7-10"));
        assert!(name_matches("^t7", "t7-10"));
        assert!(name_matches("7-1", "t7-10"));
        assert!(name_matches("^a\\.b$", "a.b"));
    }
}
