//! `/auth`: login, logout, who am I, and setting a new password with a reset link.

use std::net::{IpAddr, SocketAddr};

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};
use crate::identity::accounts;
use crate::identity::sessions::SessionStore;
use crate::identity::{Principal, Role};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(logout)
        .service(me)
        .service(reset_password);
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: CurrentUser,
}

/// The caller, as `/auth/me` and login show it.
#[derive(Serialize, ToSchema)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub tenant_id: Option<i64>,
}

impl From<&Principal> for CurrentUser {
    fn from(principal: &Principal) -> Self {
        CurrentUser {
            id: principal.user_id,
            username: principal.username.clone(),
            display_name: principal.display_name.clone(),
            role: principal.role,
            tenant_id: principal.tenant_id_opt,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The `token` of the link the mail brought.
    pub token: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// Set a new password with a reset link's token (no bearer token: the link is the
/// credential). It works once, before it expires; every session of the account ends.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordReset,
    responses(
        (status = 204, description = "the new password is set; log in with it"),
        (status = 401, description = "`invalid_token`: the link is unknown, used or expired", body = ErrorBody),
        (status = 422, description = "`validation_failed`: the password is too short", body = ErrorBody),
    )
)]
#[post("/auth/password-reset")]
pub async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    sessions: web::Data<SessionStore>,
    body: web::Json<PasswordReset>,
) -> Result<HttpResponse, ApiError> {
    let PasswordReset { token, password } = body.into_inner();
    let address_opt = client_address(&req, state.trust_forwarded_for).map(|ip| ip.to_string());
    let ended =
        accounts::reset_password(&state.db, &token, password, address_opt, state.clock.now())
            .await?;
    sessions.announce_ended(ended);
    Ok(HttpResponse::NoContent().finish())
}

/// Log in with a username and password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 429, description = "`too_many_login_attempts`; see Retry-After", body = ErrorBody),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    sessions: web::Data<SessionStore>,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let LoginRequest { username, password } = body.into_inner();
    let client_addr_opt = client_address(&req, state.trust_forwarded_for);
    let login = sessions.login(&username, password, client_addr_opt).await?;
    Ok(web::Json(LoginResponse {
        token: login.token,
        expires_at: login.expires_at,
        user: CurrentUser::from(&login.principal),
    }))
}

/// Revoke the current token.
#[utoipa::path(
    tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody))
)]
#[post("/auth/logout")]
pub async fn logout(
    principal: Principal,
    sessions: web::Data<SessionStore>,
) -> Result<HttpResponse, ApiError> {
    sessions.logout(&principal).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The authenticated caller.
#[utoipa::path(
    tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = CurrentUser), (status = 401, body = ErrorBody))
)]
#[get("/auth/me")]
pub async fn me(principal: Principal) -> web::Json<CurrentUser> {
    web::Json(CurrentUser::from(&principal))
}

/// The client's IP: the TCP peer, or, behind a trusted proxy, the forwarded address.
pub(crate) fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> Option<IpAddr> {
    if !trust_forwarded_for {
        return req.peer_addr().map(|addr| addr.ip());
    }
    let info = req.connection_info();
    let forwarded = info.realip_remote_addr()?;
    forwarded
        .parse::<IpAddr>()
        .ok()
        .or_else(|| forwarded.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_client_address_comes_from_the_peer_unless_a_proxy_is_trusted() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.7, 10.0.0.1"))
            .to_http_request();
        assert_eq!(
            client_address(&req, false),
            Some("10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            client_address(&req, true),
            Some("203.0.113.7".parse().unwrap())
        );
    }
}
