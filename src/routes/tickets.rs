//! `/tickets`, `/approvals/inbox`, `/delegations`: requesting, approving and following
//! service tickets. Tenants see their own tickets, bureau staff all of them, approvers the
//! tickets they approve.
//!
//! Actions take two optional headers: `Idempotency-Key` (a retry gets the first answer and
//! never acts twice) and `If-Match: <version>` (act only on the version you saw).

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::auth::client_address;
use super::PageQuery;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::identity::Principal;
use crate::state::AppState;
use crate::tickets::messages::{Act, CompleteTask};
use crate::tickets::queries::{
    self, DelegationView, TaskView, TicketFilter, TicketPage, TicketSort,
};
use crate::tickets::views::{InboxItem, TicketDetail, TicketView};
use crate::tickets::{Action, Caller, Draft, Idempotency};
use yunguan_actors::ticket::workflow::TicketState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(submit)
        .service(list)
        .service(detail)
        .service(approve)
        .service(reject)
        .service(withdraw)
        .service(resubmit)
        .service(comment)
        .service(close)
        .service(rate)
        .service(tasks)
        .service(complete_task)
        .service(inbox)
        .service(decided)
        .service(delegations)
        .service(delegate)
        .service(revoke_delegation);
}

/// The caller of a request, with their address for the audit trail.
pub fn caller_of(req: &HttpRequest, principal: Principal, state: &AppState) -> Caller {
    Caller {
        principal,
        address_opt: client_address(req, state.trust_forwarded_for).map(|ip| ip.to_string()),
    }
}

fn idempotency_of(
    req: &HttpRequest,
    body: &impl Serialize,
) -> Result<Option<Idempotency>, ApiError> {
    let Some(header) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = header
        .to_str()
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, "Idempotency-Key must be ASCII"))?;
    let body = serde_json::to_value(body).map_err(|e| ApiError::internal(e.into()))?;
    let route = format!("{} {}", req.method(), req.path());
    Ok(Some(Idempotency::new(key, &route, &body)?))
}

/// `If-Match: 7` or `If-Match: "7"`: the ticket version the caller saw.
fn expected_version(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(header) = req.headers().get("If-Match") else {
        return Ok(None);
    };
    let raw = header.to_str().unwrap_or_default().trim();
    let raw = raw.strip_prefix("W/").unwrap_or(raw).trim_matches('"');
    raw.parse::<i64>().map(Some).map_err(|_| {
        ApiError::new(
            ErrorCode::BadRequest,
            "If-Match must be a ticket version number",
        )
    })
}

fn answered(
    executed: crate::tickets::Executed,
    status: actix_web::http::StatusCode,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if executed.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.insert_header(("ETag", format!("\"{}\"", executed.ticket.version)));
    response.json(executed.ticket)
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    pub item_id: i64,
    pub title: String,
    /// The item's form, field by field (see the item's `form`).
    #[schema(value_type = Object)]
    pub form: Value,
}

/// Submit a request from the catalog. Its first approval level opens at once and its
/// approvers are told over their inbox topic.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    request_body = NewTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "retries get the first answer")),
    responses(
        (status = 201, body = TicketView),
        (status = 403, description = "`forbidden`: only tenant users submit", body = ErrorBody),
        (status = 409, description = "`quota_exceeded`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, with `fields`, or `idempotency_key_reused`", body = ErrorBody),
    )
)]
#[post("/tickets")]
pub async fn submit(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<NewTicket>,
) -> Result<HttpResponse, ApiError> {
    let idempotency_opt = idempotency_of(&req, &*body)?;
    let NewTicket {
        item_id,
        title,
        form,
    } = body.into_inner();
    let caller = caller_of(&req, principal, &state);
    let draft = Draft {
        item_id,
        title,
        form,
    };
    let mut executed = state
        .tickets
        .engine()
        .submit(&caller, draft, idempotency_opt)
        .await?;
    // Its actor arms the first level's SLA timer (or starts fulfilment when no level applies).
    state
        .tickets
        .wake(executed.ticket.id, executed.committed_opt.take());
    Ok(answered(executed, actix_web::http::StatusCode::CREATED))
}

/// A ticket's state, as a list filter names it; an unknown one is `400 bad_request`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStateName {
    Approving,
    Approved,
    Fulfilling,
    Fulfilled,
    Closed,
    Rejected,
    Withdrawn,
    Failed,
}

