//! `/ws/ticket` and the WebSocket upgrade `/ws`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::identity::sessions::SessionStore;
use crate::identity::Principal;
use crate::routes::extract::bearer_token;
use crate::state::AppState;
use crate::ws::session::{self, SessionContext};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(issue_ticket).service(upgrade);
}

#[derive(Serialize, ToSchema)]
pub struct TicketResponse {
    /// Pass as `GET /api/v1/ws?ticket=...` within `expires_in_secs`; it works once.
    pub ticket: String,
    pub expires_in_secs: u64,
}

/// A single-use ticket for opening a WebSocket from a browser.
#[utoipa::path(
    tag = "events", security(("bearer" = [])),
    responses((status = 200, body = TicketResponse), (status = 401, body = ErrorBody))
)]
#[post("/ws/ticket")]
pub async fn issue_ticket(
    principal: Principal,
    sessions: web::Data<SessionStore>,
    state: web::Data<AppState>,
) -> Result<web::Json<TicketResponse>, ApiError> {
    let ticket = sessions.issue_ws_ticket(&principal).await?;
    Ok(web::Json(TicketResponse {
        ticket,
        expires_in_secs: state.ws_ticket_ttl_secs,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct UpgradeQuery {
    /// A ticket from `POST /api/v1/ws/ticket`; or send `Authorization: Bearer`.
    pub ticket: Option<String>,
}

/// Open the event WebSocket (protocol in docs/websocket.md).
#[utoipa::path(
    tag = "events", params(UpgradeQuery),
    responses(
        (status = 101, description = "switching protocols"),
        (status = 401, description = "`missing_token`, `invalid_token` or `invalid_ws_ticket`", body = ErrorBody),
    )
)]
#[get("/ws")]
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    query: web::Query<UpgradeQuery>,
    sessions: web::Data<SessionStore>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // The handshake is checked first, so that a request that is no upgrade spends no ticket.
    let (response, socket, messages) = actix_ws::handle(&req, body).map_err(|err| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("not a WebSocket upgrade: {err}"),
        )
    })?;
    let principal = match (&query.ticket, bearer_token(&req)) {
        (Some(ticket), _) => sessions.redeem_ws_ticket(ticket).await?,
        (None, Some(token)) => sessions.authenticate(token).await?,
        (None, None) => {
            return Err(ApiError::new(
                ErrorCode::MissingToken,
                "pass ?ticket= from POST /api/v1/ws/ticket, or Authorization: Bearer",
            ))
        }
    };
    principal.record_in_span();
    // A revoke that lands between the check above and this is still seen: the registry
    // remembers logins that ended lately.
    let login = state.logins.watch(principal.session_id);
    let messages = messages
        .max_frame_size(state.websocket.max_message_bytes)
        .aggregate_continuations()
        .max_continuation_size(state.websocket.max_message_bytes);
    let context = SessionContext {
        hub: state.hub.clone(),
        metrics: state.metrics.clone(),
        principal,
        heartbeat_interval: state.websocket.heartbeat_interval(),
        idle_timeout: state.websocket.idle_timeout(),
        write_timeout: state.websocket.write_timeout(),
        login,
        max_subscriptions: state.websocket.max_subscriptions,
        shutdown: state.shutdown.clone(),
    };
    // The connection lives on in the upgrade request's span: its id, user and tenant.
    actix_web::rt::spawn(
        session::run(context, socket, messages).instrument(tracing::Span::current()),
    );
    Ok(response)
}
