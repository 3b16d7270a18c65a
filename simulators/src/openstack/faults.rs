//! What every request passes before it reaches an API: a delay drawn from the configured
//! latency, Keystone outages, injected and random 500s, and the token check of every API
//! but Keystone's. Also the OpenStack-style error bodies: Keystone's `{"error": {...}}`,
//! Nova's and Cinder's `{"itemNotFound": {...}}` family and Neutron's `{"NeutronError": ...}`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{InternalError, JsonPayloadError};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use rand::Rng;
use serde_json::json;

use super::state::Refusal;
use super::Shared;

/// The header a client sends its token in.
pub const AUTH_TOKEN_HEADER: &str = "X-Auth-Token";

/// Which API a path belongs to, for the shape of its error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Keystone,
    Nova,
    Neutron,
    Cinder,
}

impl Api {
    fn of(path: &str) -> Api {
        if path.starts_with("/identity") {
            Api::Keystone
        } else if path.starts_with("/network") {
            Api::Neutron
        } else if path.starts_with("/volume") {
            Api::Cinder
        } else {
            Api::Nova
        }
    }
}

/// An error answer in the shape `api` uses.
pub fn error_response(api: Api, status: StatusCode, message: &str) -> HttpResponse {
    let code = status.as_u16();
    let body = match api {
        Api::Keystone => json!({"error": {
            "code": code,
            "title": status.canonical_reason().unwrap_or("Error"),
            "message": message,
        }}),
        Api::Neutron => json!({"NeutronError": {
            "type": match code {
                404 => "NotFound",
                400 => "BadRequest",
                409 => "Conflict",
                _ => "ServiceUnavailable",
            },
            "message": message,
            "detail": "",
        }}),
        Api::Nova | Api::Cinder => {
            let kind = match code {
                400 => "badRequest",
                401 => "unauthorized",
                404 => "itemNotFound",
                409 => "conflictingRequest",
                503 => "serviceUnavailable",
                _ => "computeFault",
            };
            let mut body = serde_json::Map::new();
            body.insert(kind.to_owned(), json!({"code": code, "message": message}));
            serde_json::Value::Object(body)
        }
    };
    HttpResponse::build(status).json(body)
}

/// Nova's answer to a refused request.
pub fn refused(refusal: Refusal) -> HttpResponse {
    match refusal {
        Refusal::NotFound(message) => error_response(Api::Nova, StatusCode::NOT_FOUND, &message),
        Refusal::BadRequest(message) => {
            error_response(Api::Nova, StatusCode::BAD_REQUEST, &message)
        }
        Refusal::Conflict(message) => error_response(Api::Nova, StatusCode::CONFLICT, &message),
    }
}

/// A body that does not parse, answered as the API of the path would.
pub fn json_error(error: JsonPayloadError, request: &HttpRequest) -> actix_web::Error {
    let response = error_response(
        Api::of(request.path()),
        StatusCode::BAD_REQUEST,
        &format!("Malformed request body: {error}"),
    );
    InternalError::from_response(error, response).into()
}

/// The middleware: latency, outages, failures, then the token check.
pub async fn faults(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(shared) = request.app_data::<web::Data<Shared>>().cloned() else {
        return next.call(request).await.map(|r| r.map_into_left_body());
    };
    let api = Api::of(request.path());
    let (delay_ms, unlucky) = {
        let mut rng = shared.fault_rng.lock();
        let low = *shared.config.latency_ms.start();
        let high = (*shared.config.latency_ms.end()).max(low);
        let failure_rate = shared.failure_rate.lock().clamp(0.0, 1.0);
        (rng.gen_range(low..=high), rng.gen_bool(failure_rate))
    };
    if delay_ms > 0 {
        actix_web::rt::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    if api == Api::Keystone && shared.keystone_down.load(Ordering::SeqCst) {
        return answer(
            request,
            error_response(
                api,
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is temporarily unavailable.",
            ),
        );
    }
    let forced = shared
        .forced_failures
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if forced || unlucky {
        let message = match api {
            Api::Neutron => "Request Failed: internal server error while processing your request.",
            _ => {
                "Unexpected API Error. Please report this at http://bugs.launchpad.net/ and \
                 attach the log if possible.\n<class 'oslo_db.exception.DBConnectionError'>"
            }
        };
        return answer(
            request,
            error_response(api, StatusCode::INTERNAL_SERVER_ERROR, message),
        );
    }
    if api != Api::Keystone {
        let token_opt = request
            .headers()
            .get(AUTH_TOKEN_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let valid =
            token_opt.is_some_and(|token| shared.state.lock().token_valid(&token, Utc::now()));
        if !valid {
            return answer(
                request,
                error_response(
                    Api::Keystone,
                    StatusCode::UNAUTHORIZED,
                    "The request you have made requires authentication.",
                ),
            );
        }
    }
    next.call(request).await.map(|r| r.map_into_left_body())
}

/// Answers `request` with `response` instead of passing it on.
fn answer<B>(
    request: ServiceRequest,
    response: HttpResponse,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let (request, _) = request.into_parts();
    Ok(ServiceResponse::new(request, response).map_into_right_body())
}