impl From<TicketStateName> for TicketState {
    fn from(name: TicketStateName) -> TicketState {
        match name {
            TicketStateName::Approving => TicketState::Approving,
            TicketStateName::Approved => TicketState::Approved,
            TicketStateName::Fulfilling => TicketState::Fulfilling,
            TicketStateName::Fulfilled => TicketState::Fulfilled,
            TicketStateName::Closed => TicketState::Closed,
            TicketStateName::Rejected => TicketState::Rejected,
            TicketStateName::Withdrawn => TicketState::Withdrawn,
            TicketStateName::Failed => TicketState::Failed,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    #[param(inline)]
    pub state: Option<TicketStateName>,
    pub item_id: Option<i64>,
    pub requester_id: Option<i64>,
    pub business_system: Option<String>,
    /// Default `-created_at`.
    #[param(inline)]
    pub sort: Option<TicketSort>,
    pub offset: Option<u64>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

/// Tickets the caller may see, filtered, sorted and paged.
#[utoipa::path(
    operation_id = "list_tickets",
    tag = "tickets", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = TicketPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[get("/tickets")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<TicketPage>, ApiError> {
    let query = query.into_inner();
    let filter = TicketFilter {
        state_opt: query
            .state
            .map(|name| TicketState::from(name).as_str().to_owned()),
        item_id_opt: query.item_id,
        requester_id_opt: query.requester_id,
        business_system_opt: query.business_system,
        sort_opt: query.sort,
        offset: super::page_offset(query.offset)?,
        limit: super::page_limit(query.limit)?,
    };
    Ok(web::Json(
        queries::list(&state.db, principal.scope(), filter).await?,
    ))
}

/// One ticket with its form, approvals and timeline.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = TicketDetail), (status = 404, description = "`not_found`, also for another tenant's ticket", body = ErrorBody))
)]
#[get("/tickets/{ticket_id}")]
pub async fn detail(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<TicketDetail>, ApiError> {
    Ok(web::Json(
        queries::detail(&state.db, path.into_inner(), &principal).await?,
    ))
}

async fn act(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    ticket_id: i64,
    action: Action,
    body: &impl Serialize,
) -> Result<HttpResponse, ApiError> {
    let idempotency_opt = idempotency_of(&req, body)?;
    let expected_version_opt = expected_version(&req)?;
    let caller = caller_of(&req, principal, &state);
    let act = Act {
        caller,
        action,
        expected_version_opt,
        idempotency_opt,
        request_span: tracing::Span::current(),
    };
    let executed = state.tickets.act(ticket_id, act).await?;
    Ok(answered(executed, actix_web::http::StatusCode::OK))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    #[serde(default)]
    pub comment: Option<String>,
}

/// Approve the open level (for yourself, or for an approver who delegated to you).
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    request_body = Approval,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "retries get the first answer"),
        ("If-Match" = Option<i64>, Header, description = "the ticket version you saw"),
    ),
    responses(
        (status = 200, body = TicketView),
        (status = 403, description = "`forbidden`: not an approver of the open level", body = ErrorBody),
        (status = 409, description = "`invalid_transition`, `conflict` or `quota_exceeded`", body = ErrorBody),
        (status = 412, description = "`version_mismatch`", body = ErrorBody),
    )
)]
#[post("/tickets/{ticket_id}/approve")]
pub async fn approve(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Option<web::Json<Approval>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let action = Action::Approve {
        comment_opt: body.comment.clone(),
    };
    act(principal, req, state, path.into_inner(), action, &body).await
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Told to the requester, who may amend and resubmit.
    pub reason: String,
}

/// Reject the ticket at the open level; it goes back to the requester.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    request_body = Rejection,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/tickets/{ticket_id}/reject")]
pub async fn reject(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<Rejection>,
) -> Result<HttpResponse, ApiError> {
    let action = Action::Reject {
        reason: body.reason.clone(),
    };
    act(principal, req, state, path.into_inner(), action, &*body).await
}

/// Withdraw your own request (before fulfilment starts).
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody))
)]
#[post("/tickets/{ticket_id}/withdraw")]
pub async fn withdraw(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    act(
        principal,
        req,
        state,
        path.into_inner(),
        Action::Withdraw,
        &Value::Null,
    )
    .await
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resubmission {
    #[serde(default)]
    pub title: Option<String>,
    /// The amended form.
    #[schema(value_type = Object)]
    pub form: Value,
}

/// Resubmit a rejected request with an amended form: a new round from the first level.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    request_body = Resubmission,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/tickets/{ticket_id}/resubmit")]
pub async fn resubmit(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<Resubmission>,
) -> Result<HttpResponse, ApiError> {
    let action = Action::Resubmit {
        title_opt: body.title.clone(),
        form: body.form.clone(),
    };
    act(principal, req, state, path.into_inner(), action, &*body).await
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
}

/// Comment on a ticket you may see.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    request_body = NewComment,
    responses((status = 200, body = TicketView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/tickets/{ticket_id}/comments")]
pub async fn comment(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<NewComment>,
) -> Result<HttpResponse, ApiError> {
    let action = Action::Comment {
        body: body.body.clone(),
    };
    act(principal, req, state, path.into_inner(), action, &*body).await
}

/// Confirm your fulfilled request: it is closed and can be rated.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody))
)]
#[post("/tickets/{ticket_id}/close")]
pub async fn close(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    act(
        principal,
        req,
        state,
        path.into_inner(),
        Action::Close,
        &Value::Null,
    )
    .await
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    /// 1 (poor) to 5 (excellent).
    pub rating: i16,
    #[serde(default)]
    pub comment: Option<String>,
}

/// Rate the service of your closed request, once (the monthly assessment reads it).
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    request_body = Rating,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/tickets/{ticket_id}/rating")]
pub async fn rate(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<Rating>,
) -> Result<HttpResponse, ApiError> {
    let action = Action::Rate {
        rating: body.rating,
        comment_opt: body.comment.clone(),
    };
    act(principal, req, state, path.into_inner(), action, &*body).await
}

/// Which manual tasks a list holds.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStateName {
    #[default]
    Open,
    Done,
}

