//! Operational endpoints: liveness, readiness, Prometheus metrics, and the supervised actors.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};
use crate::outbox::actor::DrainSnapshot;
use crate::routes::extract::{Authorized, BureauAdmins};
use crate::state::AppState;

pub fn configure_root(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

pub fn configure_api(cfg: &mut ServiceConfig) {
    cfg.service(actors);
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "ops", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: bool,
    /// Absent when no Redis is configured.
    pub redis: Option<bool>,
}

/// The database (and Redis, when configured) answer.
#[utoipa::path(
    tag = "ops",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness))
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = crate::db::ping(&state.db).await;
    let redis = match state.hub.redis_bus() {
        Some(bus) => Some(bus.ping().await),
        None => None,
    };
    let ready = database && redis.unwrap_or(true);
    let body = Readiness {
        status: if ready { "ready" } else { "unavailable" },
        database,
        redis,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus text exposition.
#[utoipa::path(tag = "ops", responses((status = 200, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state.actors))
}

#[derive(Serialize, ToSchema)]
pub struct ActorView {
    pub name: String,
    pub running: bool,
    pub restarts: u64,
    pub panics: u64,
    pub last_failure: Option<String>,
}

/// What the Redis bridge has seen since this node started.
#[derive(Serialize, ToSchema)]
pub struct BridgeView {
    pub subscribed: bool,
    pub events_received: u64,
    pub malformed_messages: u64,
}

/// Per-object actors on this node: one per open ticket, one per tenant with quota activity.
#[derive(Serialize, ToSchema)]
pub struct ObjectActorsView {
    pub running: usize,
    /// Actors found dead (a panic) and started again from the database.
    pub restarts: u64,
}

/// What an outbox's sender (mail, channel posts) has done since it (last) started.
#[derive(Serialize, ToSchema)]
pub struct SenderView {
    pub sent_total: u64,
    pub failed_attempts_total: u64,
    pub last_error: Option<String>,
}

impl From<DrainSnapshot> for SenderView {
    fn from(snapshot: DrainSnapshot) -> SenderView {
        SenderView {
            sent_total: snapshot.sent_total,
            failed_attempts_total: snapshot.failed_attempts_total,
            last_error: snapshot.last_error_opt,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ControlPlane {
    pub actors: Vec<ActorView>,
    /// Absent when no Redis is configured.
    pub redis_bridge: Option<BridgeView>,
    pub mail_sender: SenderView,
    /// Posts to notification channels.
    pub channel_sender: SenderView,
    pub ticket_actors: ObjectActorsView,
    pub tenant_actors: ObjectActorsView,
    pub topics: usize,
    pub subscriptions: usize,
}

/// Supervised actors and hub counts (bureau admins).
#[utoipa::path(
    tag = "ops", security(("bearer" = [])),
    responses((status = 200, body = ControlPlane), (status = 403, body = ErrorBody))
)]
#[get("/admin/actors")]
pub async fn actors(
    _caller: Authorized<BureauAdmins>,
    state: web::Data<AppState>,
) -> Result<web::Json<ControlPlane>, ApiError> {
    let stats = state.hub.stats();
    Ok(web::Json(ControlPlane {
        actors: state
            .actors
            .snapshots()
            .into_iter()
            .map(|actor| ActorView {
                name: actor.name,
                running: actor.running,
                restarts: actor.restarts,
                panics: actor.panics,
                last_failure: actor.last_failure_opt,
            })
            .collect(),
        redis_bridge: state.redis_bridge_opt.as_ref().map(|bridge| {
            let snapshot = bridge.snapshot();
            BridgeView {
                subscribed: snapshot.subscribed,
                events_received: snapshot.events_received,
                malformed_messages: snapshot.malformed_messages,
            }
        }),
        mail_sender: state.mail_sender.snapshot().into(),
        channel_sender: state.channel_sender.snapshot().into(),
        ticket_actors: {
            let snapshot = state.tickets.snapshot();
            ObjectActorsView {
                running: snapshot.running,
                restarts: snapshot.restarts,
            }
        },
        tenant_actors: {
            let tenants = &state.tickets.engine().tenants;
            ObjectActorsView {
                running: tenants.running(),
                restarts: tenants.restarts(),
            }
        },
        topics: stats.topics,
        subscriptions: stats.subscriptions,
    }))
}
