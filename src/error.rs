//! The catalogue of API errors: one stable code per failure a client can act on, each with
//! its HTTP status and type. The wire body is `{"code","message","type"}`.
//!
//! Handlers return [`ApiError`]; internal failures keep their cause chain for the log and
//! show the client only `internal`. WebSocket protocol errors reuse the same codes. Domain
//! modules never make one: each has its own error enum, and `routes::errors` turns each into
//! its code, in one `From` per domain.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::requests::RequestId;

/// Every error code yunguan answers with. Codes are part of the API: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadRequest,
    MalformedJson,
    /// Text the databases cannot store (a NUL character), anywhere in a request.
    InvalidText,
    ValidationFailed,
    InvalidCredentials,
    /// Signed in by single sign-on, but the user's groups give no role here.
    NoRole,
    MissingToken,
    InvalidToken,
    InvalidWsTicket,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    /// A delete refused because other objects still refer to the object.
    HasDependents,
    InvalidTransition,
    VersionMismatch,
    QuotaExceeded,
    IdempotencyKeyReused,
    TooManyLoginAttempts,
    PayloadTooLarge,
    Internal,
    ServiceUnavailable,
    // WebSocket protocol.
    BadMessage,
    InvalidTopic,
    ForbiddenTopic,
    TooManySubscriptions,
}

/// Broad class of an error, for clients that handle classes rather than codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequest,
    Auth,
    Internal,
    System,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidText => "invalid_text",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::NoRole => "no_role",
            ErrorCode::MissingToken => "missing_token",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InvalidWsTicket => "invalid_ws_ticket",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::HasDependents => "has_dependents",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::VersionMismatch => "version_mismatch",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::TooManyLoginAttempts => "too_many_login_attempts",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Internal => "internal",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::BadMessage => "bad_message",
            ErrorCode::InvalidTopic => "invalid_topic",
            ErrorCode::ForbiddenTopic => "forbidden_topic",
            ErrorCode::TooManySubscriptions => "too_many_subscriptions",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::MalformedJson
            | ErrorCode::InvalidText
            | ErrorCode::BadMessage
            | ErrorCode::InvalidTopic => StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidCredentials
            | ErrorCode::MissingToken
            | ErrorCode::InvalidToken
            | ErrorCode::InvalidWsTicket => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::ForbiddenTopic | ErrorCode::NoRole => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict
            | ErrorCode::HasDependents
            | ErrorCode::InvalidTransition
            | ErrorCode::QuotaExceeded => StatusCode::CONFLICT,
            ErrorCode::VersionMismatch => StatusCode::PRECONDITION_FAILED,
            ErrorCode::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::TooManyLoginAttempts | ErrorCode::TooManySubscriptions => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn error_type(self) -> ErrorType {
        match self {
            ErrorCode::InvalidCredentials
            | ErrorCode::MissingToken
            | ErrorCode::InvalidToken
            | ErrorCode::InvalidWsTicket
            | ErrorCode::Forbidden
            | ErrorCode::ForbiddenTopic
            | ErrorCode::NoRole
            | ErrorCode::TooManyLoginAttempts => ErrorType::Auth,
            ErrorCode::Internal => ErrorType::Internal,
            ErrorCode::ServiceUnavailable => ErrorType::System,
            _ => ErrorType::InvalidRequest,
        }
    }
}

/// The wire body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `invalid_credentials`.
    pub code: &'static str,
    /// Human-readable explanation; may change between versions.
    pub message: String,
    #[serde(rename = "type")]
    pub error_type: ErrorType,
    /// With `validation_failed` and `invalid_text`: one entry per problem, naming its field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// The request's id (`X-Request-Id`), to find its log lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name or path (`form.fields[2]`, `cpu`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds a throttled client should wait (`Retry-After`).
    pub retry_after_secs_opt: Option<u64>,
    /// The problems field by field, for `validation_failed`.
    pub fields: Vec<FieldError>,
    /// The underlying failure, logged but never sent.
    source_opt: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            retry_after_secs_opt: None,
            fields: Vec::new(),
            source_opt: None,
        }
    }

    /// An error that names the fields at fault.
    pub fn with_fields(
        code: ErrorCode,
        message: impl Into<String>,
        fields: Vec<FieldError>,
    ) -> Self {
        ApiError {
            fields,
            ..ApiError::new(code, message)
        }
    }

    /// An unexpected failure: the client sees `internal`, the log sees the cause chain.
    pub fn internal(source: anyhow::Error) -> Self {
        ApiError {
            code: ErrorCode::Internal,
            message: "internal error".to_owned(),
            retry_after_secs_opt: None,
            fields: Vec::new(),
            source_opt: Some(source),
        }
    }

    pub fn forbidden() -> Self {
        ApiError::new(ErrorCode::Forbidden, "your role does not allow this")
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code.as_str(),
            message: self.message.clone(),
            error_type: self.code.error_type(),
            fields: self.fields.clone(),
            request_id: RequestId::current().map(|id| id.as_str().to_owned()),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::internal(anyhow::Error::new(err).context("database query failed"))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        ApiError::internal(err)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(source) = &self.source_opt {
            tracing::error!(error = ?source, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Some(secs) = self.retry_after_secs_opt {
            response.insert_header(("Retry-After", secs.to_string()));
        }
        response.json(self.body())
    }
}

/// Maps actix's extractor failures (bad JSON, bad query string, bad path) to the catalogue.
pub fn json_error_handler(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    let api_error = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
        }
        JsonPayloadError::ContentType => ApiError::new(
            ErrorCode::BadRequest,
            "expected a body with content-type application/json",
        ),
        JsonPayloadError::Deserialize(inner) if inner.is_data() => {
            ApiError::new(ErrorCode::ValidationFailed, inner.to_string())
        }
        _ => ApiError::new(
            ErrorCode::MalformedJson,
            format!("malformed JSON body: {err}"),
        ),
    };
    api_error.into()
}

pub fn query_error_handler(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::new(
        ErrorCode::BadRequest,
        format!("invalid query string: {err}"),
    )
    .into()
}

pub fn path_error_handler(
    err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::new(
        ErrorCode::BadRequest,
        format!("invalid path parameter: {err}"),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_status_and_type() {
        let table = [
            (ErrorCode::InvalidCredentials, 401, ErrorType::Auth),
            (ErrorCode::ForbiddenTopic, 403, ErrorType::Auth),
            (ErrorCode::MalformedJson, 400, ErrorType::InvalidRequest),
            (ErrorCode::InvalidText, 400, ErrorType::InvalidRequest),
            (ErrorCode::ValidationFailed, 422, ErrorType::InvalidRequest),
            (ErrorCode::TooManyLoginAttempts, 429, ErrorType::Auth),
            (ErrorCode::Internal, 500, ErrorType::Internal),
            (ErrorCode::ServiceUnavailable, 503, ErrorType::System),
        ];
        for (code, status, error_type) in table {
            assert_eq!(code.status().as_u16(), status, "{code:?}");
            assert_eq!(code.error_type(), error_type, "{code:?}");
        }
    }

    #[test]
    fn the_wire_body_has_code_message_and_type() {
        let body = ApiError::new(ErrorCode::NotFound, "tenant not found").body();
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"code":"not_found","message":"tenant not found","type":"invalid_request"}"#
        );
    }
}