#[derive(Deserialize, IntoParams)]
pub struct TaskQuery {
    /// Default `open`.
    #[param(inline)]
    pub state: Option<TaskStateName>,
    pub offset: Option<u64>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

/// Manual fulfilment tasks for your role: operators see theirs, suppliers theirs, bureau
/// admins and managers all.
#[utoipa::path(
    tag = "tasks", security(("bearer" = [])),
    params(TaskQuery),
    responses((status = 200, body = [TaskView]), (status = 401, body = ErrorBody))
)]
#[get("/tasks")]
pub async fn tasks(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<TaskQuery>,
) -> Result<web::Json<Vec<TaskView>>, ApiError> {
    let limit = super::page_limit(query.limit)?;
    let task_state = match query.state.unwrap_or_default() {
        TaskStateName::Open => "open",
        TaskStateName::Done => "done",
    };
    Ok(web::Json(
        queries::tasks(
            &state.db,
            &principal,
            task_state,
            super::page_offset(query.offset)?,
            limit,
        )
        .await?,
    ))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TaskCompletion {
    /// What was done.
    #[serde(default)]
    pub note: Option<String>,
}

/// Complete a manual task: its ticket is fulfilled.
#[utoipa::path(
    tag = "tasks", security(("bearer" = [])),
    request_body = TaskCompletion,
    responses((status = 200, body = TicketView), (status = 404, description = "`not_found`, also for another role's task", body = ErrorBody), (status = 409, body = ErrorBody))
)]
#[post("/tasks/{task_id}/complete")]
pub async fn complete_task(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: Option<web::Json<TaskCompletion>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let caller = caller_of(&req, principal, &state);
    let complete = CompleteTask {
        task_id: path.into_inner(),
        caller,
        note_opt: body.note,
        request_span: tracing::Span::current(),
    };
    let executed = state.tickets.complete_task(complete).await?;
    Ok(answered(executed, actix_web::http::StatusCode::OK))
}

/// Your pending approvals, including those delegated to you.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = [InboxItem]), (status = 401, body = ErrorBody))
)]
#[get("/approvals/inbox")]
pub async fn inbox(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<InboxItem>>, ApiError> {
    Ok(web::Json(
        queries::inbox(&state.db, &principal, state.clock.now()).await?,
    ))
}

/// The approvals you decided (我已处理), the latest first, with their tickets as they stand.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = [InboxItem]), (status = 400, description = "`bad_request`: a limit or offset out of range", body = ErrorBody), (status = 401, body = ErrorBody))
)]
#[get("/approvals/decided")]
pub async fn decided(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Vec<InboxItem>>, ApiError> {
    Ok(web::Json(
        queries::decided(
            &state.db,
            &principal,
            super::page_offset(query.offset)?,
            super::page_limit(query.limit)?,
        )
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDelegation {
    pub delegate_id: i64,
    /// Default: now.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: DateTime<Utc>,
}

/// Hand your approvals to another user for a period.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    request_body = NewDelegation,
    responses((status = 201, body = DelegationView), (status = 422, body = ErrorBody))
)]
#[post("/delegations")]
pub async fn delegate(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<NewDelegation>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let created = queries::delegate(
        &state.db,
        &principal,
        body.delegate_id,
        body.starts_at.unwrap_or(now),
        body.ends_at,
        now,
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Delegations you gave or received.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = [DelegationView]))
)]
#[get("/delegations")]
pub async fn delegations(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<DelegationView>>, ApiError> {
    Ok(web::Json(
        queries::delegations(&state.db, &principal).await?,
    ))
}

/// End one of your delegations now.
#[utoipa::path(
    tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = DelegationView), (status = 404, body = ErrorBody))
)]
#[post("/delegations/{delegation_id}/revoke")]
pub async fn revoke_delegation(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<DelegationView>, ApiError> {
    Ok(web::Json(
        queries::revoke_delegation(&state.db, &principal, path.into_inner(), state.clock.now())
            .await?,
    ))
}
