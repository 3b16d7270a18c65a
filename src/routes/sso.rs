//! Single sign-on in the browser: `/auth/methods` (what the login page offers), and the OIDC
//! round trip, `/auth/oidc/login` to the provider and `/auth/oidc/callback` back. The
//! callback hands the session to the login page in the URL's fragment
//! (`/login#sso=<token>&expires_at=<time>`, which browsers never send to a server), or the reason it failed in its query
//! (`/login?sso_error=<code>`). LDAP needs no route: `/auth/login` asks the directory.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::auth::client_address;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::identity::sessions::SessionStore;
use crate::identity::sso::oidc::{self, OidcLogin};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(methods)
        .service(oidc_login)
        .service(oidc_callback);
}

/// How users may sign in here.
#[derive(Serialize, ToSchema)]
pub struct SignInMethods {
    /// The OpenID provider's button, when one is configured.
    pub oidc: Option<OidcMethod>,
    /// Passwords are also checked against a directory (LDAP).
    pub ldap: bool,
}

#[derive(Serialize, ToSchema)]
pub struct OidcMethod {
    /// What the button says.
    pub label: String,
    /// Where the button goes.
    pub login_url: String,
}

/// What the login page offers: local passwords always, and a directory and an identity
/// provider when configured.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, body = SignInMethods))
)]
#[get("/auth/methods")]
pub async fn methods(state: web::Data<AppState>) -> web::Json<SignInMethods> {
    web::Json(SignInMethods {
        oidc: state.oidc_opt.as_ref().map(|login| OidcMethod {
            label: login.label().to_owned(),
            login_url: format!("{}/login", oidc::COOKIE_PATH),
        }),
        ldap: state.ldap_enabled,
    })
}

fn oidc_of(state: &AppState) -> Result<&OidcLogin, ApiError> {
    state
        .oidc_opt
        .as_deref()
        .ok_or_else(|| ApiError::not_found("single sign-on"))
}

/// Go to the identity provider to sign in (a browser navigation, not an API call).
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 303, description = "to the provider's authorization page, with the sign-in's cookie"),
        (status = 404, description = "`not_found`: no provider is configured", body = ErrorBody),
        (status = 503, description = "`service_unavailable`: the provider does not answer", body = ErrorBody),
    )
)]
#[get("/auth/oidc/login")]
pub async fn oidc_login(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let started = oidc_of(&state)?.start().await?;
    let cookie = Cookie::build(oidc::COOKIE, started.cookie)
        .path(oidc::COOKIE_PATH)
        .http_only(true)
        // Lax: the provider's redirect back is a top-level navigation, which carries it.
        .same_site(SameSite::Lax)
        .secure(state.mail.base_url.starts_with("https://"))
        .max_age(time::Duration::seconds(oidc::PENDING_TTL.as_secs() as i64))
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, started.authorize_url))
        .cookie(cookie)
        .finish())
}

#[derive(Deserialize, IntoParams)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider's refusal, e.g. `access_denied`.
    pub error: Option<String>,
    /// The issuer (RFC 9207), when the provider names it.
    pub iss: Option<String>,
    pub session_state: Option<String>,
}

/// Where the provider sends the browser back: signs the user in and goes on to the login
/// page with the session (or the reason it failed).
#[utoipa::path(
    tag = "auth",
    params(CallbackQuery),
    responses(
        (status = 303, description = "to `/login#sso=<token>&expires_at=<RFC 3339>`, or `/login?sso_error=<code>` (`invalid_credentials`, `no_role`, `service_unavailable`, `conflict`, or the provider's error)"),
        (status = 404, description = "`not_found`: no provider is configured", body = ErrorBody),
    )
)]
#[get("/auth/oidc/callback")]
pub async fn oidc_callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    sessions: web::Data<SessionStore>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let login = oidc_of(&state)?;
    let outcome = match (&query.error, &query.code, &query.state) {
        (Some(error), _, _) => Err(error_code_of(error)),
        (None, Some(code), Some(sign_in_state)) => {
            let cookie = req.cookie(oidc::COOKIE);
            let signed_in = match login
                .finish(code, sign_in_state, cookie.as_ref().map(|c| c.value()))
                .await
            {
                Ok(identity) => {
                    let address = client_address(&req, state.trust_forwarded_for);
                    sessions.sign_in(&identity, address).await
                }
                Err(error) => Err(error),
            };
            signed_in.map_err(|error| ApiError::from(error).code.as_str().to_owned())
        }
        _ => Err(ErrorCode::BadRequest.as_str().to_owned()),
    };
    let location = match outcome {
        Ok(login) => format!(
            "/login#sso={}&expires_at={}",
            login.token,
            login
                .expires_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        Err(code) => format!("/login?sso_error={code}"),
    };
    let mut spent = Cookie::build(oidc::COOKIE, "")
        .path(oidc::COOKIE_PATH)
        .finish();
    spent.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        // The fragment carries a token: no page of ours names it to another site.
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(spent)
        .finish())
}

/// The provider's error, as a code the login page can show (letters and `_` only).
fn error_code_of(error: &str) -> String {
    let code: String = error
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    if code.is_empty() {
        "access_denied".to_owned()
    } else {
        code
    }
}
