//! Keystone v3: `POST /identity/v3/auth/tokens` with password authentication of the one
//! configured user, scoped to its project. A token's body carries the service catalog, whose
//! compute, network and volumev3 endpoints point back at this simulator.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::faults::{error_response, Api};
use super::nova::timestamp;
use super::Shared;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/identity/v3/auth/tokens", web::post().to(issue_token));
}

#[derive(Debug, Deserialize)]
struct AuthRequest {
    auth: Auth,
}

#[derive(Debug, Deserialize)]
struct Auth {
    identity: Identity,
    #[serde(rename = "scope")]
    scope_opt: Option<Scope>,
}

#[derive(Debug, Deserialize)]
struct Identity {
    methods: Vec<String>,
    #[serde(rename = "password")]
    password_opt: Option<PasswordMethod>,
}

#[derive(Debug, Deserialize)]
struct PasswordMethod {
    user: UserReference,
}

#[derive(Debug, Deserialize)]
struct UserReference {
    #[serde(rename = "name")]
    name_opt: Option<String>,
    #[serde(rename = "domain")]
    domain_opt: Option<DomainReference>,
    password: String,
}

#[derive(Debug, Deserialize)]
struct DomainReference {
    #[serde(rename = "name")]
    name_opt: Option<String>,
    #[serde(rename = "id")]
    id_opt: Option<String>,
}

impl DomainReference {
    /// The simulator's one domain is both named and identified by its name.
    fn is(&self, domain: &str) -> bool {
        self.name_opt.as_deref() == Some(domain) || self.id_opt.as_deref() == Some(domain)
    }
}

#[derive(Debug, Deserialize)]
struct Scope {
    #[serde(rename = "project")]
    project_opt: Option<ProjectReference>,
}

#[derive(Debug, Deserialize)]
struct ProjectReference {
    #[serde(rename = "name")]
    name_opt: Option<String>,
    #[serde(rename = "id")]
    id_opt: Option<String>,
    #[serde(rename = "domain")]
    domain_opt: Option<DomainReference>,
}

async fn issue_token(
    request: HttpRequest,
    body: web::Json<AuthRequest>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let auth = body.into_inner().auth;
    let credentials = &shared.config.credentials;
    let Some(password) = auth
        .identity
        .password_opt
        .filter(|_| auth.identity.methods.iter().any(|m| m == "password"))
    else {
        return error_response(
            Api::Keystone,
            StatusCode::BAD_REQUEST,
            "Expecting to find password in identity. The server could not comply with the \
             request since it is either malformed or otherwise incorrect.",
        );
    };
    let user = password.user;
    let user_matches = user.name_opt.as_deref() == Some(credentials.username.as_str())
        && user
            .domain_opt
            .as_ref()
            .is_some_and(|d| d.is(&credentials.user_domain))
        && user.password == credentials.password;
    if !user_matches {
        return error_response(
            Api::Keystone,
            StatusCode::UNAUTHORIZED,
            "The request you have made requires authentication.",
        );
    }
    let Some(project) = auth.scope_opt.and_then(|scope| scope.project_opt) else {
        return error_response(
            Api::Keystone,
            StatusCode::BAD_REQUEST,
            "this simulator issues project-scoped tokens only",
        );
    };
    let project_matches = match (&project.id_opt, &project.name_opt) {
        (Some(id), _) => *id == shared.project_id,
        (None, Some(name)) => {
            *name == credentials.project
                && project
                    .domain_opt
                    .as_ref()
                    .is_some_and(|d| d.is(&credentials.project_domain))
        }
        (None, None) => false,
    };
    if !project_matches {
        return error_response(
            Api::Keystone,
            StatusCode::UNAUTHORIZED,
            "The request you have made requires authentication.",
        );
    }
    let (token_id, token) = shared.state.lock().issue_token(Utc::now());
    let connection = request.connection_info();
    let root = format!("{}://{}", connection.scheme(), connection.host());
    let endpoint = |service: &str, path: String| {
        let endpoints: Vec<serde_json::Value> = ["public", "internal"]
            .iter()
            .map(|interface| {
                json!({
                    "id": format!("{service}-{interface}"),
                    "interface": interface,
                    "region": "RegionOne",
                    "region_id": "RegionOne",
                    "url": format!("{root}{path}"),
                })
            })
            .collect();
        json!({
            "type": service,
            "name": match service { "compute" => "nova", "network" => "neutron", _ => "cinderv3" },
            "id": format!("{service}-service"),
            "endpoints": endpoints,
        })
    };
    let body = json!({"token": {
        "methods": ["password"],
        "user": {
            "id": shared.user_id,
            "name": credentials.username,
            "domain": {"id": credentials.user_domain.to_lowercase(), "name": credentials.user_domain},
            "password_expires_at": null,
        },
        "project": {
            "id": shared.project_id,
            "name": credentials.project,
            "domain": {"id": credentials.project_domain.to_lowercase(), "name": credentials.project_domain},
        },
        "roles": [{"id": "member-role", "name": "member"}, {"id": "reader-role", "name": "reader"}],
        "is_domain": false,
        "issued_at": timestamp(token.issued_at),
        "expires_at": timestamp(token.expires_at),
        "catalog": [
            endpoint("compute", "/compute/v2.1".to_owned()),
            endpoint("network", "/network/v2.0".to_owned()),
            endpoint("volumev3", format!("/volume/v3/{}", shared.project_id)),
        ],
    }});
    HttpResponse::Created()
        .insert_header(("X-Subject-Token", token_id))
        .json(body)
}
