//! `/link-proposals`: the links LLDP proposes to add (`new`) or to remove (`missing`). Bureau
//! staff and suppliers read them; bureau admins and operators accept them (the link is
//! written to, or deleted from, the CMDB with its history) or dismiss them (not proposed
//! again).

use actix_web::{get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authorized, InfrastructureReaders, Operators};
use super::PageQuery;
use crate::error::{ApiError, ErrorBody, ErrorCode, FieldError};
use crate::inventory::history::ChangeActor;
use crate::monitoring::link_proposals::{self, Decision, LinkProposalView, ProposalQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(accept).service(dismiss);
}

/// The operator's decision, now.
fn decision_of<'a>(
    caller: &Authorized<Operators>,
    actor: &'a ChangeActor,
    state: &AppState,
) -> Decision<'a> {
    Decision {
        actor,
        user_id_opt: Some(caller.principal.user_id),
        now: state.clock.now(),
    }
}

/// The proposals, newest first: open ones unless `state` says otherwise.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "link_proposals",
    params(ProposalQuery, PageQuery),
    responses(
        (status = 200, body = [LinkProposalView]),
        (status = 403, description = "`forbidden`: bureau staff and suppliers only", body = ErrorBody),
        (status = 422, description = "`validation_failed`: an unknown `state`", body = ErrorBody),
    )
)]
#[get("/link-proposals")]
pub async fn list(
    _caller: Authorized<InfrastructureReaders>,
    state: web::Data<AppState>,
    query: web::Query<ProposalQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Vec<LinkProposalView>>, ApiError> {
    let query = query.into_inner();
    if let Some(asked) = query.state.as_deref() {
        if !link_proposals::STATES.contains(&asked) {
            return Err(ApiError::with_fields(
                ErrorCode::ValidationFailed,
                "the request has invalid fields",
                vec![FieldError::new(
                    "state",
                    format!("must be one of {}", link_proposals::STATES.join(", ")),
                )],
            ));
        }
    }
    let offset = super::page_offset(page.offset)?;
    let limit = super::page_limit(page.limit)?;
    Ok(web::Json(
        link_proposals::list(&state.db, &query, offset, limit).await?,
    ))
}

/// Accepts an open proposal: a `new` link is written to the CMDB, a `missing` one deleted;
/// topology and alarm root causes follow at once.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "accept_link_proposal",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = LinkProposalView),
        (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`conflict`: accepted, dismissed or withdrawn already, or the link exists", body = ErrorBody),
    )
)]
#[post("/link-proposals/{id}/accept")]
pub async fn accept(
    caller: Authorized<Operators>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<LinkProposalView>, ApiError> {
    let actor = ChangeActor::of(&caller.principal);
    let decision = decision_of(&caller, &actor, &state);
    Ok(web::Json(
        link_proposals::accept(
            &state.db,
            &state.secrets,
            &state.hub,
            path.into_inner(),
            decision,
        )
        .await?,
    ))
}

/// Dismisses an open proposal: LLDP does not propose it again.
#[utoipa::path(
    tag = "monitoring", security(("bearer" = [])),
    operation_id = "dismiss_link_proposal",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = LinkProposalView),
        (status = 403, description = "`forbidden`: bureau admins and operators only", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`conflict`: accepted, dismissed or withdrawn already", body = ErrorBody),
    )
)]
#[post("/link-proposals/{id}/dismiss")]
pub async fn dismiss(
    caller: Authorized<Operators>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<LinkProposalView>, ApiError> {
    let actor = ChangeActor::of(&caller.principal);
    let decision = decision_of(&caller, &actor, &state);
    Ok(web::Json(
        link_proposals::dismiss(&state.db, &state.hub, path.into_inner(), decision).await?,
    ))
}
